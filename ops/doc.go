// Package ops holds differentiable ops that gorgonia lacks or gets wrong, and
// CheckGrad, the numeric gradient checker to run on any op or layer.
//
// ops is the bottom of gradflow: it imports gorgonia and nothing else of ours, and
// every op works on plain gorgonia nodes, so it can be used with or without the
// graph package.
//
// # Ops
//
// Each op is a gorgonia.Op with a symbolic derivative (gorgonia.SDOp) whose backward
// is a second op of ours, written beside the forward. Each exists because composing
// gorgonia's ops is wrong or numerically unsafe:
//
//   - Softmax and LogSoftmax, along any axis of any rank (negative axes count from
//     the end). gorgonia's SoftMax has a wrong gradient on column vectors and its
//     LogSoftMax hashes like SoftMax, so asking for both returns one node.
//   - SoftmaxCrossEntropy: the mean over a batch of -log softmax(logits)[label], for
//     integer class labels, computed by a shifted log-sum-exp (finite for logits of
//     ±1000).
//   - BCEWithLogits: the mean binary cross-entropy of sigmoid(logits) and targets,
//     in a form that never takes the log of 0 (gorgonia's BinaryXent is NaN at p = 1).
//
// Constructors validate dtype (float32 or float64), shapes and axes and return errors;
// run-time problems (a label out of range) are errors from the run. Ops hash their
// String, which prints every field, so ops that differ in any field never merge.
// Second-order gradients are not supported: the backward ops have no derivative.
//
// # Checking gradients
//
// CheckGrad builds a graph through a user function, multiplies the output by a fixed
// seeded random tensor, sums it, and compares gorgonia's symbolic gradient with
// central finite differences for every element of every input. CheckConfig's zero
// value picks the step and tolerances by dtype; GradReport names the worst element.
//
//	rep, err := ops.CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) {
//		g := gorgonia.NewGraph()
//		xv := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, -1, 0, 1}))
//		x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 3),
//			gorgonia.WithName("x"), gorgonia.WithValue(xv))
//		y, err := ops.LogSoftmax(x, -1)
//		return y, []*gorgonia.Node{x}, err
//	}, ops.CheckConfig{})
//	if err != nil {
//		// err names the input, the element, the analytic and numeric values.
//	}
//	_ = rep
//
// The tests compare every op with PyTorch 1.13 (fixtures in testdata/ops, written by
// testdata/ops/gen.py) and check every gradient with CheckGrad in float64 and float32.
package ops
