// Package graph holds the core of gradflow: parameters, scopes, traced graphs,
// compiled machines, and saving and loading weights.
//
// A model's knowledge lives in Params (weights, biases and state such as BatchNorm
// running statistics). A Param owns its value tensor and its gradient tensor, and it
// lives outside any graph: every Graph traced from the model binds the same tensors
// by reference, so a training graph at batch 128, an evaluation graph at batch 1000
// and an inference graph at batch 1 share one set of weights with no copy.
//
// Params are created through a Scope, which gives each one a unique hierarchical
// name ("mlp/fc1/weight") and a seeded initial value. Creating the same name twice
// is an error; gorgonia would silently merge the two nodes.
//
// A Graph is one trace of a model for one input shape and one Mode (Train or Eval).
// Compile differentiates a scalar loss with respect to the trainable params
// (gorgonia.Grad, reverse-mode autodiff) and wraps a gorgonia TapeMachine in a
// Machine whose Run resets the tape, feeds the inputs, and writes each Param's
// gradient (overwriting, never accumulating) and each requested output.
//
// SaveParams writes a model's params to a safetensors file (a state dict other tools
// read) and LoadParams reads them back, strictly by default (every missing,
// unexpected or mis-shaped tensor reported at once in a *LoadError), or in part
// with Partial and Select; SetParams loads a map of tensors by the same rules.
// ReadTensors and WriteTensors read and write any safetensors data; a truncated or
// corrupt file is an error, never a panic, and what gradflow writes carries checksums
// (ChecksumKey) so that a flipped bit is an error too. WriteFileAtomic is how every
// file is written: a crash leaves the old file or the new one. Weights saved for inference need no
// trainer: train's checkpoints are these files with the optimizer state added.
//
// Usage:
//
//	s := graph.NewScope(graph.Float32, graph.Seed(1))
//	w, _ := s.Param("w", graph.Weight, []int{3, 2}, graph.GlorotUniform{})
//	g := graph.New(graph.Float32, graph.Train)
//	x, _ := g.Input("x", 4, 3)
//	wn, _ := g.Node(w)
//	y, _ := gorgonia.Mul(x, wn)
//	loss, _ := gorgonia.Mean(y)
//	m, _ := graph.Compile(g, graph.Loss(loss))
//	_ = m.Run(graph.Feeds{x: batch}) // w.Grad() now holds dloss/dw
//	_ = graph.SaveParams("w.safetensors", s.Params(), nil)
package graph
