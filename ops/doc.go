// Package ops holds every differentiable op of gradflow as a function on nodes, like
// PyTorch's torch.nn.functional, with the kernels they run, and CheckGrad, the numeric
// gradient checker to run on any op or layer. The nn layers are Params and a Forward
// that calls one of these functions; a layer of one's own can call them the same way.
// Each takes its nodes as explicit arguments and, where it has settings, one options
// struct whose zero value is PyTorch's default (Conv2DOptions, Pool2DOptions,
// BatchNormOptions, ...).
//
// ops is the bottom of gradflow: it imports gorgonia and nothing else of ours, and
// every op works on plain gorgonia nodes, so it can be used with or without the
// graph package.
//
// # Ops
//
// Each op exists because composing gorgonia's ops is wrong, numerically unsafe or
// measurably slow; its doc says which:
//
//   - Softmax and LogSoftmax, along any axis of any rank (negative axes count from
//     the end). gorgonia's SoftMax has a wrong gradient on column vectors and its
//     LogSoftMax hashes like SoftMax, so asking for both returns one node.
//     LogSumExp along an axis (gorgonia's computes log(sum + max)).
//   - SoftmaxCrossEntropy: the mean over a batch of -log softmax(logits)[label], for
//     integer class labels, computed by a shifted log-sum-exp (finite for logits of
//     ±1000).
//   - BCEWithLogits: the mean binary cross-entropy of sigmoid(logits) and targets,
//     in a form that never takes the log of 0 (gorgonia's BinaryXent is NaN at p = 1).
//   - Dropout with a seeded generator and the right scale (gorgonia's divides by the
//     drop probability and hashes without it).
//   - AvgPool2D and GlobalAvgPool2D with right gradients (gorgonia's are 45% off and
//     missing).
//   - GELU (exact and tanh), SiLU, LayerNorm (fused forward and backward) and
//     Embedding (gather with a scatter-add backward), which gorgonia lacks.
//   - Reshape, which copies: gorgonia's shares memory with its input, and an op after
//     it whose backward works in place overwrites the input.
//   - Conv2D and Conv1D (PyTorch's F.conv2d and F.conv1d: im2col and GEMMs per sample
//     or per chunk of the batch, the bias fused) and MaxPool2D (stateless, NaN
//     propagating, AVX-512 for 2x2 windows), which replace gorgonia's Conv2d and
//     MaxPool2D for speed and for MaxPool2D's crash on a window of NaNs.
//   - MultiHeadAttention (PyTorch's F.multi_head_attention_forward, batch first: the
//     heads are column blocks of the projections, never copied apart) and the
//     recurrent sequences LSTM, GRU and RNN (one fused op over the whole sequence
//     each), which replace graphs of hundreds of gorgonia nodes. Add is a residual's
//     sum as one node that keeps its memory.
//   - Linear (x·W + b as one node, backward by GEMMs with transpose flags), LinearReLU
//     (with the ReLU fused) and ReLU (one branch-free node each way), which replace
//     gorgonia's Mul, BroadcastAdd and Rectify for speed with the same values.
//     IsReLU recognises their rectified outputs.
//
// docs/ops.md lists every gorgonia op gradflow uses, with the test that checks it or
// the reason it is replaced.
//
// # Defining an op
//
// Def declares a differentiable op from a name, its parameters, an arity, a shape
// rule, a forward on tensors and a backward built from other nodes (usually a second
// Def), and derives gorgonia's twelve Op methods from them. The hash covers every
// parameter, so ops that differ in any field never merge; arity, dtypes and shapes are
// checked before the kernel runs, and a failing or panicking kernel fails the run with
// an error. Most ops in this package are Defs. docs/custom-ops.md walks through writing,
// checking, testing and benchmarking one.
//
// Constructors validate dtype (float32 or float64), shapes and axes and return errors;
// run-time problems (a label or id out of range) are errors from the run.
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
// The tests compare every op PyTorch has with PyTorch 1.13, values and gradients
// (fixtures in testdata/ops, written by testdata/ops/gen.py and gen_more.py), and
// check every gradient with CheckGrad in float64 and float32.
package ops
