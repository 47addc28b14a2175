package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// The hand-written backward op below is not differentiable (gradflow has no
// second-order gradients). It implements gorgonia.SDOp anyway, with no input
// differentiated and a SymDiff that says so: without DiffWRT, gorgonia.Grad through it
// panics inside gorgonia's analysis (an index into a nil slice). A Def without a
// Backward behaves the same way. TestBackwardOpsNotDifferentiable checks each.

func notDifferentiable(op gorgonia.Op) error {
	return errors.Errorf("ops: %v is a gradient op and not differentiable (no second-order gradients)", op)
}

func (op reluGradOp) DiffWRT(inputs int) []bool { return noDiff(inputs) }
func (op reluGradOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, notDifferentiable(op)
}
