package nn

import (
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds what RNN, LSTM and GRU share: their PyTorch-layout Params, and
// graph helpers that attention uses too. The layers themselves are fused ops over the
// whole sequence (rnn_op.go).

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

// slice1 is gorgonia.Slice, fixed for results of one element: gorgonia's slice op
// then returns a scalar value although the node's shape is (1, 1), and the next op
// fails; a reshape to the node's own shape makes it a tensor again.
//
// gorgonia's slice op hashes its bounds as bytes, so slices of one node at offsets
// that differ by 256 are merged into one node: slice through a reshape that keeps
// every index below 256 (attention splits W_q, W_k, W_v through (3, E, E)).
func slice1(n *gorgonia.Node, slices ...tensor.Slice) (*gorgonia.Node, error) {
	s, err := gorgonia.Slice(n, slices...)
	if err != nil || s.Shape().TotalSize() != 1 {
		return s, err
	}
	return gorgonia.Reshape(s, s.Shape().Clone())
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
