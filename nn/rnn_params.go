package nn

import (
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds what RNN, LSTM and GRU share: their PyTorch-layout Params and the
// checks and zero initial states of their Run. The layers run ops.LSTM, ops.GRU and
// ops.RNN, each a fused op over the whole sequence.

// recurrentParams are the Params of one recurrent layer in PyTorch's layout: gates
// stacked along the rows of weight_ih (gates*H, In) and weight_hh (gates*H, H).
type recurrentParams struct {
	wih, whh, bih, bhh *graph.Param
}

// newRecurrentParams validates the sizes and creates the Params "weight_ih",
// "weight_hh", "bias_ih", "bias_hh" (PyTorch's names without the "_l0" suffix), all
// drawn from init, which defaults to PyTorch's U(-1/sqrt(H), 1/sqrt(H)).
func newRecurrentParams(s *graph.Scope, kind string, gates, in, hidden int, noBias bool, init graph.Initializer) (recurrentParams, error) {
	name := s.Name()
	var p recurrentParams
	if in <= 0 {
		return p, errors.Errorf("nn: %s %q: In = %d, want > 0", kind, name, in)
	}
	if hidden <= 0 {
		return p, errors.Errorf("nn: %s %q: Hidden = %d, want > 0", kind, name, hidden)
	}
	if init == nil {
		k := 1 / math.Sqrt(float64(hidden))
		init = graph.Uniform{Low: -k, High: k}
	}
	gh := gates * hidden
	var err error
	if p.wih, err = s.Param("weight_ih", graph.Weight, []int{gh, in}, init); err != nil {
		return p, errors.Wrapf(err, "nn: %s %q", kind, name)
	}
	if p.whh, err = s.Param("weight_hh", graph.Weight, []int{gh, hidden}, init); err != nil {
		return p, errors.Wrapf(err, "nn: %s %q", kind, name)
	}
	if noBias {
		return p, nil
	}
	if p.bih, err = s.Param("bias_ih", graph.Bias, []int{gh}, init); err != nil {
		return p, errors.Wrapf(err, "nn: %s %q", kind, name)
	}
	if p.bhh, err = s.Param("bias_hh", graph.Bias, []int{gh}, init); err != nil {
		return p, errors.Wrapf(err, "nn: %s %q", kind, name)
	}
	return p, nil
}

func (p recurrentParams) list() []*graph.Param {
	if p.bih == nil {
		return []*graph.Param{p.wih, p.whh}
	}
	return []*graph.Param{p.wih, p.whh, p.bih, p.bhh}
}

// constNode returns a node of the graph's dtype holding vals (zeros when nil), a
// constant that gorgonia neither merges with another node (its name is made unique in
// the graph) nor asks to be fed: a bound input node that no Param owns.
func constNode(g *graph.Graph, name string, shape []int, vals []float64) *gorgonia.Node {
	t := tensor.New(tensor.WithShape(shape...), tensor.Of(g.DType()))
	switch d := t.Data().(type) {
	case []float64:
		copy(d, vals)
	case []float32:
		for i, v := range vals {
			d[i] = float32(v)
		}
	}
	return gorgonia.NewTensor(g.Expr(), g.DType(), len(shape), gorgonia.WithShape(shape...),
		gorgonia.WithName(g.UniqueName("const:"+name)), gorgonia.WithValue(t))
}

// nodes checks x (B, T, In) and the initial states (B, H), and returns the weight and
// bias nodes (the biases nil without) and the states, zeros where nil.
func (p recurrentParams) nodes(g *graph.Graph, kind, name string, x *gorgonia.Node, in, hidden int, states map[string]*gorgonia.Node, order ...string) (wih, whh, bih, bhh *gorgonia.Node, st []*gorgonia.Node, err error) {
	if x == nil {
		return nil, nil, nil, nil, nil, errors.Errorf("nn: %s %q: nil input", kind, name)
	}
	shp := x.Shape()
	if len(shp) != 3 || shp[2] != in {
		return nil, nil, nil, nil, nil, errors.Errorf("nn: %s %q: input shape %v, want (batch, time, %d)", kind, name, shp, in)
	}
	batch := shp[0]
	wrap := func(err error) error { return errors.Wrapf(err, "nn: %s %q", kind, name) }
	if wih, err = g.Node(p.wih); err != nil {
		return nil, nil, nil, nil, nil, wrap(err)
	}
	if whh, err = g.Node(p.whh); err != nil {
		return nil, nil, nil, nil, nil, wrap(err)
	}
	for _, what := range order {
		s := states[what]
		if s == nil {
			s = constNode(g, kind+"/"+name+"/zero_"+what, []int{batch, hidden}, nil)
		} else if ss := s.Shape(); len(ss) != 2 || ss[0] != batch || ss[1] != hidden {
			return nil, nil, nil, nil, nil, errors.Errorf("nn: %s %q: initial %s shape %v, want (%d, %d)", kind, name, what, ss, batch, hidden)
		}
		st = append(st, s)
	}
	if p.bih == nil {
		return wih, whh, nil, nil, st, nil
	}
	if bih, err = g.Node(p.bih); err != nil {
		return nil, nil, nil, nil, nil, wrap(err)
	}
	if bhh, err = g.Node(p.bhh); err != nil {
		return nil, nil, nil, nil, nil, wrap(err)
	}
	return wih, whh, bih, bhh, st, nil
}
