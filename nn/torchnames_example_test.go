package nn_test

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
)

// The PyTorch state_dict of a model comes from its layers: Sequential positions as
// nn.Sequential's (the Linear with an Activation takes two), the Linear's transposed
// weight, the LSTM's "_l0" names and BatchNorm's num_batches_tracked.
func ExampleTorchState() {
	s := graph.NewScope(graph.Float32)
	model, err := nn.NewSequential(s.Sub("net"),
		nn.LSTMConfig{In: 3, Hidden: 4}, nn.FlattenConfig{},
		nn.LinearConfig{In: 8, Out: 6, Activation: nn.ReLU},
		nn.BatchNorm1DConfig{Features: 6})
	if err != nil {
		fmt.Println(err)
		return
	}
	entries, err := nn.TorchState(model)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Println(e.Key, e.Shape, e.Transpose, e.Param == nil) // key, PyTorch shape, transposed, no Param
	}
	// Output:
	// 0.weight_ih_l0 [16 3] false false
	// 0.weight_hh_l0 [16 4] false false
	// 0.bias_ih_l0 [16] false false
	// 0.bias_hh_l0 [16] false false
	// 2.weight [6 8] true false
	// 2.bias [6] false false
	// 4.weight [6] false false
	// 4.bias [6] false false
	// 4.running_mean [6] false false
	// 4.running_var [6] false false
	// 4.num_batches_tracked [] false true
}
