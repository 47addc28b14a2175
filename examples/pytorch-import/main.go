// Command pytorch-import loads weights that PyTorch made, fine-tunes them in
// gradflow, saves them for PyTorch and exports the model to ONNX.
//
//	go run ./examples/pytorch-import -out /tmp/interop
//
// The weights are testdata/interop/mlp.pt, the state_dict of PyTorch's
// nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)) written by
// testdata/interop/gen.py with torch.save. The same gradflow model loads them with no
// name table: nn.Sequential's positions, Linear's transposed weight and the rest come
// from the layers. It writes, in -out:
//
//	mlp_finetuned.safetensors  for module.load_state_dict(safetensors.torch.load_file(...), strict=True)
//	mlp.onnx                   opset 13, dynamic batch, for ONNX Runtime or gonnx
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/nn/onnx"
	"github.com/gradflow/gradflow/nn/torch"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
	"gorgonia.org/tensor"
)

func main() {
	out := flag.String("out", "out/pytorch-import", "directory the example writes its files to")
	weights := flag.String("weights", "testdata/interop/mlp.pt", "PyTorch state_dict to start from (.pt, .pth or .safetensors)")
	epochs := flag.Int("epochs", 40, "fine-tuning epochs")
	flag.Parse()
	if err := run(*weights, *out, *epochs); err != nil {
		log.Fatal(err)
	}
}

func run(weights, out string, epochs int) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	model, err := nn.NewSequential(s.Sub("mlp"),
		nn.LinearConfig{In: 4, Out: 8, Activation: nn.ReLU}, // PyTorch's "0" and "1"
		nn.LinearConfig{In: 8, Out: 3})                      // PyTorch's "2"
	if err != nil {
		return err
	}
	if err := torch.Load(weights, model); err != nil {
		return err
	}
	fmt.Println("loaded", weights)

	// Fine-tune on a small regression task.
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 64
	xs, ys := make([]float32, n*4), make([]float32, n*3)
	for i := 0; i < n; i++ {
		x := xs[4*i : 4*i+4]
		for j := range x {
			x[j] = float32(rng.NormFloat64())
		}
		ys[3*i], ys[3*i+1], ys[3*i+2] = x[0]+x[1], x[2]-x[3], 0.5*x[0]
	}
	x := tensor.New(tensor.WithShape(n, 4), tensor.WithBacking(xs))
	y := tensor.New(tensor.WithShape(n, 3), tensor.WithBacking(ys))
	set, err := data.NewRegression(x, y)
	if err != nil {
		return err
	}
	trainer, err := train.New(model, train.Config{Loss: nn.MSE, Optimizer: optim.Adam{LR: 0.01},
		BatchSize: 16, Epochs: epochs, Seed: 1, Quiet: true})
	if err != nil {
		return err
	}
	hist, err := trainer.Fit(context.Background(), set, nil)
	if err != nil {
		return err
	}
	fmt.Printf("fine-tuned %d epochs: loss %.4f -> %.4f\n", len(hist.Epochs), hist.Epochs[0].TrainLoss, hist.Last().TrainLoss)

	st := filepath.Join(out, "mlp_finetuned.safetensors")
	if err := torch.Save(st, model); err != nil {
		return err
	}
	fmt.Println("saved for PyTorch:", st)
	ox := filepath.Join(out, "mlp.onnx")
	if err := onnx.ExportFile(ox, model, onnx.Config{Input: []int{4}}); err != nil {
		return err
	}
	fmt.Printf("exported ONNX (opset %d): %s\n", onnx.Opset, ox)
	return nil
}
