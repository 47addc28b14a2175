// Package nn holds gradflow's layers, activations and losses.
//
// A layer is a struct holding its *graph.Param fields (its weights and biases), built by
// a validating constructor from its XxxConfig, with Forward, which adds the layer's
// nodes to a Graph by calling one function of package ops (Conv2D calls ops.Conv2D,
// LSTM ops.LSTM, ...), and Params. nn defines no op and holds no kernel: they all live
// in ops. Layers check their exported fields where Forward uses them, so a field set
// out of range after construction is an error naming the layer. Layers are nouns (Linear, Sequential);
// functions that build nodes are verbs or loss names (MSE, SoftmaxCrossEntropy).
//
// Activations are values (ReLU, GELU, SiLU, Tanh, LeakyReLU(0.2), ...): each is a Layer
// and its own LayerConfig, so it goes straight into a Sequential, and it is the
// Activation of a LinearConfig, which the Linear layer applies itself (ReLU in the same
// node, ops.LinearReLU).
//
// A Sequential takes LayerConfigs: layer configs, activations, and Use(l) for a layer
// built elsewhere. Forward(l, g, x) builds a layer's nodes and turns a panic inside
// (gorgonia's Must helpers, a bug) into an error naming the layer and saying whose
// code panicked; Sequential, Residual and the Trainer build every layer through it.
//
// Usage:
//
//	s := graph.NewScope(graph.Float32, graph.Seed(1))
//	model, err := nn.NewSequential(s.Sub("mlp"),
//		nn.LinearConfig{In: 784, Out: 256, Activation: nn.ReLU},
//		nn.LinearConfig{In: 256, Out: 10})
//	// nn.Forward(model, g, x) builds logits of shape (N, 10) for x of shape (N, 784).
package nn
