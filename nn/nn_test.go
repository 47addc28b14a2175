package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var dtypes = []graph.DType{graph.Float64, graph.Float32}

// randTensor returns a seeded N(0,1) tensor (values in float64, rounded to dt).
func randTensor(dt graph.DType, seed uint64, shape ...int) *tensor.Dense {
	r := rand.New(rand.NewPCG(seed, 42))
	n := 1
	for _, d := range shape {
		n *= d
	}
	if dt == graph.Float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// checkLayerGrad runs ops.CheckGrad on l's output with respect to its input x and every
// Param.
func checkLayerGrad(t *testing.T, dt graph.DType, l Layer, x *tensor.Dense) {
	t.Helper()
	build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := graph.New(dt, graph.Train)
		xn, err := g.Input("x", x.Shape()...)
		if err != nil {
			return nil, nil, err
		}
		if err := gorgonia.Let(xn, x); err != nil {
			return nil, nil, err
		}
		out, err := Forward(l, g, xn)
		if err != nil {
			return nil, nil, err
		}
		wrt := []*gorgonia.Node{xn}
		for _, p := range l.Params() {
			n, err := g.Node(p)
			if err != nil {
				return nil, nil, err
			}
			wrt = append(wrt, n)
		}
		return out, wrt, nil
	}
	if _, err := ops.CheckGrad(build, ops.CheckConfig{}); err != nil {
		t.Fatal(err)
	}
}

func TestLinearGradient(t *testing.T) {
	shapes := []struct{ n, in, out int }{{4, 3, 5}, {1, 3, 2}, {5, 1, 1}, {2, 7, 1}}
	for _, dt := range dtypes {
		for _, sh := range shapes {
			for _, noBias := range []bool{false, true} {
				name := dt.String() + "/" + fmt.Sprint(sh)
				if noBias {
					name += "/nobias"
				}
				t.Run(name, func(t *testing.T) {
					s := graph.NewScope(dt, graph.Seed(2))
					l, err := NewLinear(s.Sub("fc"), LinearConfig{In: sh.in, Out: sh.out, NoBias: noBias})
					if err != nil {
						t.Fatal(err)
					}
					checkLayerGrad(t, dt, l, randTensor(dt, 5, sh.n, sh.in))
				})
			}
		}
	}
}

func TestActivationGradients(t *testing.T) {
	acts := []Activation{ReLU, LeakyReLU(0.1), Sigmoid, Tanh, GELU, GELUTanh, SiLU, Softmax, LogSoftmax}
	for _, dt := range dtypes {
		for _, a := range acts {
			for _, shape := range [][]int{{3, 4}, {1, 5}, {6, 1}} {
				t.Run(dt.String()+"/"+fmt.Sprint(a)+"/"+fmt.Sprint(shape), func(t *testing.T) {
					x := randTensor(dt, 9, shape...)
					nudgeFromZero(x) // ReLU's kink at 0 has no derivative
					checkLayerGrad(t, dt, a, x)
				})
			}
		}
	}
}

// nudgeFromZero moves values within 0.05 of 0 away from it, so that a finite difference
// never straddles a kink.
func nudgeFromZero(x *tensor.Dense) {
	switch d := x.Data().(type) {
	case []float64:
		for i, v := range d {
			if math.Abs(v) < 0.05 {
				d[i] = 0.1
			}
		}
	case []float32:
		for i, v := range d {
			if math.Abs(float64(v)) < 0.05 {
				d[i] = 0.1
			}
		}
	}
}

func TestActivationValues(t *testing.T) {
	x := []float64{-2, -0.5, 0, 0.5, 3}
	cases := []struct {
		act  Activation
		want func(v float64) float64
	}{
		{ReLU, func(v float64) float64 { return math.Max(v, 0) }},
		{LeakyReLU(0.1), func(v float64) float64 {
			if v > 0 {
				return v
			}
			return 0.1 * v
		}},
		{Sigmoid, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{Tanh, math.Tanh},
	}
	for _, c := range cases {
		got := runForward(t, graph.Float64, c.act, tensor.New(tensor.WithShape(1, 5), tensor.WithBacking(append([]float64(nil), x...))))
		for i, v := range x {
			if math.Abs(got[i]-c.want(v)) > 1e-12 {
				t.Errorf("%s(%v) = %v, want %v", c.act, v, got[i], c.want(v))
			}
		}
	}
	// Softmax rows sum to 1; log-softmax is its log; both are stable at ±1000.
	big := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1000, 1000, -1000, 1, 2, 3}))
	sm := runForward(t, graph.Float64, Softmax, big.Clone().(*tensor.Dense))
	lsm := runForward(t, graph.Float64, LogSoftmax, big)
	want := []float64{0.5, 0.5, 0, 0.09003057317038046, 0.24472847105479764, 0.6652409557748219}
	for i := range want {
		if math.Abs(sm[i]-want[i]) > 1e-12 {
			t.Errorf("softmax[%d] = %v, want %v", i, sm[i], want[i])
		}
		if want[i] > 0 && math.Abs(lsm[i]-math.Log(want[i])) > 1e-9 {
			t.Errorf("log_softmax[%d] = %v, want %v", i, lsm[i], math.Log(want[i]))
		}
	}
	if want := -2000 - math.Ln2; math.Abs(lsm[2]-want) > 1e-9 {
		t.Errorf("log_softmax of -1000 next to two 1000s = %v, want %v", lsm[2], want)
	}
}

func runForward(t *testing.T, dt graph.DType, l Layer, x *tensor.Dense) []float64 {
	t.Helper()
	g := graph.New(dt, graph.Eval)
	xn, err := g.Input("x", x.Shape()...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Forward(l, g, xn)
	if err != nil {
		t.Fatal(err)
	}
	m, err := graph.Compile(g, graph.Outputs(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(graph.Feeds{xn: x}); err != nil {
		t.Fatal(err)
	}
	o, _ := m.Output(out)
	return toF64(o.Data())
}

func toF64(d any) []float64 {
	switch v := d.(type) {
	case float64:
		return []float64{v}
	case float32:
		return []float64{float64(v)}
	case []float64:
		return append([]float64(nil), v...)
	case []float32:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}

// TestLinearValues uses hand-set weights (1, 2, 3, ...) so the output can be computed
// by hand.
func TestLinearValues(t *testing.T) {
	for _, dt := range dtypes {
		s := graph.NewScope(dt)
		l, err := NewLinear(s.Sub("fc"), LinearConfig{In: 2, Out: 3})
		if err != nil {
			t.Fatal(err)
		}
		_ = l.Weight.SetValues([]float64{1, 2, 3, 4, 5, 6}) // rows: input 0, input 1
		_ = l.Bias.SetValues([]float64{0.5, -1, 2})
		x := randTensor(dt, 1, 2, 2)
		if err := setData(x, []float64{1, 1, 2, -1}); err != nil {
			t.Fatal(err)
		}
		got := runForward(t, dt, l, x)
		// [1 1]·W = [5 7 9] + b = [5.5 6 11]; [2 -1]·W = [-2 -1 0] + b = [-1.5 -2 2].
		want := []float64{5.5, 6, 11, -1.5, -2, 2}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%v: linear = %v, want %v", dt, got, want)
			}
		}
	}
}

func setData(x *tensor.Dense, v []float64) error {
	switch d := x.Data().(type) {
	case []float64:
		copy(d, v)
	case []float32:
		for i := range d {
			d[i] = float32(v[i])
		}
	}
	return nil
}

func TestLinearDefaultInitIsPyTorchs(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(3))
	l, _ := NewLinear(s.Sub("fc"), LinearConfig{In: 400, Out: 300})
	bound := 1 / math.Sqrt(400)
	var maxAbs float64
	for _, v := range append(l.Weight.Float64s(), l.Bias.Float64s()...) {
		maxAbs = math.Max(maxAbs, math.Abs(v))
	}
	if maxAbs > bound || maxAbs < 0.95*bound {
		t.Fatalf("max |w| = %v, want just under 1/sqrt(in) = %v", maxAbs, bound)
	}
}

func TestLayerErrors(t *testing.T) {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	if _, err := NewLinear(s.Sub("bad"), LinearConfig{In: 3, Out: 0}); err == nil ||
		err.Error() != `nn: linear "bad": Out = 0, want > 0` {
		t.Fatalf("Out = 0: err = %v", err)
	}
	model, err := NewSequential(s.Sub("mlp"), LinearConfig{In: 784, Out: 16, Activation: ReLU}, LinearConfig{In: 16, Out: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSequential(s.Sub("mlp"), LinearConfig{In: 784, Out: 16}); err == nil ||
		!strings.Contains(err.Error(), `"mlp/0/weight" already exists`) {
		t.Fatalf("second model in the same scope: err = %v", err)
	}
	// An item that is not a LayerConfig (42) no longer compiles; a nil one is an error.
	if _, err := NewSequential(s.Sub("x"), nil); err == nil || !strings.Contains(err.Error(), "layer 0 is nil") {
		t.Fatalf("bad item: err = %v", err)
	}
	g := graph.New(graph.Float32, graph.Train)
	x, _ := g.Input("x", 7, 3)
	_, err = model.Forward(g, x)
	if err == nil {
		t.Fatal("wrong input width: no error")
	}
	for _, want := range []string{`linear "mlp/0"`, "(7, 3)", "want (N, 784)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// Losses with mismatched shapes are errors too, never panics.
	out, _ := g.Input("out", 7, 10)
	tgt, _ := g.Input("t", 7, 3)
	if _, err := MSE(g, out, tgt); err == nil || !strings.Contains(err.Error(), "(7, 10)") {
		t.Errorf("MSE shapes: err = %v", err)
	}
	if _, err := SoftmaxCrossEntropy(g, out, tgt); err == nil || !strings.Contains(err.Error(), "want (N, C) and (N)") {
		t.Errorf("cross-entropy shapes: err = %v", err)
	}
	if _, err := BCEWithLogits(g, out, tgt); err == nil {
		t.Error("BCE shapes: no error")
	}
}

func TestLossGradients(t *testing.T) {
	for _, dt := range dtypes {
		for _, shape := range [][]int{{4, 3}, {1, 5}, {6, 1}} {
			name := dt.String() + "/" + fmt.Sprint(shape)
			n, c := shape[0], shape[1]
			labels := make([]float64, n)
			for i := range labels {
				labels[i] = float64((i * 7) % c)
			}
			probs := randTensor(dt, 4, shape...)
			mapData(probs, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }) // BCE targets in (0,1)
			cases := []struct {
				name   string
				loss   Loss
				target *tensor.Dense
			}{
				{"mse", MSE, randTensor(dt, 3, shape...)},
				{"softmax_xent", SoftmaxCrossEntropy, fromF64(dt, labels, n)},
				{"bce", BCEWithLogits, probs},
			}
			for _, lc := range cases {
				t.Run(name+"/"+lc.name, func(t *testing.T) {
					out := randTensor(dt, 8, shape...)
					build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
						g := graph.New(dt, graph.Train)
						o, _ := g.Input("out", out.Shape()...)
						tg, _ := g.Input("target", lc.target.Shape()...)
						_ = gorgonia.Let(o, out)
						_ = gorgonia.Let(tg, lc.target)
						l, err := lc.loss(g, o, tg)
						return l, []*gorgonia.Node{o}, err
					}
					if _, err := ops.CheckGrad(build, ops.CheckConfig{}); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

func mapData(x *tensor.Dense, f func(float64) float64) {
	switch d := x.Data().(type) {
	case []float64:
		for i, v := range d {
			d[i] = f(v)
		}
	case []float32:
		for i, v := range d {
			d[i] = float32(f(float64(v)))
		}
	}
}

func fromF64(dt graph.DType, v []float64, shape ...int) *tensor.Dense {
	if dt == graph.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

// TestLossValues compares the losses with values computed by hand.
func TestLossValues(t *testing.T) {
	g := graph.New(graph.Float64, graph.Eval)
	out, _ := g.Input("out", 2, 3)
	lab, _ := g.Input("labels", 2)
	tgt, _ := g.Input("target", 2, 3)
	mse, err := MSE(g, out, tgt)
	if err != nil {
		t.Fatal(err)
	}
	xent, err := SoftmaxCrossEntropy(g, out, lab)
	if err != nil {
		t.Fatal(err)
	}
	bce, err := BCEWithLogits(g, out, tgt)
	if err != nil {
		t.Fatal(err)
	}
	m, err := graph.Compile(g, graph.Outputs(mse, xent, bce))
	if err != nil {
		t.Fatal(err)
	}
	o := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 1000, 0, -1000}))
	l := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{2, 1}))
	tg := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 0, 1, 1, 0, 0}))
	if err := m.Run(graph.Feeds{out: o, lab: l, tgt: tg}); err != nil {
		t.Fatal(err)
	}
	val := func(n *gorgonia.Node) float64 {
		b, _ := m.Output(n)
		return toF64(b.Data())[0]
	}
	// mse: (0 + 4 + 4 + 998001 + 0 + 1e6)/6.
	wantMSE := (0 + 4 + 4 + 999*999 + 0 + 1e6) / 6.0
	// row 0: logsumexp(1,2,3) - 3 = 0.40760596444437; row 1: 1000 - 0 = 1000.
	wantXent := (0.40760596444437 + 1000) / 2
	// bce: sum of softplus(x) - x*t over the six elements, / 6.
	sp := func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }
	wantBCE := (sp(1) - 1 + sp(2) + sp(3) - 3 + sp(1000) - 1000 + sp(0) + sp(-1000)) / 6
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"mse", val(mse), wantMSE}, {"xent", val(xent), wantXent}, {"bce", val(bce), wantBCE}} {
		if math.Abs(c.got-c.want) > 1e-9*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s = %.15g, want %.15g", c.name, c.got, c.want)
		}
	}
}
