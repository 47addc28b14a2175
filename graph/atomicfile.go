package graph

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// WriteFileAtomic writes the file at path with write, so that a crash leaves either
// the old file or the new one, never a torn one. It writes a temporary file in the
// same directory, named ".<name>.tmp-<pid>-<random>", syncs it (fsync), renames it
// over path and syncs the directory, so that once it returns nil the new file
// survives a power loss as well as a crash, on file systems that honour fsync (ext4,
// xfs, btrfs, apfs; not some network file systems). A crash or a power loss before
// it returns leaves the old file or, once the rename has reached the disk, the new
// one, whole.
//
// A process killed while saving leaves its temporary behind. Each call removes the
// temporaries of the same path left by processes that are no longer running (the
// pid in the name tells), so stale ones never pile up; those of running processes,
// this one included, are left alone, as they may be saves in progress.
//
// If write fails, the temporary is removed and path is left as it was. SaveParams,
// the trainer's checkpoints, its health logs and its plots all write through it.
func WriteFileAtomic(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return errors.Errorf("graph: WriteFileAtomic: %q names a directory, want a file", path)
	}
	removeStaleTemps(dir, base)
	tmp, err := os.CreateTemp(dir, tempPrefix(base)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// tempPrefix begins the names of base's temporaries.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeStaleTemps removes the temporaries of base in dir whose writer is no longer
// running. It is best effort: a failure leaves a temporary for the next save.
func removeStaleTemps(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 {
			continue // not named by WriteFileAtomic: leave it
		}
		if pid == os.Getpid() || processRunning(pid) {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}
