package ops

import (
	"gorgonia.org/gorgonia"
)

// Of reports whether node n was made by d.Apply, and if so returns the parameters
// and the input nodes (in order) it was applied with. A Backward can use it to see
// through the op that made its output's gradient: nn's recurrent layers read one
// slot of a large workspace, and the workspace's gradient is a tensor of zeros with
// that slot's gradient in it; their backward takes the slot's gradient instead.
func (d *Def[P]) Of(n *gorgonia.Node) (p P, in []*gorgonia.Node, ok bool) {
	if n == nil || d == nil {
		return p, nil, false
	}
	op, isDef := n.Op().(*defOp[P])
	if !isDef || op.def != d || n.Graph() == nil {
		return p, nil, false
	}
	children := n.Graph().From(n.ID())
	for children.Next() {
		c, isNode := children.Node().(*gorgonia.Node)
		if !isNode {
			return p, nil, false
		}
		in = append(in, c)
	}
	if len(in) != len(op.in) {
		return p, nil, false
	}
	return op.p, in, true
}
