package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func TestBatch(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		// x[i] = (3i, 3i+1, 3i+2) as a (5, 3, 1) tensor; labels 4-i; y[i] = (2i, 2i+1).
		c, err := New(seq(dt, 5, 3, 1), []int{4, 3, 2, 1, 0}, 5)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewRegression(seq(dt, 5, 3, 1), seq(dt, 5, 2))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name         string
			d            *Dataset
			idx          []int
			xShape       tensor.Shape
			tShape       tensor.Shape
			wantX, wantT []float64
		}{
			{"labels", c, []int{2, 0}, tensor.Shape{2, 3, 1}, tensor.Shape{2},
				[]float64{6, 7, 8, 0, 1, 2}, []float64{2, 4}},
			{"labels batch 1", c, []int{4}, tensor.Shape{1, 3, 1}, tensor.Shape{1},
				[]float64{12, 13, 14}, []float64{0}},
			{"regression", r, []int{1, 4, 1}, tensor.Shape{3, 3, 1}, tensor.Shape{3, 2},
				[]float64{3, 4, 5, 12, 13, 14, 3, 4, 5}, []float64{2, 3, 8, 9, 2, 3}},
		} {
			t.Run(dt.String()+"/"+tc.name, func(t *testing.T) {
				x, tt := tc.d.NewBatch(len(tc.idx))
				if !slices.Equal(x.Shape(), tc.xShape) || !slices.Equal(tt.Shape(), tc.tShape) ||
					x.Dtype() != dt || tt.Dtype() != dt {
					t.Fatalf("NewBatch(%d) = %v %v, %v %v, want %v, %v of %v",
						len(tc.idx), x.Shape(), x.Dtype(), tt.Shape(), tt.Dtype(), tc.xShape, tc.tShape, dt)
				}
				if err := tc.d.Batch(tc.idx, x, tt); err != nil {
					t.Fatal(err)
				}
				if got := floats(x); !slices.Equal(got, tc.wantX) {
					t.Errorf("Batch(%v) x = %v, want %v", tc.idx, got, tc.wantX)
				}
				if got := floats(tt); !slices.Equal(got, tc.wantT) {
					t.Errorf("Batch(%v) t = %v, want %v", tc.idx, got, tc.wantT)
				}
			})
		}
	}
}

func TestBatchNilTargets(t *testing.T) {
	c, _ := New(seq(tensor.Float32, 3, 2), []int{0, 1, 0}, 2)
	x, _ := c.NewBatch(1)
	if err := c.Batch([]int{2}, x, nil); err != nil {
		t.Fatalf("Batch with nil t on a classification dataset: %v", err)
	}
	if got, want := floats(x), []float64{4, 5}; !slices.Equal(got, want) {
		t.Errorf("Batch x = %v, want %v", got, want)
	}
	r, _ := NewRegression(seq(tensor.Float32, 3, 2), seq(tensor.Float32, 3))
	if err := r.Batch([]int{2}, x, nil); err == nil {
		t.Error("Batch with nil t on a regression dataset: error = nil, want one")
	}
}

func TestBatchErrors(t *testing.T) {
	c, _ := New(seq(tensor.Float32, 4, 3), []int{0, 1, 2, 0}, 3)
	x2, t2 := c.NewBatch(2)
	x3, t3 := c.NewBatch(3)
	view, err := seq(tensor.Float32, 4, 3).Slice(tensorRange{0, 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		idx  []int
		x, t *tensor.Dense
		want string
	}{
		{"no indices", nil, x2, t2, "no indices"},
		{"index too big", []int{0, 4}, x2, t2, "index[1] = 4, want in [0, 4)"},
		{"negative index", []int{-1, 0}, x2, t2, "index[0] = -1"},
		{"nil x", []int{0, 1}, nil, t2, "x buffer is nil"},
		{"x too big", []int{0, 1}, x3, t2, "x buffer shape (3, 3), want [2 3]"},
		{"t too big", []int{0, 1}, x2, t3, "t buffer shape (3), want [2]"},
		{"x rank", []int{0, 1}, seq(tensor.Float32, 2, 3, 1), t2, "x buffer shape (2, 3, 1)"},
		{"x dtype", []int{0, 1}, seq(tensor.Float64, 2, 3), t2, "x buffer dtype float64, want float32"},
		{"t dtype", []int{0, 1}, x2, seq(tensor.Float64, 2), "t buffer dtype float64"},
		{"x view", []int{0, 1}, view.(*tensor.Dense), t2, "x buffer is a view"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Batch(tc.idx, tc.x, tc.t)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "data: batch: ") {
				t.Fatalf("Batch() error = %v, want one holding %q", err, tc.want)
			}
		})
	}
	if x, tt := c.NewBatch(0); x != nil || tt != nil {
		t.Errorf("NewBatch(0) = %v, %v, want nil, nil", x, tt)
	}
}

// tensorRange is a tensor.Slice selecting [start, end) with step 1.
type tensorRange struct{ start, end int }

func (r tensorRange) Start() int { return r.start }
func (r tensorRange) End() int   { return r.end }
func (r tensorRange) Step() int  { return 1 }

func TestBatches(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n, size   int
		dropLast  bool
		wantSizes []int
	}{
		{"exact", 6, 2, false, []int{2, 2, 2}},
		{"partial last", 7, 3, false, []int{3, 3, 1}},
		{"drop partial last", 7, 3, true, []int{3, 3}},
		{"dropLast, nothing to drop", 6, 3, true, []int{3, 3}},
		{"one batch bigger than n", 3, 10, false, []int{3}},
		{"batch size 1", 3, 1, false, []int{1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// In order without a generator.
			batches, err := Batches(tc.n, tc.size, nil, tc.dropLast)
			if err != nil {
				t.Fatal(err)
			}
			if got := sizes(batches); !slices.Equal(got, tc.wantSizes) {
				t.Fatalf("Batches(%d, %d, nil, %v) sizes = %v, want %v", tc.n, tc.size, tc.dropLast, got, tc.wantSizes)
			}
			for i, v := range slices.Concat(batches...) {
				if v != i {
					t.Fatalf("Batches(%d, %d, nil, %v) = %v, want 0, 1, 2, ... in order", tc.n, tc.size, tc.dropLast, batches)
				}
			}

			// Shuffled: a permutation (a subset of one with dropLast), the same for the same seed.
			shuffled, err := Batches(tc.n, tc.size, rand.New(rand.NewPCG(1, 2)), tc.dropLast)
			if err != nil {
				t.Fatal(err)
			}
			if got := sizes(shuffled); !slices.Equal(got, tc.wantSizes) {
				t.Fatalf("shuffled sizes = %v, want %v", got, tc.wantSizes)
			}
			all := slices.Concat(shuffled...)
			seen := make([]bool, tc.n)
			for _, v := range all {
				if v < 0 || v >= tc.n || seen[v] {
					t.Fatalf("shuffled batches %v are not part of a permutation of 0..%d", shuffled, tc.n-1)
				}
				seen[v] = true
			}
			again, _ := Batches(tc.n, tc.size, rand.New(rand.NewPCG(1, 2)), tc.dropLast)
			if !slices.Equal(all, slices.Concat(again...)) {
				t.Errorf("same seed gave %v then %v", shuffled, again)
			}
		})
	}

	// Appending to one batch must not overwrite the next.
	batches, _ := Batches(4, 2, nil, false)
	_ = append(batches[0], 99)
	if batches[1][0] != 2 {
		t.Errorf("appending to batch 0 changed batch 1 to %v", batches[1])
	}

	// Two epochs from one generator differ; 20! orders make a repeat negligible.
	rng := rand.New(rand.NewPCG(3, 4))
	e1, _ := Batches(20, 5, rng, false)
	e2, _ := Batches(20, 5, rng, false)
	if slices.Equal(slices.Concat(e1...), slices.Concat(e2...)) {
		t.Errorf("two epochs from one generator gave the same order %v", e1)
	}

	for _, tc := range []struct {
		n, size  int
		dropLast bool
		want     string
	}{
		{0, 2, false, "n = 0"},
		{5, 0, false, "batch size = 0"},
		{3, 4, true, "leaves no batch"},
	} {
		if _, err := Batches(tc.n, tc.size, nil, tc.dropLast); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Batches(%d, %d, nil, %v) error = %v, want one holding %q", tc.n, tc.size, tc.dropLast, err, tc.want)
		}
	}
}

func sizes(batches [][]int) []int {
	s := make([]int, len(batches))
	for i, b := range batches {
		s[i] = len(b)
	}
	return s
}

func TestBatchAllocs(t *testing.T) {
	d, _ := New(seq(tensor.Float32, 100, 784), make([]int, 100), 10)
	x, tt := d.NewBatch(32)
	batches, _ := Batches(100, 32, rand.New(rand.NewPCG(1, 1)), true)
	if a := testing.AllocsPerRun(100, func() {
		if err := d.Batch(batches[0], x, tt); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Batch allocates %v times per call, want 0", a)
	}
}

func BenchmarkBatch(b *testing.B) {
	for _, bs := range []int{32, 128, 512} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			b.Run(fmt.Sprintf("mnist/%v/batch=%d", dt, bs), func(b *testing.B) {
				const n = 2048
				d, err := New(seq(dt, n, 784), make([]int, n), 10)
				if err != nil {
					b.Fatal(err)
				}
				x, t := d.NewBatch(bs)
				batches, _ := Batches(n, bs, rand.New(rand.NewPCG(1, 1)), true)
				b.ReportAllocs()
				b.SetBytes(int64(bs * 784 * int(dt.Size())))
				i := 0
				for b.Loop() {
					if err := d.Batch(batches[i%len(batches)], x, t); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
