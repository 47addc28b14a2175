package data

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// seq returns a tensor of dtype dt and the given shape holding 0, 1, 2, ... so that every
// copied value tells where it came from.
func seq(dt tensor.Dtype, shape ...int) *tensor.Dense {
	n := 1
	for _, s := range shape {
		n *= s
	}
	if dt == tensor.Float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// floats returns the values of a float32 or float64 tensor as float64s.
func floats(t *tensor.Dense) []float64 {
	switch v := t.Data().(type) {
	case []float32:
		out := make([]float64, len(v))
		for i, f := range v {
			out[i] = float64(f)
		}
		return out
	case []float64:
		return slices.Clone(v)
	}
	panic("floats: dtype " + t.Dtype().String())
}

func TestNewErrors(t *testing.T) {
	x := seq(tensor.Float32, 3, 2)
	ints := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]int{1, 2, 3, 4, 5, 6}))
	scalar := tensor.New(tensor.FromScalar(float32(1)))
	for _, tc := range []struct {
		name    string
		x       *tensor.Dense
		labels  []int
		classes int
		want    string
	}{
		{"nil x", nil, []int{0}, 2, "x is nil"},
		{"int dtype", ints, []int{0, 1, 0}, 2, "dtype int, want float32 or float64"},
		{"scalar", scalar, []int{0}, 2, "scalar"},
		{"zero classes", x, []int{0, 0, 0}, 0, "classes = 0, want >= 1"},
		{"too few labels", x, []int{0, 1}, 2, "2 labels for 3 examples"},
		{"too many labels", x, []int{0, 1, 1, 0}, 2, "4 labels for 3 examples"},
		{"negative label", x, []int{0, -1, 1}, 2, "label[1] = -1, want in [0, 2)"},
		{"label = classes", x, []int{0, 1, 2}, 2, "label[2] = 2, want in [0, 2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.x, tc.labels, tc.classes)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "data: ") {
				t.Fatalf("New() error = %v, want one holding %q", err, tc.want)
			}
		})
	}
}

func TestNewRegressionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, y *tensor.Dense
		want string
	}{
		{"nil y", seq(tensor.Float64, 3, 2), nil, "y is nil"},
		{"N differs", seq(tensor.Float64, 3, 2), seq(tensor.Float64, 4, 1), "differ in N (3 != 4)"},
		{"dtype differs", seq(tensor.Float64, 3, 2), seq(tensor.Float32, 3, 1), "x dtype float64, y dtype float32"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRegression(tc.x, tc.y)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewRegression() error = %v, want one holding %q", err, tc.want)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	c, err := New(seq(tensor.Float32, 4, 2, 3), []int{0, 1, 2, 0}, 3)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRegression(seq(tensor.Float64, 4, 5), seq(tensor.Float64, 4, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name            string
		d               *Dataset
		n, classes      int
		dt              tensor.Dtype
		feature, target []int
		hasLabels, hasY bool
	}{
		{"classification", c, 4, 3, tensor.Float32, []int{2, 3}, []int{}, true, false},
		{"regression", r, 4, 0, tensor.Float64, []int{5}, []int{2, 2}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.d
			if d.Len() != tc.n || d.Classes() != tc.classes || d.DType() != tc.dt {
				t.Errorf("Len, Classes, DType = %d, %d, %v, want %d, %d, %v",
					d.Len(), d.Classes(), d.DType(), tc.n, tc.classes, tc.dt)
			}
			if got := d.FeatureShape(); !slices.Equal(got, tc.feature) {
				t.Errorf("FeatureShape() = %v, want %v", got, tc.feature)
			}
			if got := d.TargetShape(); !slices.Equal(got, tc.target) {
				t.Errorf("TargetShape() = %v, want %v", got, tc.target)
			}
			if (d.Labels() != nil) != tc.hasLabels || (d.Y() != nil) != tc.hasY || d.X() == nil {
				t.Errorf("Labels() = %v, Y() = %v, want labels %v, y %v", d.Labels(), d.Y(), tc.hasLabels, tc.hasY)
			}
			// FeatureShape must be a copy: changing it must not change the dataset.
			d.FeatureShape()[0] = 99
			if got := d.FeatureShape(); !slices.Equal(got, tc.feature) {
				t.Errorf("FeatureShape() after changing a returned copy = %v, want %v", got, tc.feature)
			}
		})
	}
}

// A transposed input is materialized, so the dataset sees the values in logical order.
func TestNewMaterializesTransposed(t *testing.T) {
	x := seq(tensor.Float64, 2, 3) // [[0 1 2] [3 4 5]]
	if err := x.T(); err != nil {
		t.Fatal(err)
	}
	d, err := New(x, []int{0, 1, 0}, 2)
	if err != nil {
		t.Fatal(err)
	}
	bx, bt := d.NewBatch(3)
	if err := d.Batch([]int{0, 1, 2}, bx, bt); err != nil {
		t.Fatal(err)
	}
	if got, want := floats(bx), []float64{0, 3, 1, 4, 2, 5}; !slices.Equal(got, want) {
		t.Errorf("Batch of a transposed x = %v, want %v", got, want)
	}
}

func TestSubset(t *testing.T) {
	c, _ := New(seq(tensor.Float32, 4, 2), []int{0, 1, 2, 3}, 4)
	r, _ := NewRegression(seq(tensor.Float64, 4, 2), seq(tensor.Float64, 4, 1))
	for _, tc := range []struct {
		name       string
		d          *Dataset
		idx        []int
		wantX      []float64
		wantLabels []int
		wantY      []float64
	}{
		{"classification", c, []int{3, 1}, []float64{6, 7, 2, 3}, []int{3, 1}, nil},
		{"repeated index", c, []int{2, 2, 0}, []float64{4, 5, 4, 5, 0, 1}, []int{2, 2, 0}, nil},
		{"regression", r, []int{1, 3, 0}, []float64{2, 3, 6, 7, 0, 1}, nil, []float64{1, 3, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.d.Subset(tc.idx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != len(tc.idx) || s.Classes() != tc.d.Classes() || s.DType() != tc.d.DType() {
				t.Errorf("Subset Len, Classes, DType = %d, %d, %v", s.Len(), s.Classes(), s.DType())
			}
			if got := floats(s.X()); !slices.Equal(got, tc.wantX) {
				t.Errorf("Subset X = %v, want %v", got, tc.wantX)
			}
			if !slices.Equal(s.Labels(), tc.wantLabels) {
				t.Errorf("Subset Labels = %v, want %v", s.Labels(), tc.wantLabels)
			}
			if tc.wantY != nil {
				if got := floats(s.Y()); !slices.Equal(got, tc.wantY) {
					t.Errorf("Subset Y = %v, want %v", got, tc.wantY)
				}
			}
			// A copy: changing the subset leaves the original alone.
			floatsBefore := floats(tc.d.X())
			if s.DType() == tensor.Float32 {
				s.X().Float32s()[0] = -1
			} else {
				s.X().Float64s()[0] = -1
			}
			if !slices.Equal(floats(tc.d.X()), floatsBefore) {
				t.Error("changing a Subset changed the original dataset")
			}
		})
	}
	for _, idx := range [][]int{nil, {0, 4}, {-1}} {
		if _, err := c.Subset(idx); err == nil {
			t.Errorf("Subset(%v) error = nil, want one", idx)
		}
	}
}

func TestSplit(t *testing.T) {
	const n = 10
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % 3
	}
	d, _ := New(seq(tensor.Float64, n, 1), labels, 3) // x[i] = i identifies example i
	for _, tc := range []struct {
		frac   float64
		na, nb int
	}{
		{0.8, 8, 2},
		{0.5, 5, 5},
		{0.14, 1, 9}, // round(1.4) = 1
		{0.25, 3, 7}, // round(2.5) = 3: halves round away from zero
	} {
		a, b, err := d.Split(tc.frac, 7)
		if err != nil {
			t.Fatalf("Split(%v) error: %v", tc.frac, err)
		}
		if a.Len() != tc.na || b.Len() != tc.nb {
			t.Errorf("Split(%v) sizes = %d, %d, want %d, %d", tc.frac, a.Len(), b.Len(), tc.na, tc.nb)
		}
		// Together the parts hold every example once, each with its own label.
		seen := append(floats(a.X()), floats(b.X())...)
		got := slices.Clone(seen)
		slices.Sort(got)
		for i, v := range got {
			if v != float64(i) {
				t.Fatalf("Split(%v) examples = %v, want a permutation of 0..%d", tc.frac, seen, n-1)
			}
		}
		gotLabels := append(slices.Clone(a.Labels()), b.Labels()...)
		for i, v := range seen {
			if gotLabels[i] != labels[int(v)] {
				t.Errorf("Split(%v): example %v has label %d, want %d", tc.frac, v, gotLabels[i], labels[int(v)])
			}
		}
		// Same seed, same split; another seed, (almost surely) another split.
		a2, _, _ := d.Split(tc.frac, 7)
		if !slices.Equal(floats(a.X()), floats(a2.X())) {
			t.Errorf("Split(%v) with the same seed differs: %v, %v", tc.frac, floats(a.X()), floats(a2.X()))
		}
	}
	a7, _, _ := d.Split(0.5, 7)
	a8, _, _ := d.Split(0.5, 8)
	if slices.Equal(floats(a7.X()), floats(a8.X())) {
		t.Errorf("Split with seeds 7 and 8 gave the same part %v", floats(a7.X()))
	}
	// 0.95 and 0.01 of 10 round to parts of 10 and 0 examples.
	for _, frac := range []float64{0, 1, -0.5, 1.5, math.NaN(), 0.95, 0.01} {
		if _, _, err := d.Split(frac, 1); err == nil {
			t.Errorf("Split(%v) of %d examples error = nil, want one", frac, n)
		}
	}
}

func TestOneHot(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			got, err := OneHot([]int{2, 0, 1}, 3, dt)
			if err != nil {
				t.Fatal(err)
			}
			want := []float64{0, 0, 1, 1, 0, 0, 0, 1, 0}
			if !slices.Equal(got.Shape(), tensor.Shape{3, 3}) || got.Dtype() != dt || !slices.Equal(floats(got), want) {
				t.Errorf("OneHot = %v %v %v, want (3, 3) %v %v", got.Shape(), got.Dtype(), floats(got), dt, want)
			}
		})
	}
	for _, tc := range []struct {
		name    string
		labels  []int
		classes int
		dt      tensor.Dtype
	}{
		{"no labels", nil, 3, tensor.Float32},
		{"zero classes", []int{0}, 0, tensor.Float32},
		{"label too big", []int{3}, 3, tensor.Float32},
		{"negative label", []int{-1}, 3, tensor.Float32},
		{"int dtype", []int{0}, 3, tensor.Int},
	} {
		if _, err := OneHot(tc.labels, tc.classes, tc.dt); err == nil {
			t.Errorf("OneHot %s: error = nil, want one", tc.name)
		}
	}
}
