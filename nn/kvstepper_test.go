package nn_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
)

// kvStack returns a 2-layer Sequential of causal TransformerEncoderLayers (Embed 8,
// Heads 2, FF 13 and 5, the second with Eps 1e-3), with every param random (biases
// non-zero, norm weights near 1), so that each param matters.
func kvStack(tb testing.TB, dt graph.DType, seed int64) *nn.Sequential {
	tb.Helper()
	s := graph.NewScope(dt, graph.Seed(uint64(seed)))
	seq, err := nn.NewSequential(s.Sub("enc"),
		nn.TransformerEncoderLayerConfig{Embed: 8, Heads: 2, FF: 13, Causal: true, Dropout: 0.1},
		nn.TransformerEncoderLayerConfig{Embed: 8, Heads: 2, FF: 5, Causal: true, Eps: 1e-3})
	if err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewSource(seed))
	for _, p := range seq.Params() {
		v := make([]float64, p.Size())
		norm := strings.Contains(p.Name(), "norm") && strings.HasSuffix(p.Name(), "weight")
		for i := range v {
			v[i] = r.Float64() - 0.5
			if norm {
				v[i] += 1
			}
		}
		if err := p.SetValues(v); err != nil {
			tb.Fatal(err)
		}
	}
	return seq
}

// kvForward returns causal Forward's output for x (B, T, Embed), as float64s, from a
// forward-only Eval graph.
func kvForward(tb testing.TB, l nn.Layer, x *tensor.Dense) []float64 {
	tb.Helper()
	g := graph.New(x.Dtype(), graph.Eval)
	in, err := g.Input("x", x.Shape()...)
	if err != nil {
		tb.Fatal(err)
	}
	y, err := nn.Forward(l, g, in)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := graph.Compile(g, graph.ForwardOnly(), graph.Outputs(y))
	if err != nil {
		tb.Fatal(err)
	}
	defer m.Close()
	if err := m.Run(graph.Feeds{in: x}); err != nil {
		tb.Fatal(err)
	}
	out, err := m.Output(y)
	if err != nil {
		tb.Fatal(err)
	}
	return kvF64(out)
}

func kvF64(t *tensor.Dense) []float64 {
	switch d := t.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	return nil
}

func kvTensor(dt graph.DType, shape []int, v []float64) *tensor.Dense {
	if dt == graph.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}

// kvAt returns position t of x (B, T, E) as a (B, E) slice.
func kvAt(x []float64, b, steps, e, t int) []float64 {
	out := make([]float64, b*e)
	for i := range b {
		copy(out[i*e:(i+1)*e], x[(i*steps+t)*e:(i*steps+t+1)*e])
	}
	return out
}

// TestTransformerStepperMatchesForward: stepping a 2-layer causal stack position by
// position gives, at every position (the later ones need the cache of all earlier
// ones), the output of Forward on the whole sequence, in both dtypes; after Reset the
// same again. A fresh stepper fed position t alone must differ there (the cache
// matters).
func TestTransformerStepperMatchesForward(t *testing.T) {
	const b, steps, e = 2, 7, 8
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		tol := 1e-12
		if dt == graph.Float32 {
			tol = 1e-5
		}
		seq := kvStack(t, dt, 5)
		r := rand.New(rand.NewSource(9))
		seqs := make([][]float64, 2)
		wants := make([][]float64, 2)
		for k := range seqs {
			seqs[k] = make([]float64, b*steps*e)
			for i := range seqs[k] {
				seqs[k][i] = 2*r.Float64() - 1
			}
			wants[k] = kvForward(t, seq, kvTensor(dt, []int{b, steps, e}, seqs[k]))
		}
		st, err := nn.NewTransformerStepper(seq, b, steps)
		if err != nil {
			t.Fatal(err)
		}
		var maxAbs, maxRel float64
		// Sequences 0, 1, 0 with a Reset between: a cache left over from the previous
		// sequence would show.
		for pass, k := range []int{0, 1, 0} {
			xs, want := seqs[k], wants[k]
			for step := range steps {
				y, err := st.Step(kvTensor(dt, []int{b, e}, kvAt(xs, b, steps, e, step)))
				if err != nil {
					t.Fatal(err)
				}
				if s := y.Shape(); len(s) != 2 || s[0] != b || s[1] != e || y.Dtype() != dt {
					t.Fatalf("%v: Step returns %v %v, want %v (%d, %d)", dt, y.Dtype(), s, dt, b, e)
				}
				if st.Len() != step+1 {
					t.Fatalf("%v: Len() = %d after step %d, want %d", dt, st.Len(), step, step+1)
				}
				got := kvF64(y)
				w := kvAt(want, b, steps, e, step)
				scale := 0.0
				for _, v := range w {
					scale = max(scale, math.Abs(v))
				}
				for i := range got {
					d := math.Abs(got[i] - w[i])
					maxAbs, maxRel = max(maxAbs, d), max(maxRel, d/scale)
					if d > tol*scale {
						t.Fatalf("%v pass %d position %d: y[%d][%d] = %v, Forward %v (|diff| %.3g, scale %.3g)",
							dt, pass, step, i/e, i%e, got[i], w[i], d, scale)
					}
				}
				if step > 0 && pass == 0 {
					// Without the cache position step would see itself only.
					fresh, _ := nn.NewTransformerStepper(seq, b, 1)
					alone, err := fresh.Step(kvTensor(dt, []int{b, e}, kvAt(xs, b, steps, e, step)))
					if err != nil {
						t.Fatal(err)
					}
					var diff float64
					for i, v := range kvF64(alone) {
						diff = max(diff, math.Abs(v-w[i]))
					}
					if diff < 1e-3 {
						t.Fatalf("%v position %d: the output without the cache is Forward's too (diff %g): the test checks nothing", dt, step, diff)
					}
				}
			}
			st.Reset()
			if st.Len() != 0 {
				t.Fatalf("%v: Len() = %d after Reset", dt, st.Len())
			}
		}
		t.Logf("%v: max |step - Forward| = %.3g, relative to the position's max |y| %.3g", dt, maxAbs, maxRel)
	}
}

// TestTransformerStepperSingleLayer: a lone causal layer (not in a Sequential) also
// steps to its Forward, with (batch, 1, Embed) inputs and batch 1.
func TestTransformerStepperSingleLayer(t *testing.T) {
	const steps, e = 4, 6
	s := graph.NewScope(graph.Float64, graph.Seed(3))
	l, err := nn.NewTransformerEncoderLayer(s.Sub("l"), nn.TransformerEncoderLayerConfig{Embed: e, Heads: 3, Causal: true})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(4))
	for _, p := range l.Params() {
		v := make([]float64, p.Size())
		for i := range v {
			v[i] = r.Float64() - 0.5
		}
		_ = p.SetValues(v)
	}
	xs := make([]float64, steps*e)
	for i := range xs {
		xs[i] = r.NormFloat64()
	}
	want := kvForward(t, l, kvTensor(graph.Float64, []int{1, steps, e}, xs))
	st, err := nn.NewTransformerStepper(l, 1, steps)
	if err != nil {
		t.Fatal(err)
	}
	for step := range steps {
		y, err := st.Step(kvTensor(graph.Float64, []int{1, 1, e}, xs[step*e:(step+1)*e]))
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range kvF64(y) {
			if w := want[step*e+i]; math.Abs(v-w) > 1e-12*max(1, math.Abs(w)) {
				t.Fatalf("position %d: y[%d] = %v, Forward %v", step, i, v, w)
			}
		}
	}
}

func TestTransformerStepperErrors(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(2))
	plain, _ := nn.NewTransformerEncoderLayer(s.Sub("plain"), nn.TransformerEncoderLayerConfig{Embed: 4, Heads: 2})
	causal, _ := nn.NewTransformerEncoderLayer(s.Sub("causal"), nn.TransformerEncoderLayerConfig{Embed: 4, Heads: 2, Causal: true})
	wide, _ := nn.NewTransformerEncoderLayer(s.Sub("wide"), nn.TransformerEncoderLayerConfig{Embed: 6, Heads: 2, Causal: true})
	lstm, _ := nn.NewLSTM(s.Sub("lstm"), nn.LSTMConfig{In: 4, Hidden: 4})
	lin, _ := nn.NewLinear(s.Sub("fc"), nn.LinearConfig{In: 4, Out: 4})
	mixed, _ := nn.NewSequential(s.Sub("mixed"), nn.Use(causal), nn.Use(plain))
	withLinear, _ := nn.NewSequential(s.Sub("wl"), nn.Use(causal), nn.Use(lin))
	widths, _ := nn.NewSequential(s.Sub("widths"), nn.Use(causal), nn.Use(wide))
	for _, c := range []struct {
		name       string
		l          nn.Layer
		batch, max int
		want       string
	}{
		{"non-causal", plain, 1, 4, "not causal"},
		{"non-causal in a Sequential", mixed, 1, 4, `layer 1 (transformer "plain"): not causal`},
		{"LSTM", lstm, 1, 4, `lstm "lstm" is not a causal *TransformerEncoderLayer`},
		{"Linear in a Sequential", withLinear, 1, 4, `layer 1 (linear "fc") is not a *TransformerEncoderLayer`},
		{"widths", widths, 1, 4, "Embed 6, want 4"},
		{"nil", nil, 1, 4, "is not a causal"},
		{"batch 0", causal, 0, 4, "batch 0"},
		{"maxLen 0", causal, 1, 0, "maxLen 0"},
	} {
		if _, err := nn.NewTransformerStepper(c.l, c.batch, c.max); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
	st, err := nn.NewTransformerStepper(causal, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		x    *tensor.Dense
		want string
	}{
		{"nil", nil, "nil input"},
		{"wrong width", kvTensor(graph.Float64, []int{2, 5}, make([]float64, 10)), `transformer "causal": input shape (2, 5), want (2, 4)`},
		{"wrong batch", kvTensor(graph.Float64, []int{1, 4}, make([]float64, 4)), "want (2, 4)"},
		{"rank 3, T 2", kvTensor(graph.Float64, []int{2, 2, 4}, make([]float64, 16)), "want (2, 4)"},
		{"float32", kvTensor(graph.Float32, []int{2, 4}, make([]float64, 8)), "input dtype float32, the layers' float64"},
	} {
		if _, err := st.Step(c.x); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Step(%s): err = %v, want one containing %q", c.name, err, c.want)
		}
	}
	if st.Len() != 0 {
		t.Errorf("failed steps cached %d positions", st.Len())
	}
	x := kvTensor(graph.Float64, []int{2, 4}, []float64{1, 2, 3, 4, 5, 6, 7, 8})
	for range 2 {
		if _, err := st.Step(x); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Step(x); err == nil || !strings.Contains(err.Error(), "maxLen 2") {
		t.Errorf("past maxLen: err = %v", err)
	}
	if st.Len() != 2 {
		t.Errorf("Len() = %d after stepping past maxLen, want 2", st.Len())
	}
	st.Reset()
	if _, err := st.Step(x); err != nil {
		t.Errorf("after Reset: %v", err)
	}
}

// A 2-layer causal Transformer run one position at a time with a key/value cache:
// each step's output is the one Forward gives at that position for the whole
// sequence.
func ExampleTransformerStepper() {
	const batch, steps, embed = 1, 5, 8
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	stack, err := nn.NewSequential(s.Sub("gpt"),
		nn.TransformerEncoderLayerConfig{Embed: embed, Heads: 2, Causal: true},
		nn.TransformerEncoderLayerConfig{Embed: embed, Heads: 2, Causal: true})
	if err != nil {
		panic(err)
	}
	xs := make([]float64, batch*steps*embed)
	for i := range xs {
		xs[i] = math.Sin(float64(i))
	}

	// The whole sequence at once, in a graph.
	g := graph.New(graph.Float64, graph.Eval)
	in, _ := g.Input("x", batch, steps, embed)
	y, err := stack.Forward(g, in)
	if err != nil {
		panic(err)
	}
	m, err := graph.Compile(g, graph.ForwardOnly(), graph.Outputs(y))
	if err != nil {
		panic(err)
	}
	defer m.Close()
	if err := m.Run(graph.Feeds{in: tensor.New(tensor.WithShape(batch, steps, embed), tensor.WithBacking(xs))}); err != nil {
		panic(err)
	}
	out, _ := m.Output(y)
	want := out.Float64s()

	// One position at a time.
	st, err := nn.NewTransformerStepper(stack, batch, 16)
	if err != nil {
		panic(err)
	}
	same := true
	for t := range steps {
		x := tensor.New(tensor.WithShape(batch, embed), tensor.WithBacking(append([]float64(nil), xs[t*embed:(t+1)*embed]...)))
		yt, err := st.Step(x)
		if err != nil {
			panic(err)
		}
		for i, v := range yt.Float64s() {
			same = same && math.Abs(v-want[t*embed+i]) < 1e-12
		}
	}
	fmt.Println("cached positions:", st.Len())
	fmt.Println("every step equals Forward:", same)
	st.Reset()
	fmt.Println("after Reset:", st.Len())
	// Output:
	// cached positions: 5
	// every step equals Forward: true
	// after Reset: 0
}
