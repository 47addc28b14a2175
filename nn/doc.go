// Package nn holds gradflow's layers and the stateless functions they are built from:
// activations, losses and initialisers.
//
// A layer is a struct holding its *graph.Param fields (its weights and biases), built by
// a validating constructor, with Forward, which adds the layer's nodes to a Graph, and
// Params. Layers are nouns (Linear, Sequential); functions that build nodes are verbs
// or loss names (MSE, SoftmaxCrossEntropy).
//
// Usage:
//
//	s := graph.NewScope(graph.Float32, graph.Seed(1))
//	model, err := nn.NewSequential(s.Sub("mlp"),
//		nn.LinearConfig{In: 784, Out: 256}, nn.ReLU(),
//		nn.LinearConfig{In: 256, Out: 10})
//	// model.Forward(g, x) builds logits of shape (N, 10) for x of shape (N, 784).
package nn
