package data_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/train/data"
)

func rangeSet(t *testing.T, n int) *data.Dataset {
	t.Helper()
	xs := make([]float64, 2*n)
	labels := make([]int, n)
	for i := range n {
		xs[2*i], xs[2*i+1] = float64(i), float64(10*i)
		labels[i] = i % 3
	}
	d, err := data.New(tensor.New(tensor.WithShape(n, 2), tensor.WithBacking(xs)), labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// collect returns the first feature of every example streamed, batch by batch.
func collect(t *testing.T, s data.Source, bs int, rng *rand.Rand) [][]float64 {
	t.Helper()
	var out [][]float64
	for b, err := range s.Stream(bs, rng) {
		if err != nil {
			t.Fatal(err)
		}
		var row []float64
		x := b.X.Float64s()
		for i := 0; i < b.X.Shape()[0]; i++ {
			row = append(row, x[i*2])
		}
		out = append(out, row)
	}
	return out
}

// TestStreamMatchesBatches checks that Dataset.Stream yields the examples of
// Batches, in its order, for the same seed.
func TestStreamMatchesBatches(t *testing.T) {
	d := rangeSet(t, 11)
	got := collect(t, d, 4, rand.New(rand.NewPCG(3, 4)))
	idx, _ := data.Batches(11, 4, rand.New(rand.NewPCG(3, 4)), false)
	if len(got) != len(idx) {
		t.Fatalf("%d batches, want %d", len(got), len(idx))
	}
	for i := range idx {
		want := make([]float64, len(idx[i]))
		for j, k := range idx[i] {
			want[j] = float64(k)
		}
		if !slices.Equal(got[i], want) {
			t.Errorf("batch %d = %v, want %v", i, got[i], want)
		}
	}
	if fmt.Sprint(collect(t, d, 5, nil)) != "[[0 1 2 3 4] [5 6 7 8 9] [10]]" {
		t.Errorf("in order: %v", collect(t, d, 5, nil))
	}
	for _, err := range d.Stream(0, nil) {
		if err == nil || !strings.Contains(err.Error(), "batch size = 0") {
			t.Errorf("batch size 0: err = %v", err)
		}
	}
}

func TestNormalizeAndMeanStd(t *testing.T) {
	d := rangeSet(t, 5) // feature 0: 0..4 (mean 2, std sqrt 2), feature 1: 0..40
	mean, std, err := data.MeanStd(d)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(mean[0]-2) > 1e-12 || math.Abs(mean[1]-20) > 1e-12 || math.Abs(std[0]-math.Sqrt2) > 1e-12 || math.Abs(std[1]-10*math.Sqrt2) > 1e-12 {
		t.Fatalf("MeanStd = %v, %v", mean, std)
	}
	n, err := data.Normalize(d, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	for b, err := range n.Stream(5, nil) {
		if err != nil {
			t.Fatal(err)
		}
		x := b.X.Float64s()
		if math.Abs(x[0]+math.Sqrt2) > 1e-12 || math.Abs(x[9]-math.Sqrt2) > 1e-12 {
			t.Errorf("normalised %v", x)
		}
	}
	if d.X().Float64s()[9] != 40 {
		t.Error("Normalize changed the dataset's own tensor")
	}
	if _, err := data.Normalize(d, []float64{0}, []float64{0}); err == nil {
		t.Error("std 0: no error")
	}
	if _, err := data.Normalize(d, []float64{0, 0, 0}, []float64{1, 1, 1}); err == nil {
		t.Error("3 means for 2 features: no error")
	}
}

func TestOneHotTargets(t *testing.T) {
	s, err := data.OneHotTargets(rangeSet(t, 4))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(s.TargetShape()) != "[3]" {
		t.Errorf("TargetShape = %v", s.TargetShape())
	}
	for b, err := range s.Stream(4, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(b.T.Shape(), b.T.Float64s()) != "(4, 3) [1 0 0 0 1 0 0 0 1 1 0 0]" {
			t.Errorf("one-hot %v %v", b.T.Shape(), b.T.Float64s())
		}
	}
}

// TestPrefetch checks that prefetching yields the same batches as the source and
// that breaking out of the loop stops the goroutine.
func TestPrefetch(t *testing.T) {
	d := rangeSet(t, 103)
	p, err := data.Prefetch(d, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := collect(t, d, 10, rand.New(rand.NewPCG(1, 1)))
	got := collect(t, p, 10, rand.New(rand.NewPCG(1, 1)))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("prefetched %v\nwant %v", got, want)
	}
	before := runtime.NumGoroutine()
	for range 20 {
		for range p.Stream(10, nil) {
			break
		}
	}
	time.Sleep(10 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before+1 {
		t.Errorf("%d goroutines after 20 abandoned streams, %d before", after, before)
	}
	if _, err := data.Prefetch(d, 0); err == nil {
		t.Error("depth 0: no error")
	}
}

func TestReadCSV(t *testing.T) {
	text := "sepal, petal ,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3,6.0,virginica\n4.9,1.4,setosa\n"
	d, err := data.ReadCSV(strings.NewReader(text), data.CSVConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 4 || d.Classes() != 3 || fmt.Sprint(d.ClassNames()) != "[setosa versicolor virginica]" ||
		fmt.Sprint(d.Labels()) != "[0 1 2 0]" || d.DType() != tensor.Float32 || fmt.Sprint(d.X().Data()) != "[5.1 1.4 7 4.7 6.3 6 4.9 1.4]" {
		t.Errorf("iris-like: %d rows, %d classes %v, labels %v, x %v", d.Len(), d.Classes(), d.ClassNames(), d.Labels(), d.X().Data())
	}
	// Regression on a named column, float64, no header, semicolons.
	r, err := data.ReadCSV(strings.NewReader("1;2;3\n4;5;6\n"), data.CSVConfig{NoHeader: true, Target: "1", Regression: true, Comma: ';', DType: tensor.Float64})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r.X().Data(), r.Y().Data(), r.Y().Shape()) != "[1 3 4 6] [2 5] (2, 1)" {
		t.Errorf("regression: x %v y %v", r.X().Data(), r.Y().Data())
	}
	// Integer labels are kept as they are.
	c, err := data.ReadCSV(strings.NewReader("a,y\n1,2\n2,0\n"), data.CSVConfig{Features: []string{"a"}})
	if err != nil || c.Classes() != 3 || c.ClassNames() != nil {
		t.Errorf("integer labels: %v, %v", c, err)
	}
	for _, tc := range []struct{ text, want string }{
		{"a,b\n1,x\n", ""},
		{"a,b\n1,\n", `line 2, column "b": empty label`},
		{"a,b\nz,1\n", `line 2, column "a": "z" is not a number`},
		{"a,b\n1,2,3\n", "wrong number of fields"},
		{"", "no rows"},
		{"a,b\n", "no data rows"},
	} {
		_, err := data.ReadCSV(strings.NewReader(tc.text), data.CSVConfig{})
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.text, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.text, err, tc.want)
		}
	}
	if _, err := data.ReadCSV(strings.NewReader("a,b\n1,2\n"), data.CSVConfig{Target: "c"}); err == nil || !strings.Contains(err.Error(), `no column "c"`) {
		t.Errorf("unknown target: %v", err)
	}
}
