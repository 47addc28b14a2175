package data

import (
	"encoding/csv"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// CSVConfig says how to read a table into a Dataset. The zero value reads a
// comma-separated file with a header line, takes the last column as class labels and
// every other column as a feature, in float32.
type CSVConfig struct {
	// Target names the target column; "" means the last. Without a header the
	// columns are named "0", "1", ...
	Target string
	// Features names the feature columns, in order; nil means every column but the
	// target.
	Features []string
	// Regression reads the target as a number (a dataset of targets (N, 1));
	// otherwise it holds class labels.
	Regression bool
	// NoHeader says the first line is data, not column names.
	NoHeader bool
	// Comma is the field separator; 0 means ','.
	Comma rune
	// DType is Float32 (the default, when unset) or Float64.
	DType tensor.Dtype
	// AllowNonFinite keeps NaN and ±Inf cells (in any spelling strconv.ParseFloat
	// reads: "NaN", "inf", "-Infinity", ...) in features and regression targets. By
	// default they are an error naming the line and the column, since one NaN feature
	// turns every loss it reaches into NaN. A finite value beyond float32's range is
	// an error either way (read it as Float64).
	AllowNonFinite bool
}

// LoadCSV reads the CSV file at path; see ReadCSV.
func LoadCSV(path string, cfg CSVConfig) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "data: load csv")
	}
	defer f.Close()
	d, err := ReadCSV(f, cfg)
	if err != nil {
		return nil, errors.Wrapf(err, "%s", path)
	}
	return d, nil
}

// ReadCSV reads a table of numbers with one example per row. Features must be
// numbers (strconv.ParseFloat syntax); a class label may be any text. When every
// label is an integer 0 <= k < 1000 the labels are those integers and there are
// max+1 classes; otherwise the distinct labels are sorted and numbered, and
// Dataset.ClassNames returns them. An empty or malformed cell is an error naming its
// line and column, and so is a NaN or ±Inf feature or target unless
// cfg.AllowNonFinite.
func ReadCSV(r io.Reader, cfg CSVConfig) (*Dataset, error) {
	dt := cfg.DType
	if dt == (tensor.Dtype{}) {
		dt = tensor.Float32
	}
	if err := checkDtype(dt); err != nil {
		return nil, errors.Wrap(err, "data: read csv")
	}
	cr := csv.NewReader(r)
	if cfg.Comma != 0 {
		cr.Comma = cfg.Comma
	}
	cr.ReuseRecord = true
	first, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("data: read csv: no rows")
	}
	if err != nil {
		return nil, errors.Wrap(err, "data: read csv")
	}
	names := make([]string, len(first))
	for i := range names {
		names[i] = strconv.Itoa(i)
		if !cfg.NoHeader {
			names[i] = strings.TrimSpace(first[i])
		}
	}
	col := func(name string) (int, error) {
		if i := slices.Index(names, name); i >= 0 {
			return i, nil
		}
		return 0, errors.Errorf("data: read csv: no column %q among %q", name, names)
	}
	target := len(names) - 1
	if cfg.Target != "" {
		if target, err = col(cfg.Target); err != nil {
			return nil, err
		}
	}
	var feats []int
	if cfg.Features == nil {
		for i := range names {
			if i != target {
				feats = append(feats, i)
			}
		}
	} else {
		for _, n := range cfg.Features {
			i, err := col(n)
			if err != nil {
				return nil, err
			}
			if i == target {
				return nil, errors.Errorf("data: read csv: column %q is both a feature and the target", n)
			}
			feats = append(feats, i)
		}
	}
	if len(feats) == 0 {
		return nil, errors.New("data: read csv: no feature columns")
	}

	var xs, ys []float64
	var labels []string
	// cellError names the line of field j of the record just read: the csv reader
	// knows it, also when a quoted cell spans several lines.
	cellError := func(j int, err error) error {
		line, _ := cr.FieldPos(j)
		return errors.Errorf("data: read csv: line %d, column %q: %v", line, names[j], err)
	}
	number := func(rec []string, j int) (float64, error) {
		v, err := parseCell(rec[j], dt, cfg.AllowNonFinite)
		if err != nil {
			return 0, cellError(j, err)
		}
		return v, nil
	}
	row := func(rec []string) error {
		for _, j := range feats {
			v, err := number(rec, j)
			if err != nil {
				return err
			}
			xs = append(xs, v)
		}
		if cfg.Regression {
			v, err := number(rec, target)
			if err != nil {
				return err
			}
			ys = append(ys, v)
			return nil
		}
		cell := strings.TrimSpace(rec[target])
		if cell == "" {
			return cellError(target, errors.New("empty label"))
		}
		labels = append(labels, cell)
		return nil
	}
	if cfg.NoHeader {
		if err := row(first); err != nil {
			return nil, err
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Wrap(err, "data: read csv")
		}
		if err := row(rec); err != nil {
			return nil, err
		}
	}
	n := len(xs) / len(feats)
	if n == 0 {
		return nil, errors.New("data: read csv: no data rows")
	}
	x := denseOf(dt, xs, n, len(feats))
	if cfg.Regression {
		return NewRegression(x, denseOf(dt, ys, n, 1))
	}
	ids, classes, classNames := numberLabels(labels)
	d, err := New(x, ids, classes)
	if err != nil {
		return nil, err
	}
	d.classNames = classNames
	return d, nil
}

// parseCell reads a number for a tensor of dtype dt: NaN and ±Inf only if
// allowNonFinite, and never a finite value that dt cannot hold.
func parseCell(s string, dt tensor.Dtype, allowNonFinite bool) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty cell")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.Errorf("%q is not a number", s)
	}
	finite := !math.IsNaN(v) && !math.IsInf(v, 0)
	if !finite && !allowNonFinite {
		return 0, errors.Errorf("%v, want a finite number (CSVConfig.AllowNonFinite keeps NaN and ±Inf)", v)
	}
	if finite && dt == tensor.Float32 && math.IsInf(float64(float32(v)), 0) {
		return 0, errors.Errorf("%s is out of float32's range (±%g), want DType Float64", s, math.MaxFloat32)
	}
	return v, nil
}

func denseOf(dt tensor.Dtype, vals []float64, shape ...int) *tensor.Dense {
	if dt == tensor.Float64 {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(vals))
	}
	f := make([]float32, len(vals))
	for i, v := range vals {
		f[i] = float32(v)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
}

// numberLabels maps label texts to class indices: small non-negative integers are
// kept, anything else is numbered in sorted order and named.
func numberLabels(labels []string) (ids []int, classes int, names []string) {
	ids = make([]int, len(labels))
	numeric := true
	for i, l := range labels {
		k, err := strconv.Atoi(l)
		if err != nil || k < 0 || k >= 1000 {
			numeric = false
			break
		}
		ids[i] = k
		classes = max(classes, k+1)
	}
	if numeric {
		return ids, classes, nil
	}
	names = slices.Clone(labels)
	slices.Sort(names)
	names = slices.Compact(names)
	for i, l := range labels {
		ids[i], _ = slices.BinarySearch(names, l)
	}
	return ids, len(names), names
}
