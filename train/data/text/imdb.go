package text

import (
	"archive/tar"
	"bufio"
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

// imdbClasses are the labelled folders of a split and the ratings each may hold:
// Maas et al. keep reviews rated >= 7 of 10 as positive and <= 4 as negative.
var imdbClasses = []struct {
	dir        string
	label      int
	minR, maxR int
}{{"pos", 1, 7, 10}, {"neg", 0, 1, 4}}

// maxReviewBytes bounds one review file, so that a corrupt archive cannot make the
// reader allocate what its header claims: the longest aclImdb review is 13,704 bytes.
const maxReviewBytes = 1 << 20

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
// aclImdb_v1.tar.gz archive (or a plain tar); "" means IMDBDir(). Other files (the
// unsup reviews, imdb.vocab) are ignored. It is an error, naming the file or the
// split, when a file name does not parse, a rating does not fit its folder (pos holds
// ratings 7 to 10, neg 1 to 4), two reviews of a class share an ID, a review is over
// 1 MiB, or a split lacks a class.
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
	var splits map[string][]fileReview
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
	if train, test, err = checkIMDBSplits(splits); err != nil {
		return nil, nil, errors.Wrapf(err, "text: imdb: %s", src)
	}
	return train, test, nil
}

// fileReview is a review with the path it was read from, <split>/<class>/<name>,
// for the errors that name it.
type fileReview struct {
	Review
	path string
}

// checkIMDBSplits sorts each split (positives first, then by ID) and checks that it
// holds both classes and no ID twice in a class.
func checkIMDBSplits(splits map[string][]fileReview) (train, test []Review, err error) {
	var out [2][]Review
	for k, split := range []string{"train", "test"} {
		rs := splits[split]
		if len(rs) == 0 {
			return nil, nil, errors.Errorf("no %s reviews", split)
		}
		sort.SliceStable(rs, func(i, j int) bool {
			if rs[i].Label != rs[j].Label {
				return rs[i].Label > rs[j].Label
			}
			return rs[i].ID < rs[j].ID
		})
		pos := 0
		for i, r := range rs {
			pos += r.Label
			if i > 0 && r.Label == rs[i-1].Label && r.ID == rs[i-1].ID {
				return nil, nil, errors.Errorf("two reviews with ID %d in one class: %s and %s", r.ID, rs[i-1].path, r.path)
			}
		}
		if pos == 0 || pos == len(rs) {
			return nil, nil, errors.Errorf("%s split holds %d positive and %d negative reviews, want both classes",
				split, pos, len(rs)-pos)
		}
		out[k] = make([]Review, len(rs))
		for i, r := range rs {
			out[k][i] = r.Review
		}
	}
	return out[0], out[1], nil
}

func readIMDBDir(dir string) (map[string][]fileReview, error) {
	splits := map[string][]fileReview{}
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
				p := filepath.Join(sub, e.Name())
				if fi, err := e.Info(); err == nil && fi.Size() > maxReviewBytes {
					return nil, errors.Errorf("%s: %d bytes, want at most %d for one review", p, fi.Size(), maxReviewBytes)
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return nil, err
				}
				r, err := newReview(e.Name(), c.dir, b)
				if err != nil {
					return nil, errors.Wrap(err, sub)
				}
				splits[split] = append(splits[split], fileReview{r, split + "/" + c.dir + "/" + e.Name()})
			}
		}
	}
	return splits, nil
}

// readIMDBTar reads the reviews from aclImdb_v1.tar.gz or a plain tar.
func readIMDBTar(file string) (map[string][]fileReview, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	splits, err := readIMDBArchive(f)
	return splits, errors.Wrap(err, file)
}

// readIMDBArchive reads the reviews from a tar stream, gzip-compressed or not (told by
// the gzip magic number, not by a file name), whose entries are
// [...]/<split>/<pos|neg>/<id>_<rating>.txt; other entries are skipped unread.
func readIMDBArchive(r io.Reader) (map[string][]fileReview, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, errors.Wrap(err, "gzip")
		}
		defer gz.Close()
		r = gz
	} else {
		r = br
	}
	splits := map[string][]fileReview{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return splits, nil
		}
		if err != nil {
			return nil, errors.Wrap(err, "tar")
		}
		parts := strings.Split(path.Clean(h.Name), "/")
		n := len(parts)
		if h.Typeflag != tar.TypeReg || n < 3 || !strings.HasSuffix(parts[n-1], ".txt") {
			continue
		}
		split, class := parts[n-3], parts[n-2]
		if (split != "train" && split != "test") || (class != "pos" && class != "neg") {
			continue // unsup
		}
		if h.Size > maxReviewBytes {
			return nil, errors.Errorf("%s: %d bytes, want at most %d for one review", h.Name, h.Size, maxReviewBytes)
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxReviewBytes))
		if err != nil {
			return nil, errors.Wrap(err, h.Name)
		}
		rev, err := newReview(parts[n-1], class, b)
		if err != nil {
			return nil, errors.Wrap(err, h.Name)
		}
		splits[split] = append(splits[split], fileReview{rev, split + "/" + class + "/" + parts[n-1]})
	}
}

// newReview parses a file name "<id>_<rating>.txt" (decimal digits only) found in
// the folder class ("pos" or "neg") and checks that the rating fits the class.
func newReview(name, class string, text []byte) (Review, error) {
	idStr, ratingStr, ok := strings.Cut(strings.TrimSuffix(name, ".txt"), "_")
	id, err1 := strconv.Atoi(idStr)
	rating, err2 := strconv.Atoi(ratingStr)
	if !ok || err1 != nil || err2 != nil || !digits(idStr) || !digits(ratingStr) {
		return Review{}, errors.Errorf("file name %q, want <id>_<rating>.txt", name)
	}
	for _, c := range imdbClasses {
		if c.dir != class {
			continue
		}
		if rating < c.minR || rating > c.maxR {
			return Review{}, errors.Errorf("file %q: rating %d in %s/, want %d to %d (IMDB's pos reviews are rated 7 to 10, its neg 1 to 4)",
				name, rating, class, c.minR, c.maxR)
		}
		return Review{ID: id, Rating: rating, Label: c.label, Text: string(text)}, nil
	}
	return Review{}, errors.Errorf("file %q: class folder %q, want pos or neg", name, class) // unreachable: callers pass pos or neg
}

// digits reports whether s is one or more ASCII decimal digits (Atoi also takes a sign).
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
