package ops

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bnNodes adds x, gamma, beta, runningMean and runningVar to g, bound to seeded
// values: x in [-2, 3), gamma in [0.5, 2), beta in [-1, 1), running mean in [-1, 1)
// and running variance in [0.5, 2).
func bnNodes(g *gorgonia.ExprGraph, dt tensor.Dtype, shape []int) []*gorgonia.Node {
	c := shape[1]
	return []*gorgonia.Node{
		newInput(g, dt, "x", shape, uniform(1, size(shape), -2, 3)),
		newInput(g, dt, "gamma", []int{c}, uniform(2, c, 0.5, 2)),
		newInput(g, dt, "beta", []int{c}, uniform(3, c, -1, 1)),
		newInput(g, dt, "running_mean", []int{c}, uniform(4, c, -1, 1)),
		newInput(g, dt, "running_var", []int{c}, uniform(5, c, 0.5, 2)),
	}
}

var bnShapesTested = [][]int{
	{4, 3},       // BatchNorm1D on (N, C)
	{2, 3, 5},    // BatchNorm1D on (N, C, L)
	{2, 2, 3, 4}, // BatchNorm2D, non-square
	{1, 2, 3, 3}, // batch 1: the spatial values alone make the statistics
	{3, 1, 2, 1}, // one channel
	{2, 1},       // two values per channel, the fewest training allows
}

// TestBatchNormGrad checks the gradients with respect to x, gamma and beta in both
// modes. In training every run also updates the running statistics; the check still
// holds because the output depends only on the batch statistics.
func TestBatchNormGrad(t *testing.T) {
	for _, training := range []bool{true, false} {
		for _, dt := range dtypes {
			for _, shape := range bnShapesTested {
				t.Run(fmt.Sprintf("training=%t/%v/%v", training, dt, shape), func(t *testing.T) {
					checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
						g := gorgonia.NewGraph()
						in := bnNodes(g, dt, shape)
						y, err := BatchNorm(in[0], in[1], in[2], in[3], in[4],
							BatchNormOptions{Momentum: 0.1, Eps: 1e-5, Training: training})
						return y, in[:3], err
					})
				})
			}
		}
	}
}

// runBN runs BatchNorm once on bound tensors and returns y.
func runBN(t *testing.T, x, gamma, beta, rm, rv *tensor.Dense, cfg BatchNormOptions) []float64 {
	t.Helper()
	vals, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
		var ns []*gorgonia.Node
		for i, v := range []*tensor.Dense{x, gamma, beta, rm, rv} {
			ns = append(ns, gorgonia.NewTensor(g, v.Dtype(), v.Dims(), gorgonia.WithShape(v.Shape()...),
				gorgonia.WithName(bnArgNames[i]), gorgonia.WithValue(v)))
		}
		y, err := BatchNorm(ns[0], ns[1], ns[2], ns[3], ns[4], cfg)
		return []*gorgonia.Node{y}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return vals[0]
}

// TestBatchNormRunningStats checks values worked out by hand. One channel holding
// 1, 2, 3, 4: batch mean 2.5, biased variance 1.25, unbiased 5/3.
func TestBatchNormRunningStats(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			x := newDense(dt, []int{4, 1}, []float64{1, 2, 3, 4})
			gamma := newDense(dt, []int{1}, []float64{2})
			beta := newDense(dt, []int{1}, []float64{0.5})
			rm := newDense(dt, []int{1}, []float64{0})
			rv := newDense(dt, []int{1}, []float64{1})
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-6
			}

			y := runBN(t, x, gamma, beta, rm, rv, BatchNormOptions{Momentum: 0.1, Eps: 1e-5, Training: true})
			inv := 1 / math.Sqrt(1.25+1e-5)
			want := []float64{2*-1.5*inv + 0.5, 2*-0.5*inv + 0.5, 2*0.5*inv + 0.5, 2*1.5*inv + 0.5}
			if ok, msg := closeTo(y, want, tol, tol); !ok {
				t.Errorf("training output: %s", msg)
			}
			// running = 0.9*running + 0.1*batch, with the unbiased variance.
			wantRM, wantRV := 0.25, 0.9+0.1*5.0/3
			if ok, msg := closeTo(toF64s(t, rm), []float64{wantRM}, tol, tol); !ok {
				t.Errorf("running mean after one step: %s", msg)
			}
			if ok, msg := closeTo(toF64s(t, rv), []float64{wantRV}, tol, tol); !ok {
				t.Errorf("running var after one step: %s", msg)
			}

			// Evaluation uses the running statistics and leaves them alone.
			before := append(toF64s(t, rm), toF64s(t, rv)...)
			y = runBN(t, x, gamma, beta, rm, rv, BatchNormOptions{Momentum: 0.1, Eps: 1e-5})
			inv = 1 / math.Sqrt(wantRV+1e-5)
			for i, v := range []float64{1, 2, 3, 4} {
				want[i] = 2*(v-wantRM)*inv + 0.5
			}
			if ok, msg := closeTo(y, want, tol, tol); !ok {
				t.Errorf("evaluation output: %s", msg)
			}
			if ok, _ := closeTo(append(toF64s(t, rm), toF64s(t, rv)...), before, 0, 0); !ok {
				t.Errorf("evaluation changed the running statistics: %v %v", rm.Data(), rv.Data())
			}

			// Momentum 1 replaces the running statistics with the batch's; FreezeStats
			// keeps them (PyTorch's momentum 0; Momentum 0 means the default 0.1).
			runBN(t, x, gamma, beta, rm, rv, BatchNormOptions{FreezeStats: true, Eps: 1e-5, Training: true})
			if ok, _ := closeTo(append(toF64s(t, rm), toF64s(t, rv)...), []float64{wantRM, wantRV}, tol, tol); !ok {
				t.Errorf("FreezeStats changed the running statistics: %v %v", rm.Data(), rv.Data())
			}
			runBN(t, x, gamma, beta, rm, rv, BatchNormOptions{Momentum: 1, Eps: 1e-5, Training: true})
			if ok, msg := closeTo(append(toF64s(t, rm), toF64s(t, rv)...), []float64{2.5, 5.0 / 3}, tol, tol); !ok {
				t.Errorf("momentum 1: %s", msg)
			}
		})
	}
}

func toF64s(t *testing.T, d *tensor.Dense) []float64 {
	t.Helper()
	v, err := toFloat64s(d)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBatchNormHash checks that ops differing in any field are different nodes.
func TestBatchNormHash(t *testing.T) {
	g := gorgonia.NewGraph()
	in := bnNodes(g, tensor.Float64, []int{2, 3})
	cfgs := []BatchNormOptions{
		{Momentum: 0.1, Eps: 1e-5, Training: true},
		{Momentum: 0.1, Eps: 1e-5},
		{Momentum: 0.11, Eps: 1e-5, Training: true},
		{Momentum: 0.1, Eps: 1.1e-5, Training: true},
	}
	seen := map[*gorgonia.Node]int{}
	for i, cfg := range cfgs {
		y, err := BatchNorm(in[0], in[1], in[2], in[3], in[4], cfg)
		if err != nil {
			t.Fatal(err)
		}
		if j, dup := seen[y]; dup {
			t.Errorf("config %+v merged with config %+v", cfg, cfgs[j])
		}
		seen[y] = i
	}
}

func TestBatchNormErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	in := bnNodes(g, tensor.Float64, []int{2, 3})
	ok := BatchNormOptions{Momentum: 0.1, Eps: 1e-5, Training: true}
	one := newInput(g, tensor.Float64, "one", []int{1, 3}, uniform(9, 3, 0, 1))
	wrongC := newInput(g, tensor.Float64, "wrong_c", []int{2, 4}, uniform(9, 8, 0, 1))
	vec := newInput(g, tensor.Float64, "vec", []int{3}, uniform(9, 3, 0, 1))
	f32 := newInput(g, tensor.Float32, "f32", []int{3}, uniform(9, 3, 0, 1))
	cases := []struct {
		name string
		args []*gorgonia.Node
		cfg  BatchNormOptions
		want string
	}{
		{"momentum", in, BatchNormOptions{Momentum: 1.5, Eps: 1e-5}, "Momentum = 1.5, want in [0, 1]"},
		{"negative momentum", in, BatchNormOptions{Momentum: -0.1}, "Momentum = -0.1, want in [0, 1]"},
		{"eps", in, BatchNormOptions{Momentum: 0.1, Eps: -1}, "Eps = -1, want finite and > 0"},
		{"infinite eps", in, BatchNormOptions{Eps: math.Inf(1)}, "Eps = +Inf, want finite and > 0"},
		{"one value per channel", []*gorgonia.Node{one, in[1], in[2], in[3], in[4]}, ok, "more than one value per channel"},
		{"channels", []*gorgonia.Node{wrongC, in[1], in[2], in[3], in[4]}, ok, "want (4)"},
		{"1-D x", []*gorgonia.Node{vec, in[1], in[2], in[3], in[4]}, ok, "want (N, C, ...)"},
		{"dtype", []*gorgonia.Node{in[0], f32, in[2], in[3], in[4]}, ok, "gamma has dtype float32"},
		{"nil", []*gorgonia.Node{in[0], in[1], nil, in[3], in[4]}, ok, "beta is nil"},
	}
	for _, c := range cases {
		_, err := BatchNorm(c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
	// One value per channel is fine in evaluation (PyTorch agrees).
	if _, err := BatchNorm(one, in[1], in[2], in[3], in[4], BatchNormOptions{Momentum: 0.1, Eps: 1e-5}); err != nil {
		t.Errorf("evaluation with batch 1: %v", err)
	}
}

// TestBatchNormParallel checks that a tensor large enough to be split over goroutines
// gives bit for bit the same output, gradients and running statistics as the serial
// loop (GOMAXPROCS 1).
func TestBatchNormParallel(t *testing.T) {
	shape := []int{8, 5, 32, 33} // 5 channels of 8448 values: above the parallel threshold
	run := func(procs int) [][]float64 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var out [][]float64
		for _, training := range []bool{true, false} {
			vals, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
				in := bnNodes(g, tensor.Float32, shape)
				y, err := BatchNorm(in[0], in[1], in[2], in[3], in[4], BatchNormOptions{Momentum: 0.1, Eps: 1e-5, Training: training})
				if err != nil {
					return nil, err
				}
				w := newInput(g, tensor.Float32, "w", shape, uniform(6, size(shape), -1, 1))
				prod, err := gorgonia.HadamardProd(y, w)
				if err != nil {
					return nil, err
				}
				loss, err := gorgonia.Sum(prod)
				if err != nil {
					return nil, err
				}
				grads, err := gorgonia.Grad(loss, in[:3]...)
				if err != nil {
					return nil, err
				}
				return append([]*gorgonia.Node{y, in[3], in[4]}, grads...), nil
			})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, vals...)
		}
		return out
	}
	serial, parallel := run(1), run(4)
	for i := range serial {
		if ok, msg := closeTo(parallel[i], serial[i], 0, 0); !ok {
			t.Errorf("value %d (y, running mean, running var, dx, dgamma, dbeta; training then eval): %s", i, msg)
		}
	}
}

// TestBatchNormLargeMean checks that a mean far larger than the spread does not cancel
// the variance: 1e8 + (1, 2, 3, 4) normalises like (1, 2, 3, 4).
func TestBatchNormLargeMean(t *testing.T) {
	one := func() *tensor.Dense { return newDense(tensor.Float64, []int{1}, []float64{1}) }
	zero := func() *tensor.Dense { return newDense(tensor.Float64, []int{1}, []float64{0}) }
	cfg := BatchNormOptions{Momentum: 0.1, Eps: 1e-5, Training: true}
	small := runBN(t, newDense(tensor.Float64, []int{4, 1}, []float64{1, 2, 3, 4}), one(), zero(), zero(), one(), cfg)
	large := runBN(t, newDense(tensor.Float64, []int{4, 1}, []float64{1e8 + 1, 1e8 + 2, 1e8 + 3, 1e8 + 4}), one(), zero(), zero(), one(), cfg)
	if ok, msg := closeTo(large, small, 1e-9, 1e-9); !ok {
		t.Errorf("1e8 + (1, 2, 3, 4): %s", msg)
	}
}

// TestBatchNormDefaults: zero options are PyTorch's defaults, bit for bit: Momentum 0
// updates the running statistics as 0.1 does, and Eps 0 normalises as 1e-5 does.
func TestBatchNormDefaults(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			run := func(o BatchNormOptions) []float64 {
				x := newDense(dt, []int{4, 2}, []float64{1, -2, 3, 0.5, 4, 7, -1, 2})
				gamma := newDense(dt, []int{2}, []float64{2, 0.5})
				beta := newDense(dt, []int{2}, []float64{0.5, -1})
				rm := newDense(dt, []int{2}, []float64{0, 1})
				rv := newDense(dt, []int{2}, []float64{1, 2})
				y := runBN(t, x, gamma, beta, rm, rv, o)
				return append(append(y, toF64s(t, rm)...), toF64s(t, rv)...)
			}
			for _, training := range []bool{true, false} {
				got := run(BatchNormOptions{Training: training})
				want := run(BatchNormOptions{Momentum: 0.1, Eps: 1e-5, Training: training})
				if ok, msg := closeTo(got, want, 0, 0); !ok {
					t.Errorf("training %v: zero options differ from momentum 0.1, eps 1e-5: %s", training, msg)
				}
			}
		})
	}
}

func TestBatchNormOptionsWithDefaults(t *testing.T) {
	for _, c := range []struct{ in, want BatchNormOptions }{
		{BatchNormOptions{}, BatchNormOptions{Momentum: 0.1, Eps: 1e-5}},
		{BatchNormOptions{Momentum: 1, Eps: 1e-3, Training: true, FreezeStats: true}, BatchNormOptions{Momentum: 1, Eps: 1e-3, Training: true, FreezeStats: true}},
	} {
		if got := c.in.WithDefaults(); got != c.want {
			t.Errorf("%+v.WithDefaults() = %+v, want %+v", c.in, got, c.want)
		}
	}
}
