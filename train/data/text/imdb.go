package text

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gradflow/gradflow/train/data"
	"github.com/pkg/errors"
)

// The IMDB reviews come from the Go module github.com/cdipaolo/sentiment, which ships the
// aclImdb folders in its datasets directory. We only read its files: importing it would
// need its own dependencies, which the proxy does not serve. The go command verifies the
// download against the checksum database, and the module cache keeps it offline.
const (
	imdbModule  = "github.com/cdipaolo/sentiment"
	imdbVersion = "v0.0.0-20200617002423-c697f64e7f10"
	// imdbDownloadTimeout bounds `go mod download`: the module is a 50 MB zip (200 MB unpacked).
	imdbDownloadTimeout = 10 * time.Minute
)

// Review is one movie review of the IMDB dataset.
type Review struct {
	ID     int    // the number in its file name, unique within a split and a class
	Rating int    // the reviewer's rating, 1-4 (negative) or 7-10 (positive)
	Label  int    // 1 positive, 0 negative
	Text   string // the raw review, with its HTML line breaks
}

// Texts returns the reviews' texts.
func Texts(rs []Review) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Text
	}
	return out
}

// Labels returns the reviews' labels (1 positive, 0 negative).
func Labels(rs []Review) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Label
	}
	return out
}

// IMDBDir returns a directory in the aclImdb layout from the Go module cache: the
// datasets directory of github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10.
// It looks where the module is when already cached and otherwise runs
// `go mod download -json` for it (a 50 MB download), from a temporary directory with
// GOWORK=off so that the caller's go.mod and go.work are neither read nor changed.
func IMDBDir() (string, error) {
	cached := filepath.Join(data.ModuleCachePath(imdbModule, imdbVersion), "datasets")
	if isIMDBDir(cached) {
		return cached, nil
	}
	modDir, err := data.DownloadModule(imdbModule, imdbVersion, imdbDownloadTimeout)
	if err == nil {
		dir := filepath.Join(modDir, "datasets")
		if isIMDBDir(dir) {
			return dir, nil
		}
		err = errors.Errorf("%s lacks train/pos, train/neg, test/pos, test/neg", dir)
	}
	return "", errors.Errorf("text: imdb: cannot find the reviews: not in %s, and `go mod download %s@%s` failed: %v; "+
		"pass a directory in the aclImdb layout or aclImdb_v1.tar.gz, or run `go mod download -json %s@%s`",
		cached, imdbModule, imdbVersion, err, imdbModule, imdbVersion)
}

var imdbClasses = []struct {
	dir   string
	label int
}{{"pos", 1}, {"neg", 0}}

func isIMDBDir(dir string) bool {
	for _, split := range []string{"train", "test"} {
		for _, c := range imdbClasses {
			if fi, err := os.Stat(filepath.Join(dir, split, c.dir)); err != nil || !fi.IsDir() {
				return false
			}
		}
	}
	return true
}

// LoadIMDB returns the 25,000 training and 25,000 test reviews of the IMDB dataset,
// each split positives first, then negatives, each class by increasing ID.
//
// src is a directory in the aclImdb layout (train/pos, train/neg, test/pos, test/neg,
// files named <id>_<rating>.txt), a directory holding such an aclImdb folder, or an
// aclImdb_v1.tar.gz archive; "" means IMDBDir(). Other files (the unsup reviews,
// imdb.vocab) are ignored. A split with no reviews, or a file name that does not
// parse, is an error.
func LoadIMDB(src string) (train, test []Review, err error) {
	if src == "" {
		if src, err = IMDBDir(); err != nil {
			return nil, nil, err
		}
	}
	fi, err := os.Stat(src)
	if err != nil {
		return nil, nil, errors.Wrap(err, "text: imdb")
	}
	var splits map[string][]Review
	switch {
	case !fi.IsDir():
		splits, err = readIMDBTar(src)
	case isIMDBDir(src):
		splits, err = readIMDBDir(src)
	case isIMDBDir(filepath.Join(src, "aclImdb")):
		splits, err = readIMDBDir(filepath.Join(src, "aclImdb"))
	default:
		err = errors.Errorf("%s holds neither train/{pos,neg} and test/{pos,neg} nor aclImdb/", src)
	}
	if err != nil {
		return nil, nil, errors.Wrap(err, "text: imdb")
	}
	for _, split := range []string{"train", "test"} {
		rs := splits[split]
		if len(rs) == 0 {
			return nil, nil, errors.Errorf("text: imdb: %s: no %s reviews", src, split)
		}
		sort.SliceStable(rs, func(i, j int) bool {
			if rs[i].Label != rs[j].Label {
				return rs[i].Label > rs[j].Label
			}
			return rs[i].ID < rs[j].ID
		})
	}
	return splits["train"], splits["test"], nil
}

func readIMDBDir(dir string) (map[string][]Review, error) {
	splits := map[string][]Review{}
	for _, split := range []string{"train", "test"} {
		for _, c := range imdbClasses {
			sub := filepath.Join(dir, split, c.dir)
			entries, err := os.ReadDir(sub)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if e.IsDir() || !strings.HasSuffix(e.Name(), ".txt") {
					continue
				}
				b, err := os.ReadFile(filepath.Join(sub, e.Name()))
				if err != nil {
					return nil, err
				}
				r, err := newReview(e.Name(), c.label, b)
				if err != nil {
					return nil, errors.Wrap(err, sub)
				}
				splits[split] = append(splits[split], r)
			}
		}
	}
	return splits, nil
}

// readIMDBTar reads the reviews from aclImdb_v1.tar.gz (or a plain tar), whose
// entries are aclImdb/<split>/<pos|neg>/<id>_<rating>.txt.
func readIMDBTar(file string) (map[string][]Review, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(file, ".gz") || strings.HasSuffix(file, ".tgz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, errors.Wrap(err, file)
		}
		defer gz.Close()
		r = gz
	}
	splits := map[string][]Review{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return splits, nil
		}
		if err != nil {
			return nil, errors.Wrap(err, file)
		}
		parts := strings.Split(path.Clean(h.Name), "/")
		n := len(parts)
		if h.Typeflag != tar.TypeReg || n < 3 || !strings.HasSuffix(parts[n-1], ".txt") {
			continue
		}
		split, class := parts[n-3], parts[n-2]
		if split != "train" && split != "test" {
			continue
		}
		label := -1
		for _, c := range imdbClasses {
			if class == c.dir {
				label = c.label
			}
		}
		if label < 0 {
			continue // unsup
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, errors.Wrapf(err, "%s: %s", file, h.Name)
		}
		rev, err := newReview(parts[n-1], label, b)
		if err != nil {
			return nil, errors.Wrapf(err, "%s: %s", file, h.Name)
		}
		splits[split] = append(splits[split], rev)
	}
}

// newReview parses a file name "<id>_<rating>.txt".
func newReview(name string, label int, text []byte) (Review, error) {
	idStr, ratingStr, ok := strings.Cut(strings.TrimSuffix(name, ".txt"), "_")
	id, err1 := strconv.Atoi(idStr)
	rating, err2 := strconv.Atoi(ratingStr)
	if !ok || err1 != nil || err2 != nil {
		return Review{}, errors.Errorf("file name %q, want <id>_<rating>.txt", name)
	}
	return Review{ID: id, Rating: rating, Label: label, Text: string(text)}, nil
}
