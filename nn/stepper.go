package nn

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
)

// Stepper runs a recurrent layer (*LSTM, *GRU or *RNN) one time step at a time and
// carries its state between calls: stateful inference, for generation or streaming,
// where PyTorch would pass (h, c) back into the module by hand. It traces and
// compiles the layer once, for one step of a batch of the given size, in evaluation
// mode, so a step costs one run of a small compiled graph.
//
//	st, err := nn.NewStepper(lstm, 1)
//	for _, x := range inputs { // each (1, In)
//		h, err := st.Step(x)   // (1, Hidden), the state moves on
//	}
//	st.Reset() // back to zero state
//
// Stepping through a sequence gives the hidden states Forward gives for the whole
// sequence (to rounding: one step's input product is a GEMM of its own).
// A Stepper is not safe for concurrent use; the layer's params are read at every
// step, so training between steps is seen by the next one.
type Stepper struct {
	layer Layer
	batch int
	m     *graph.Machine
	x     *gorgonia.Node
	in    []*gorgonia.Node // the state inputs: h0 (and c0 for an LSTM)
	out   []*gorgonia.Node // the new states, in the same order
	state []*tensor.Dense
}

// NewStepper returns a Stepper for l (an *LSTM, *GRU or *RNN) over batches of batch
// sequences, starting from zero state.
func NewStepper(l Layer, batch int) (*Stepper, error) {
	if batch <= 0 {
		return nil, errors.Errorf("nn: NewStepper: batch %d, want > 0", batch)
	}
	var in, hidden int
	var dt graph.DType
	switch r := l.(type) {
	case *LSTM:
		in, hidden = r.In, r.Hidden
		dt = r.WeightIH.DType()
	case *GRU:
		in, hidden = r.In, r.Hidden
		dt = r.WeightIH.DType()
	case *RNN:
		in, hidden = r.In, r.Hidden
		dt = r.WeightIH.DType()
	default:
		return nil, errors.Errorf("nn: NewStepper: %s is not an *LSTM, *GRU or *RNN", label(l))
	}
	g := graph.New(dt, graph.Eval)
	s := &Stepper{layer: l, batch: batch}
	var err error
	if s.x, err = g.Input("x", batch, 1, in); err != nil {
		return nil, errors.Wrap(err, "nn: NewStepper")
	}
	states := 1
	if _, ok := l.(*LSTM); ok {
		states = 2
	}
	for i := range states {
		n, err := g.Input([]string{"h0", "c0"}[i], batch, hidden)
		if err != nil {
			return nil, errors.Wrap(err, "nn: NewStepper")
		}
		s.in = append(s.in, n)
		s.state = append(s.state, tensor.New(tensor.Of(dt), tensor.WithShape(batch, hidden)))
	}
	if err := s.trace(g); err != nil {
		return nil, errors.Wrapf(err, "nn: NewStepper: %s", label(l))
	}
	if s.m, err = graph.Compile(g, graph.Outputs(s.out...)); err != nil {
		return nil, errors.Wrapf(err, "nn: NewStepper: %s", label(l))
	}
	return s, nil
}

// trace builds one step, recovering a panic into an error.
func (s *Stepper) trace(g *graph.Graph) (err error) {
	defer graph.Recover(&err)
	switch r := s.layer.(type) {
	case *LSTM:
		_, h, c, err := r.Run(g, s.x, s.in[0], s.in[1])
		s.out = []*gorgonia.Node{h, c}
		return err
	case *GRU:
		_, h, err := r.Run(g, s.x, s.in[0])
		s.out = []*gorgonia.Node{h}
		return err
	case *RNN:
		_, h, err := r.Run(g, s.x, s.in[0])
		s.out = []*gorgonia.Node{h}
		return err
	}
	return nil
}

// Step feeds one time step, x of shape (batch, In) (or (batch, 1, In)), and returns
// the new hidden state, (batch, Hidden), a tensor the caller owns.
func (s *Stepper) Step(x *tensor.Dense) (*tensor.Dense, error) {
	if x == nil {
		return nil, errors.New("nn: Stepper.Step: nil input")
	}
	want := s.x.Shape()
	shp := x.Shape()
	switch {
	case shp.Eq(want):
	case shp.Dims() == 2 && shp[0] == want[0] && shp[1] == want[2]:
		v := x.ShallowClone()
		if err := v.Reshape(want...); err != nil {
			return nil, errors.Wrap(err, "nn: Stepper.Step")
		}
		x = v
	default:
		return nil, errors.Errorf("nn: Stepper.Step: %s: input shape %v, want (%d, %d)", label(s.layer), shp, want[0], want[2])
	}
	if x.Dtype() != s.state[0].Dtype() {
		return nil, errors.Errorf("nn: Stepper.Step: %s: input dtype %v, the layer's %v", label(s.layer), x.Dtype(), s.state[0].Dtype())
	}
	feeds := graph.Feeds{s.x: x}
	for i, n := range s.in {
		feeds[n] = s.state[i]
	}
	if err := s.m.Run(feeds); err != nil {
		return nil, errors.Wrapf(err, "nn: Stepper.Step: %s", label(s.layer))
	}
	for i, n := range s.out {
		v, err := s.m.Output(n)
		if err != nil {
			return nil, errors.Wrap(err, "nn: Stepper.Step")
		}
		if err := tensor.Copy(s.state[i], v); err != nil {
			return nil, errors.Wrap(err, "nn: Stepper.Step")
		}
	}
	return s.state[0].Clone().(*tensor.Dense), nil
}

// Reset sets the state back to zeros (a new sequence).
func (s *Stepper) Reset() {
	for _, t := range s.state {
		t.Zero()
	}
}

// State returns copies of the current state: [h] for a GRU or RNN, [h, c] for an
// LSTM, each (batch, Hidden).
func (s *Stepper) State() []*tensor.Dense {
	out := make([]*tensor.Dense, len(s.state))
	for i, t := range s.state {
		out[i] = t.Clone().(*tensor.Dense)
	}
	return out
}

// SetState sets the state, as State returns it (to start from a prompt's state, or
// to branch a generation).
func (s *Stepper) SetState(state ...*tensor.Dense) error {
	if len(state) != len(s.state) {
		return errors.Errorf("nn: Stepper.SetState: %d tensors, want %d", len(state), len(s.state))
	}
	for i, t := range state {
		if t == nil || !t.Shape().Eq(s.state[i].Shape()) || t.Dtype() != s.state[i].Dtype() {
			return errors.Errorf("nn: Stepper.SetState: state %d is not a %v %v tensor", i, s.state[i].Dtype(), s.state[i].Shape())
		}
	}
	for i, t := range state {
		if err := tensor.Copy(s.state[i], t); err != nil {
			return errors.Wrap(err, "nn: Stepper.SetState")
		}
	}
	return nil
}

// Close releases the compiled step.
func (s *Stepper) Close() error { return s.m.Close() }
