package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// The backward ops below are not differentiable (gradflow has no second-order
// gradients). They implement gorgonia.SDOp anyway, with no input differentiated and a
// SymDiff that says so: without DiffWRT, gorgonia.Grad through them panics inside
// gorgonia's analysis (an index into a nil slice), and bnGradOp and bnPartOp would
// otherwise inherit BatchNorm's own DiffWRT and SymDiff and fail with misleading
// shape errors. TestBackwardOpsNotDifferentiable checks each.

func notDifferentiable(op gorgonia.Op) error {
	return errors.Errorf("ops: %v is a gradient op and not differentiable (no second-order gradients)", op)
}

func (op reluGradOp) DiffWRT(inputs int) []bool { return noDiff(inputs) }
func (op reluGradOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, notDifferentiable(op)
}

func (op bnGradOp) DiffWRT(inputs int) []bool { return noDiff(inputs) }
func (op bnGradOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, notDifferentiable(op)
}

func (op bnPartOp) DiffWRT(inputs int) []bool { return noDiff(inputs) }
func (op bnPartOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, notDifferentiable(op)
}
