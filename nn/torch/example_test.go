package torch_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/nn/torch"
)

// PyTorch's weights load into the gradflow model with no name table, and save back
// with PyTorch's keys.
func ExampleLoad() {
	s := graph.NewScope(graph.Float32)
	model, err := nn.NewSequential(s.Sub("mlp"),
		nn.LinearConfig{In: 4, Out: 8, Activation: nn.ReLU}, // torch.nn.Linear(4, 8), torch.nn.ReLU()
		nn.LinearConfig{In: 8, Out: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	// torch.save(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).state_dict(), "mlp.pt")
	if err := torch.Load("../../testdata/interop/mlp.pt", model); err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "gradflow")
	defer os.RemoveAll(dir)
	if err := torch.Save(filepath.Join(dir, "mlp.safetensors"), model); err != nil {
		fmt.Println(err)
		return
	}
	saved, _ := torch.ReadFile(filepath.Join(dir, "mlp.safetensors"))
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range saved {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Println(k, saved[k].DType, saved[k].Shape)
	}
	// Output:
	// 0.bias F32 [8]
	// 0.weight F32 [8 4]
	// 2.bias F32 [3]
	// 2.weight F32 [3 8]
}

// A strict load reports every mismatch at once and changes nothing.
func ExampleLoadError() {
	s := graph.NewScope(graph.Float32)
	model, _ := nn.NewSequential(s.Sub("mlp"),
		nn.LinearConfig{In: 4, Out: 8, Activation: nn.ReLU}, nn.LinearConfig{In: 8, Out: 2}) // 2 outputs, not 3
	err := torch.Load("../../testdata/interop/mlp_f16.safetensors", model)
	var le *torch.LoadError
	if errors.As(err, &le) {
		for _, m := range le.Mismatched {
			fmt.Println(m)
		}
	}
	// Output:
	// "0.bias": file has F16 [8], model needs F32 [8] (add torch.Cast() to widen it)
	// "0.weight": file has F16 [8 4], model needs F32 [8 4] (add torch.Cast() to widen it)
	// "2.bias": file has F16 [3], model needs F32 [2] (add torch.Cast() to widen it)
	// "2.weight": file has F16 [3 8], model needs F32 [2 8] (add torch.Cast() to widen it)
}
