package data_test

import (
	"math"
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
