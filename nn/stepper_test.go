package nn_test

import (
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
)

// fullSequence returns Forward's hidden states for x (B, T, In), as float64s.
func fullSequence(t *testing.T, l nn.Layer, x *tensor.Dense) []float64 {
	t.Helper()
	g := graph.New(x.Dtype(), graph.Eval)
	in, _ := g.Input("x", x.Shape()...)
	out, err := l.Forward(g, in)
	if err != nil {
		t.Fatal(err)
	}
	m, err := graph.Compile(g, graph.Outputs(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(graph.Feeds{in: x}); err != nil {
		t.Fatal(err)
	}
	v, _ := m.Output(out)
	return asF64(v)
}

func asF64(t *tensor.Dense) []float64 {
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

// TestStepperMatchesForward: stepping through a sequence one step at a time gives
// the hidden states of Forward on the whole sequence, for the three layers in both
// dtypes; Reset starts over, SetState branches.
func TestStepperMatchesForward(t *testing.T) {
	const b, steps, in, hidden = 2, 5, 3, 4
	for _, dt := range []graph.DType{graph.Float64, graph.Float32} {
		s := graph.NewScope(dt, graph.Seed(4))
		lstm, _ := nn.NewLSTM(s.Sub("lstm"), nn.LSTMConfig{In: in, Hidden: hidden})
		gru, _ := nn.NewGRU(s.Sub("gru"), nn.GRUConfig{In: in, Hidden: hidden})
		rnn, _ := nn.NewRNN(s.Sub("rnn"), nn.RNNConfig{In: in, Hidden: hidden})
		tol := 1e-12
		if dt == graph.Float32 {
			tol = 1e-5
		}
		x := input(dt, b, steps, in)
		xs := asF64(x)
		for _, l := range []nn.Layer{lstm, gru, rnn} {
			want := fullSequence(t, l, x)
			st, err := nn.NewStepper(l, b)
			if err != nil {
				t.Fatal(err)
			}
			var mid []*tensor.Dense
			for pass := range 2 { // the second pass after Reset must repeat the first
				for step := range steps {
					xt := make([]float64, b*in)
					for i := range b {
						copy(xt[i*in:(i+1)*in], xs[(i*steps+step)*in:(i*steps+step+1)*in])
					}
					h, err := st.Step(tensorOf(dt, []int{b, in}, xt))
					if err != nil {
						t.Fatal(err)
					}
					got := asF64(h)
					for i := range b {
						for j := range hidden {
							w := want[(i*steps+step)*hidden+j]
							if d := math.Abs(got[i*hidden+j] - w); d > tol {
								t.Fatalf("%v %T pass %d step %d: h[%d][%d] = %v, Forward %v", dt, l, pass, step, i, j, got[i*hidden+j], w)
							}
						}
					}
					if step == 2 {
						mid = st.State()
					}
				}
				st.Reset()
			}
			// Branch: restore the state after step 2 and step 3 again.
			if err := st.SetState(mid...); err != nil {
				t.Fatal(err)
			}
			xt := make([]float64, b*in)
			for i := range b {
				copy(xt[i*in:(i+1)*in], xs[(i*steps+3)*in:(i*steps+4)*in])
			}
			h, _ := st.Step(tensorOf(dt, []int{b, 1, in}, xt))
			if d := math.Abs(asF64(h)[0] - want[3*hidden]); d > tol {
				t.Errorf("%v %T: after SetState step 3 gives %v, Forward %v", dt, l, asF64(h)[0], want[3*hidden])
			}
			st.Close()
		}
	}
	s := graph.NewScope(graph.Float64, graph.Seed(4))
	lstm, _ := nn.NewLSTM(s.Sub("l"), nn.LSTMConfig{In: 3, Hidden: 4})
	lin, _ := nn.NewLinear(s.Sub("fc"), nn.LinearConfig{In: 3, Out: 4})
	if _, err := nn.NewStepper(lin, 1); err == nil || !strings.Contains(err.Error(), "not an *LSTM") {
		t.Errorf("Linear: err = %v", err)
	}
	if _, err := nn.NewStepper(lstm, 0); err == nil {
		t.Error("batch 0: no error")
	}
	st, _ := nn.NewStepper(lstm, 2)
	if _, err := st.Step(tensorOf(graph.Float64, []int{2, 5}, make([]float64, 10))); err == nil || !strings.Contains(err.Error(), `lstm "l"`) {
		t.Errorf("wrong width: err = %v", err)
	}
	if err := st.SetState(tensorOf(graph.Float64, []int{2, 4}, make([]float64, 8))); err == nil {
		t.Error("SetState with one tensor for an LSTM: no error")
	}
}

func tensorOf(dt graph.DType, shape []int, v []float64) *tensor.Dense {
	if dt == graph.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float64(nil), v...)))
}
