package nn

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestBatchNormGradient(t *testing.T) {
	cases := []struct {
		name string
		dims int
		x    []int
	}{
		{"1d_NC", 1, []int{4, 3}},
		{"1d_NCL", 1, []int{2, 3, 4}},
		{"1d_two_rows_one_channel", 1, []int{2, 1}},
		{"2d", 2, []int{2, 2, 3, 4}},
		{"2d_batch1", 2, []int{1, 2, 2, 3}},
	}
	for _, mode := range []graph.Mode{graph.Train, graph.Eval} {
		for _, dt := range dtypes {
			for _, c := range cases {
				t.Run(fmt.Sprintf("%v/%v/%s", mode, dt, c.name), func(t *testing.T) {
					l := newTestBN(t, dt, c.dims, c.x[1])
					checkModeGrad(t, dt, mode, l, randTensor(dt, 3, c.x...))
				})
			}
		}
	}
}

// newTestBN returns a BatchNorm whose scale, shift and running statistics are not the
// defaults (1, 0, 0, 1), so that every term of the gradient is exercised.
func newTestBN(t *testing.T, dt graph.DType, dims, c int) *BatchNorm {
	t.Helper()
	s := graph.NewScope(dt, graph.Seed(9))
	var l *BatchNorm
	var err error
	if dims == 1 {
		l, err = NewBatchNorm1D(s.Sub("bn"), BatchNorm1DConfig{Features: c})
	} else {
		l, err = NewBatchNorm2D(s.Sub("bn"), BatchNorm2DConfig{Features: c})
	}
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range l.Params() {
		vals := make([]float64, c)
		for j := range vals {
			vals[j] = 0.5 + 0.3*float64(i) + 0.2*float64(j)
		}
		_ = p.SetValues(vals)
	}
	return l
}

// TestBatchNormGolden compares two training steps (output, gradients and running
// statistics after each) and one evaluation step with PyTorch, and checks that the
// evaluation leaves the running statistics unchanged.
func TestBatchNormGolden(t *testing.T) {
	for _, c := range loadGolden(t, "bn.json") {
		for _, dt := range dtypes {
			t.Run(dt.String()+"/"+c.Name, func(t *testing.T) {
				s := graph.NewScope(dt)
				cfg := BatchNormConfig{Features: cfgInt(c.Config, "features"),
					Momentum: c.Config["momentum"].(float64), Eps: c.Config["eps"].(float64)}
				var l *BatchNorm
				var err error
				if c.Config["kind"] == "1d" {
					l, err = NewBatchNorm1D(s.Sub("m"), BatchNorm1DConfig(cfg))
				} else {
					l, err = NewBatchNorm2D(s.Sub("m"), BatchNorm2DConfig(cfg))
				}
				if err != nil {
					t.Fatal(err)
				}
				model := goldenModel{layer: l, scope: s, prefix: "m/"}
				if err := model.load(c); err != nil {
					t.Fatal(err)
				}
				train, err := newGoldenRunner(dt, graph.Train, model, c.Steps[0].X.Shape)
				if err != nil {
					t.Fatal(err)
				}
				tol := goldenTol[dt]
				for k, st := range c.Steps {
					train.run(t, dt, st)
					compareGolden(t, fmt.Sprintf("step %d running_mean", k+1), paramF64(l.RunningMean), st.RunningMean.Data, tol)
					compareGolden(t, fmt.Sprintf("step %d running_var", k+1), paramF64(l.RunningVar), st.RunningVar.Data, tol)
				}
				before := append(paramF64(l.RunningMean), paramF64(l.RunningVar)...)
				eval, err := newGoldenRunner(dt, graph.Eval, model, c.Eval.X.Shape)
				if err != nil {
					t.Fatal(err)
				}
				eval.run(t, dt, *c.Eval)
				if after := append(paramF64(l.RunningMean), paramF64(l.RunningVar)...); !equalF64(before, after) {
					t.Errorf("an evaluation run changed the running statistics: %v, then %v", before, after)
				}
			})
		}
	}
}

// TestBatchNormState checks that the running statistics are Params of kind State,
// listed by Params (so that whatever saves a model's Params saves them), initialised
// to 0 and 1, untrainable, updated by every run of a Train graph and never by an
// Eval graph, and shared by the graphs of the model.
func TestBatchNormState(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	l, err := NewBatchNorm2D(s.Sub("bn"), BatchNorm2DConfig{Features: 2})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range l.Params() {
		names = append(names, fmt.Sprintf("%s:%v:%t", p.Name(), p.Kind(), p.Trainable()))
	}
	want := "bn/weight:weight:true bn/bias:bias:true bn/running_mean:state:false bn/running_var:state:false"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("params %s, want %s", got, want)
	}
	if len(s.Params()) != 4 {
		t.Errorf("scope holds %d params, want 4", len(s.Params()))
	}
	if fmt.Sprint(l.RunningMean.Float64s(), l.RunningVar.Float64s(), l.Weight.Float64s(), l.Bias.Float64s()) != "[0 0] [1 1] [1 1] [0 0]" {
		t.Errorf("initial values %v %v %v %v", l.RunningMean.Float64s(), l.RunningVar.Float64s(), l.Weight.Float64s(), l.Bias.Float64s())
	}
	if l.RunningMean.Grad() != nil || l.RunningMean.SetTrainable(true) == nil {
		t.Error("running mean has a gradient or can be made trainable")
	}
	x := randTensor(graph.Float64, 4, 3, 2, 2, 2)
	machine := func(mode graph.Mode) (*graph.Machine, *gorgonia.Node) {
		g := graph.New(graph.Float64, mode)
		xn, _ := g.Input("x", 3, 2, 2, 2)
		y, err := l.Forward(g, xn)
		if err != nil {
			t.Fatal(err)
		}
		loss, _ := gorgonia.Sum(y)
		opts := []graph.CompileOption{graph.Loss(loss)}
		if mode == graph.Eval {
			opts = append(opts, graph.ForwardOnly())
		}
		m, err := graph.Compile(g, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return m, xn
	}
	// Building the eval machine first must not disturb the training one later
	// (gorgonia's own BatchNorm resets its statistics when a machine is built).
	eval, ex := machine(graph.Eval)
	train, tx := machine(graph.Train)
	snapshot := func() string { return fmt.Sprint(l.RunningMean.Float64s(), l.RunningVar.Float64s()) }
	s0 := snapshot()
	if err := eval.Run(graph.Feeds{ex: x}); err != nil {
		t.Fatal(err)
	}
	if s1 := snapshot(); s1 != s0 {
		t.Fatalf("an Eval run changed the running statistics: %s -> %s", s0, s1)
	}
	if err := train.Run(graph.Feeds{tx: x}); err != nil {
		t.Fatal(err)
	}
	s2 := snapshot()
	if s2 == s0 {
		t.Fatal("a Train run left the running statistics unchanged")
	}
	if err := train.Run(graph.Feeds{tx: x}); err != nil {
		t.Fatal(err)
	}
	s3 := snapshot()
	if s3 == s2 {
		t.Fatal("a second Train run left the running statistics unchanged")
	}
	if err := eval.Run(graph.Feeds{ex: x}); err != nil {
		t.Fatal(err)
	}
	if s4 := snapshot(); s4 != s3 {
		t.Fatalf("an Eval run after training changed the running statistics: %s -> %s", s3, s4)
	}
}

func TestBatchNormErrors(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	bad := []struct {
		cfg  BatchNormConfig
		want string
	}{
		{BatchNormConfig{}, `nn: batchnorm2d "bad": Features = 0, want > 0`},
		{BatchNormConfig{Features: 2, Momentum: 1.5}, "Momentum = 1.5, want in [0, 1]"},
		{BatchNormConfig{Features: 2, Momentum: -0.1}, "Momentum = -0.1"},
		{BatchNormConfig{Features: 2, Eps: -1}, "Eps = -1, want finite and > 0"},
	}
	for _, b := range bad {
		if _, err := NewBatchNorm2D(s.Sub("bad"), BatchNorm2DConfig(b.cfg)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: err = %v, want %q", b.cfg, err, b.want)
		}
	}
	bn1, _ := NewBatchNorm1D(s.Sub("bn1"), BatchNorm1DConfig{Features: 3})
	bn2, _ := NewBatchNorm2D(s.Sub("bn2"), BatchNorm2DConfig{Features: 3})
	if bn1.Momentum != 0.1 || bn1.Eps != 1e-5 {
		t.Errorf("defaults: momentum %v, eps %v, want 0.1, 1e-5", bn1.Momentum, bn1.Eps)
	}
	g := graph.New(graph.Float32, graph.Train)
	x4, _ := g.Input("x4", 2, 3, 2, 2)
	x2, _ := g.Input("x2", 2, 4)
	one, _ := g.Input("one", 1, 3)
	for _, c := range []struct {
		l    *BatchNorm
		x    *gorgonia.Node
		want string
	}{
		{bn1, x4, `batchnorm1d "bn1": input shape (2, 3, 2, 2), want (N, 3) or (N, 3, L)`},
		{bn1, x2, "input shape (2, 4), want (N, 3) or (N, 3, L)"},
		{bn2, x2, `batchnorm2d "bn2": input shape (2, 4), want (N, 3, H, W)`},
		{bn1, one, "training needs more than one value per channel"},
	} {
		if _, err := c.l.Forward(g, c.x); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
	// Batch 1 of (N, C) is fine in evaluation.
	ge := graph.New(graph.Float32, graph.Eval)
	onee, _ := ge.Input("one", 1, 3)
	if _, err := bn1.Forward(ge, onee); err != nil {
		t.Errorf("eval on (1, 3): %v", err)
	}
}

// paramF64 returns a copy of p's values as float64s.
func paramF64(p *graph.Param) []float64 { return toF64(p.Value().Data()) }

// TestBatchNormFreezeStats: with FreezeStats a training graph normalises with the
// batch's statistics but leaves the running ones unchanged.
func TestBatchNormFreezeStats(t *testing.T) {
	for _, freeze := range []bool{false, true} {
		s := graph.NewScope(graph.Float64)
		bn, err := NewBatchNorm1D(s.Sub("bn"), BatchNorm1DConfig{Features: 2, FreezeStats: freeze})
		if err != nil {
			t.Fatal(err)
		}
		g := graph.New(graph.Float64, graph.Train)
		x, _ := g.Input("x", 3, 2)
		y, err := Forward(bn, g, x)
		if err != nil {
			t.Fatal(err)
		}
		m, err := graph.Compile(g, graph.Outputs(y))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(graph.Feeds{x: tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 9}))}); err != nil {
			t.Fatal(err)
		}
		out, _ := m.Output(y)
		if got := out.Float64s()[0]; math.Abs(got+1.2247) > 1e-3 { // (1-3)/sqrt(8/3+1e-5)
			t.Errorf("FreezeStats %v: y[0] = %v, want about -1.2247 (batch statistics)", freeze, got)
		}
		rm := paramF64(bn.RunningMean)
		if unchanged := rm[0] == 0 && rm[1] == 0; unchanged != freeze {
			t.Errorf("FreezeStats %v: running mean %v", freeze, rm)
		}
		m.Close()
	}
}
