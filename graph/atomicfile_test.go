package graph_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/gradflow/gradflow/graph"
)

// deadPID returns the pid of a process that has ended (a run of this test binary
// that runs no test, waited for).
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestWriteFileAtomicRemovesStaleTemps checks that a save removes the temporaries of
// the same file left by processes that have ended, and only those: not those of a
// running process (this one), of another file, or not named by WriteFileAtomic.
func TestWriteFileAtomicRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	dead, self := strconv.Itoa(deadPID(t)), strconv.Itoa(os.Getpid())
	stale := ".w.bin.tmp-" + dead + "-123"
	kept := []string{
		".w.bin.tmp-" + self + "-456", // a save of this process, maybe in progress
		".v.bin.tmp-" + dead + "-1",   // another file's
		".w.bin.tmp-789",              // not of WriteFileAtomic's naming
		"w.bin.tmp-" + dead + "-2",    // not hidden: the user's
	}
	for _, name := range append([]string{stale}, kept...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "w.bin")
	if err := graph.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "new" {
		t.Fatalf("file = %q, %v; want new", b, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := append(slices.Clone(kept), "w.bin")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("directory after the save = %q\nwant %q (the stale temporary %q removed, nothing of ours left)", got, want, stale)
	}
}

// TestWriteFileAtomicFailure checks that a failed write leaves the old file and no
// temporary.
func TestWriteFileAtomicFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.bin")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := graph.WriteFileAtomic(path, func(w io.Writer) error {
		w.Write([]byte("half"))
		return io.ErrShortWrite
	})
	if err != io.ErrShortWrite {
		t.Fatalf("err = %v, want the writer's", err)
	}
	entries, _ := os.ReadDir(dir)
	if b, _ := os.ReadFile(path); string(b) != "old" || len(entries) != 1 {
		t.Errorf("after a failed save: file %q, %d entries; want old, 1", b, len(entries))
	}
	if err := graph.WriteFileAtomic(dir+"/", func(io.Writer) error { return nil }); err == nil {
		t.Error("WriteFileAtomic of a directory path: no error")
	}
}
