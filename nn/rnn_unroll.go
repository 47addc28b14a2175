package nn

import (
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds what RNN, LSTM and GRU share: their PyTorch-layout Params, and the
// unrolling of a batch-first sequence over time with gorgonia ops (RNN, GRU; LSTM is
// one fused op, lstm_op.go).

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

// unrolled is what every time step of a recurrent layer reads.
type unrolled struct {
	xs          []*gorgonia.Node // per step: x_t·W_ihᵀ + bias, (B, gates*H)
	whhT        *gorgonia.Node   // W_hhᵀ, (H, gates*H)
	bhh         *gorgonia.Node   // b_hh broadcast to (B, gates*H) when not folded into xs, else nil
	batch, time int
	hidden      int
}

// unroll checks x (B, T, In), computes the input projection of every step in one
// matrix product, and splits it by time. With foldBias, b_ih + b_hh is added to the
// projection (RNN, LSTM); otherwise only b_ih is, and bhh is returned for the step
// (GRU, whose candidate gate multiplies W_hn·h + b_hn by r).
func unroll(g *graph.Graph, kind, name string, x *gorgonia.Node, in, hidden, gates int, p recurrentParams, foldBias bool) (*unrolled, error) {
	if x == nil {
		return nil, errors.Errorf("nn: %s %q: nil input", kind, name)
	}
	shp := x.Shape()
	if len(shp) != 3 || shp[2] != in {
		return nil, errors.Errorf("nn: %s %q: input shape %v, want (batch, time, %d)", kind, name, shp, in)
	}
	u := &unrolled{batch: shp[0], time: shp[1], hidden: hidden}
	gh := gates * hidden
	wih, err := g.Node(p.wih)
	if err != nil {
		return nil, err
	}
	whh, err := g.Node(p.whh)
	if err != nil {
		return nil, err
	}
	wihT, err := gorgonia.Transpose(wih, 1, 0)
	if err != nil {
		return nil, err
	}
	if u.whhT, err = gorgonia.Transpose(whh, 1, 0); err != nil {
		return nil, err
	}
	// Time-major, so that each step's slice is contiguous.
	xt, err := gorgonia.Transpose(x, 1, 0, 2)
	if err != nil {
		return nil, err
	}
	x2, err := gorgonia.Reshape(xt, tensor.Shape{u.time * u.batch, in})
	if err != nil {
		return nil, err
	}
	proj, err := gorgonia.Mul(x2, wihT)
	if err != nil {
		return nil, err
	}
	if p.bih != nil {
		bih, err := g.Node(p.bih)
		if err != nil {
			return nil, err
		}
		bhh, err := g.Node(p.bhh)
		if err != nil {
			return nil, err
		}
		b := bih
		if foldBias {
			if b, err = gorgonia.Add(bih, bhh); err != nil {
				return nil, err
			}
		} else {
			// Broadcast once, not at every step: each BroadcastAdd adds three nodes,
			// and gorgonia's compiler is quadratic in the number of nodes.
			zero := constNode(g, "recurrent/"+name+"/zero_bias", []int{u.batch, gh}, nil)
			if u.bhh, err = gorgonia.BroadcastAdd(zero, bhh, nil, []byte{0}); err != nil {
				return nil, err
			}
		}
		if proj, err = gorgonia.BroadcastAdd(proj, b, nil, []byte{0}); err != nil {
			return nil, err
		}
	}
	proj, err = gorgonia.Reshape(proj, tensor.Shape{u.time, u.batch, gh})
	if err != nil {
		return nil, err
	}
	if u.xs, err = unstack(proj); err != nil {
		return nil, err
	}
	return u, nil
}

// initialState returns h0 after checking that it is (B, H), or a zero state when h0
// is nil.
func (u *unrolled) initialState(g *graph.Graph, kind, name, what string, h0 *gorgonia.Node) (*gorgonia.Node, error) {
	if h0 != nil {
		if s := h0.Shape(); len(s) != 2 || s[0] != u.batch || s[1] != u.hidden {
			return nil, errors.Errorf("nn: %s %q: initial %s shape %v, want (%d, %d)", kind, name, what, s, u.batch, u.hidden)
		}
		return h0, nil
	}
	return constNode(g, kind+"/"+name+"/zero_"+what, []int{u.batch, u.hidden}, nil), nil
}

// recurrentMatMul returns h·W_hhᵀ (+ b_hh when it was not folded), (B, gates*H).
func (u *unrolled) recurrentMatMul(h *gorgonia.Node) (*gorgonia.Node, error) {
	hp, err := gorgonia.Mul(h, u.whhT)
	if err != nil {
		return nil, err
	}
	if u.bhh != nil {
		return gorgonia.Add(hp, u.bhh)
	}
	return hp, nil
}

// splitGates splits a (B, gates*H) pre-activation into gates (B, H) nodes. It goes
// through a (B, gates, H) reshape so that every slice index is < gates: gorgonia's
// slice op hashes its bounds as bytes, so slices of one node at offsets that differ
// by 256 would be merged into one node. (gorgonia.Slice makes a copying node for the
// leading nil; the gates share it.)
func splitGates(n *gorgonia.Node, gates, batch, hidden int) ([]*gorgonia.Node, error) {
	r, err := gorgonia.Reshape(n, tensor.Shape{batch, gates, hidden})
	if err != nil {
		return nil, err
	}
	out := make([]*gorgonia.Node, gates)
	for k := range out {
		if out[k], err = slice1(r, nil, gorgonia.S(k)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unstackLeaf is the length up to which unstack slices single steps directly.
const unstackLeaf = 4

// unstack splits x along axis 0 into x.Shape()[0] nodes with that axis dropped.
//
// It splits in halves recursively instead of slicing each index of x, for two
// reasons: gorgonia's slice op hashes its bounds as bytes, so Slice(x, S(t)) and
// Slice(x, S(t+256)) would be merged into one node; and the gradient of each slice is
// a zero tensor of the full input's size with the slice added, so T slices of x would
// cost O(T²) in the backward pass, while halving costs O(T log T).
func unstack(x *gorgonia.Node) ([]*gorgonia.Node, error) {
	shp := x.Shape()
	n := shp[0]
	if n <= unstackLeaf {
		out := make([]*gorgonia.Node, n)
		for i := range out {
			var err error
			if out[i], err = slice1(x, gorgonia.S(i)); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	mid := splitPoint(n)
	lo, err := gorgonia.Slice(x, gorgonia.S(0, mid))
	if err != nil {
		return nil, err
	}
	hi, err := gorgonia.Slice(x, gorgonia.S(mid, n))
	if err != nil {
		return nil, err
	}
	a, err := unstack(lo)
	if err != nil {
		return nil, err
	}
	b, err := unstack(hi)
	if err != nil {
		return nil, err
	}
	return append(a, b...), nil
}

// stackTime joins the per-step hidden states (B, H) into (B, T, H).
//
// It concatenates along a new leading time axis, two nodes at a time, and transposes
// once at the end. gorgonia's Concat differentiates by slicing its output gradient at
// each part's offset, and its slice op hashes offsets as bytes: one Concat of T parts
// along the hidden axis has parts whose (offset mod 256) coincide as soon as T*H > 256,
// and gorgonia merges those slices into one node, mixing the gradients of different
// steps. Two parts per Concat, split as in unstack, never collide.
func stackTime(hs []*gorgonia.Node, batch, hidden int) (*gorgonia.Node, error) {
	if len(hs) == 1 {
		c, err := copyNode(hs[0])
		if err != nil {
			return nil, err
		}
		return gorgonia.Reshape(c, tensor.Shape{batch, 1, hidden})
	}
	steps := make([]*gorgonia.Node, len(hs))
	for i, h := range hs {
		var err error
		if steps[i], err = gorgonia.Reshape(h, tensor.Shape{1, batch, hidden}); err != nil {
			return nil, err
		}
	}
	tbh, err := concatPairs(steps)
	if err != nil {
		return nil, err
	}
	return gorgonia.Transpose(tbh, 1, 0, 2)
}

// concatPairs concatenates ns along axis 0 as a balanced tree of two-part Concats,
// splitting where unstack does, so that no two parts of one Concat slice alike.
func concatPairs(ns []*gorgonia.Node) (*gorgonia.Node, error) {
	if len(ns) == 1 {
		return ns[0], nil
	}
	mid := splitPoint(len(ns))
	lo, err := concatPairs(ns[:mid])
	if err != nil {
		return nil, err
	}
	hi, err := concatPairs(ns[mid:])
	if err != nil {
		return nil, err
	}
	return gorgonia.Concat(0, lo, hi)
}

// splitPoint returns where to halve n >= 2 items so that the slices S(0, mid) and
// S(mid, n) of one node differ in gorgonia's byte hash or in shape.
func splitPoint(n int) int {
	mid := n / 2
	if mid%256 == 0 && n%256 == 0 {
		mid++ // equal halves whose bounds are multiples of 256 would hash alike
	}
	return mid
}

// copyNode returns a node whose value is a copy of n's (n has 2 or more dims).
//
// gorgonia's Reshape (and Concat of one node) share their input's memory, which the
// tape may overwrite in place in the backward pass, unaware of the alias: tanh's
// derivative squares its output in place, so a Reshape of an RNN's one and only
// state, read after the run, held garbage. A slice is always materialised.
func copyNode(n *gorgonia.Node) (*gorgonia.Node, error) {
	two, err := gorgonia.Concat(0, n, n)
	if err != nil {
		return nil, err
	}
	c, err := gorgonia.Slice(two, gorgonia.S(0, n.Shape()[0]))
	if err != nil {
		return nil, err
	}
	if !c.Shape().Eq(n.Shape()) { // a leading axis of 1 was dropped
		return gorgonia.Reshape(c, n.Shape().Clone())
	}
	return c, nil
}

// slice1 is gorgonia.Slice, fixed for results of one element: gorgonia's slice op
// then returns a scalar value although the node's shape is (1, 1), and the next op
// fails; a reshape to the node's own shape makes it a tensor again.
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
