package text

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTar writes files (slash-separated names) as a plain tar archive at path.
func writeTar(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, b := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadIMDBRejects checks the data that LoadIMDB used to accept silently: a rating
// in the wrong folder (IMDB's pos reviews are rated 7 to 10, its neg 1 to 4), a split
// with one class only, and two reviews with the same ID in one class. Each case is
// tried in the directory layout and in a tar archive; the error names the file or
// the split.
func TestLoadIMDBRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(files map[string][]byte)
		want   []string
	}{
		{"low rating under pos", func(f map[string][]byte) { f["aclImdb/train/pos/3_3.txt"] = []byte("meh") },
			[]string{"train/pos", "3_3.txt", "rating 3 in pos/, want 7 to 10"}},
		{"high rating under neg", func(f map[string][]byte) { f["aclImdb/test/neg/5_8.txt"] = []byte("fine") },
			[]string{"test/neg", "5_8.txt", "rating 8 in neg/, want 1 to 4"}},
		{"rating 0", func(f map[string][]byte) { f["aclImdb/test/neg/5_0.txt"] = []byte("?") },
			[]string{"5_0.txt", "rating 0 in neg/, want 1 to 4"}},
		{"rating 11", func(f map[string][]byte) { f["aclImdb/test/pos/5_11.txt"] = []byte("!") },
			[]string{"5_11.txt", "rating 11 in pos/, want 7 to 10"}},
		{"train without negatives", func(f map[string][]byte) {
			delete(f, "aclImdb/train/neg/10_4.txt")
			delete(f, "aclImdb/train/neg/2_1.txt")
		}, []string{"train split holds 2 positive and 0 negative reviews, want both classes"}},
		{"test without positives", func(f map[string][]byte) {
			delete(f, "aclImdb/test/pos/10_9.txt")
			delete(f, "aclImdb/test/pos/2_7.txt")
		}, []string{"test split holds 0 positive and 2 negative reviews, want both classes"}},
		{"duplicate ID", func(f map[string][]byte) { f["aclImdb/train/pos/2_8.txt"] = []byte("again") },
			[]string{"train/pos", "two reviews with ID 2", "2_7.txt", "2_8.txt"}},
		{"review over 1 MiB", func(f map[string][]byte) { f["aclImdb/train/neg/7_2.txt"] = make([]byte, maxReviewBytes+1) },
			[]string{"7_2.txt: 1048577 bytes, want at most 1048576 for one review"}},
		{"sign in a name", func(f map[string][]byte) { f["aclImdb/train/pos/+3_8.txt"] = []byte("x") },
			[]string{`"+3_8.txt", want <id>_<rating>.txt`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := tinyIMDBFiles()
			tc.change(files)
			dir := t.TempDir()
			for _, sub := range []string{"train/pos", "train/neg", "test/pos", "test/neg"} {
				if err := os.MkdirAll(filepath.Join(dir, "aclImdb", sub), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for name, b := range files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			archive := filepath.Join(t.TempDir(), "aclImdb_v1.tar")
			writeTar(t, archive, files)
			for _, src := range []string{dir, archive} {
				_, _, err := LoadIMDB(src)
				if err == nil {
					t.Fatalf("LoadIMDB(%s): no error", src)
				}
				for _, w := range tc.want {
					if !strings.Contains(filepath.ToSlash(err.Error()), w) {
						t.Errorf("LoadIMDB(%s) error %q, want it to contain %q", src, err, w)
					}
				}
			}
		})
	}
}
