package data_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/train/data"
)

// TestReadCSVNonFinite checks that NaN and ±Inf cells, which strconv.ParseFloat
// accepts, are an error naming the line and column unless CSVConfig.AllowNonFinite,
// and that a value beyond float32's range is an error rather than a silent ±Inf.
func TestReadCSVNonFinite(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		cfg        data.CSVConfig
		want       string
	}{
		{"NaN feature", "a,b,y\n1,2,0\n3,NaN,1\n", data.CSVConfig{}, `line 3, column "b": NaN, want a finite number`},
		{"nan feature", "a,b,y\n1,nan,0\n", data.CSVConfig{}, `line 2, column "b": NaN, want a finite number`},
		{"+Inf feature", "a,b,y\n+Inf,2,0\n", data.CSVConfig{}, `line 2, column "a": +Inf, want a finite number`},
		{"-infinity feature", "a,b,y\n1,-infinity,0\n", data.CSVConfig{}, `line 2, column "b": -Inf, want a finite number`},
		{"NaN target", "a,y\n1,2\n2,NaN\n", data.CSVConfig{Regression: true}, `line 3, column "y": NaN, want a finite number`},
		{"float32 overflow", "a,y\n1e39,0\n", data.CSVConfig{}, `line 2, column "a": 1e39 is out of float32's range`},
		{"float32 overflow allowed", "a,y\n1e39,0\n", data.CSVConfig{AllowNonFinite: true}, `line 2, column "a": 1e39 is out of float32's range`},
		{"quoted multi-line cell", "a,b,y\n\"1\",2,\"x\ny\"\n3,NaN,z\n", data.CSVConfig{}, `line 4, column "b": NaN`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := data.ReadCSV(strings.NewReader(tc.text), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadCSV(%q) err = %v, want %q", tc.text, err, tc.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "data: read csv: ") {
				t.Errorf("err = %q, want the prefix \"data: read csv: \"", err)
			}
		})
	}

	// With the option, NaN and ±Inf are kept as they are, in float32 and float64.
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		d, err := data.ReadCSV(strings.NewReader("a,b,y\nNaN,+Inf,0\n-Inf,1e39,1\n"),
			data.CSVConfig{AllowNonFinite: true, DType: dt})
		if dt == tensor.Float32 {
			if err == nil || !strings.Contains(err.Error(), "out of float32's range") {
				t.Errorf("float32, 1e39: err = %v, want out of range", err)
			}
			d, err = data.ReadCSV(strings.NewReader("a,b,y\nNaN,+Inf,0\n-Inf,1,1\n"), data.CSVConfig{AllowNonFinite: true})
		}
		if err != nil {
			t.Fatalf("%v: %v", dt, err)
		}
		var x []float64
		if dt == tensor.Float32 {
			for _, v := range d.X().Float32s() {
				x = append(x, float64(v))
			}
		} else {
			x = d.X().Float64s()
		}
		if !math.IsNaN(x[0]) || !math.IsInf(x[1], 1) || !math.IsInf(x[2], -1) {
			t.Errorf("%v: x = %v, want [NaN +Inf -Inf ...]", dt, x)
		}
	}
}

// FuzzReadCSV checks that no table makes ReadCSV panic, that what it accepts is a
// Dataset that keeps the Source contract with the shapes, classes and (unless
// allowed) finite values it promises, and that float32 and float64 agree. Run it with
// go test -run '^$' -fuzz FuzzReadCSV ./train/data/.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"sepal, petal ,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3,6.0,virginica\n",
		"1;2;3\n4;5;6\n", "a,y\n1,2\n2,0\n", "a,b\n1,\n", "a,b\nz,1\n", "a,b\n1,2,3\n", "", "a,b\n",
		"a,b,y\n1,NaN,0\n", "a,y\n1e39,0\n", "a,b,y\n\"1\",2,\"x\ny\"\n3,4,z\n", "a,y\n-Inf,999\n",
	} {
		f.Add(s, byte(','), false, false, false, false)
	}
	f.Add("1;2;3\n4;5;6\n", byte(';'), true, true, false, true)
	f.Fuzz(func(t *testing.T, text string, comma byte, noHeader, regression, allow, f64 bool) {
		cfg := data.CSVConfig{NoHeader: noHeader, Regression: regression, AllowNonFinite: allow, Comma: rune(comma)}
		if f64 {
			cfg.DType = tensor.Float64
		}
		d, err := data.ReadCSV(strings.NewReader(text), cfg)
		other := cfg
		other.DType = tensor.Float64
		if f64 {
			other.DType = tensor.Float32
		}
		d2, err2 := data.ReadCSV(strings.NewReader(text), other)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "data: read csv") {
				t.Fatalf("error %q lacks the prefix", err)
			}
			if f64 && err2 == nil {
				t.Fatalf("float64 fails (%v), float32 reads it", err)
			}
			return
		}
		shape := d.X().Shape()
		if d.Len() < 1 || len(shape) != 2 || shape[0] != d.Len() || shape[1] < 1 {
			t.Fatalf("Len %d, X shape %v", d.Len(), shape)
		}
		xs := floats(d.X())
		for i, v := range xs {
			if !allow && (math.IsNaN(v) || math.IsInf(v, 0)) {
				t.Fatalf("x[%d] = %v without AllowNonFinite", i, v)
			}
		}
		if regression {
			if d.Classes() != 0 || d.Y() == nil || !slices.Equal(d.Y().Shape(), tensor.Shape{d.Len(), 1}) {
				t.Fatalf("regression: %d classes, Y %v", d.Classes(), d.Y())
			}
		} else {
			if d.Classes() < 1 || len(d.Labels()) != d.Len() {
				t.Fatalf("%d classes, %d labels for %d rows", d.Classes(), len(d.Labels()), d.Len())
			}
			if names := d.ClassNames(); names != nil && (len(names) != d.Classes() || !slices.IsSorted(names)) {
				t.Fatalf("class names %q for %d classes", names, d.Classes())
			}
		}
		if err := data.Check(d, 3); err != nil {
			t.Fatal(err)
		}
		if !f64 {
			if err2 != nil {
				t.Fatalf("float32 reads it, float64 fails: %v", err2)
			}
			for i, v := range floats(d2.X()) {
				if f := float64(float32(v)); f != xs[i] && !(math.IsNaN(f) && math.IsNaN(xs[i])) {
					t.Fatalf("x[%d]: float32 %v, float64 %v", i, xs[i], v)
				}
			}
		}
	})
}

// floats returns a float32 or float64 tensor's values as float64s.
func floats(t *tensor.Dense) []float64 {
	if t.Dtype() == tensor.Float64 {
		return t.Float64s()
	}
	out := make([]float64, 0, len(t.Float32s()))
	for _, v := range t.Float32s() {
		out = append(out, float64(v))
	}
	return out
}
