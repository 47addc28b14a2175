package graph

import (
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes the file at path with write, so that a crash leaves either
// the old file or the new one, never a torn one: it writes a temporary file in the
// same directory, syncs it, renames it over path and syncs the directory. If write
// fails, the temporary file is removed and path is left as it was. SaveParams, the
// trainer's checkpoints, its health logs and its plots all write through it.
func WriteFileAtomic(path string, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
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
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
