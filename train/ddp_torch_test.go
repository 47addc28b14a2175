package train_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/dist"
	"github.com/gradflow/gradflow/train/optim"
)

// TestDDPMatchesTorch: 2 in-process ranks train the MLP of testdata/dist/ddp_torch.py
// from its initial weights, on the same shards, as torch 1.13's DDP on 2 gloo ranks
// did: weights after 20 Adam steps within 1e-12 (float64) and 1e-6 (float32),
// relative to each tensor's largest element.
func TestDDPMatchesTorch(t *testing.T) {
	raw, err := os.ReadFile("../testdata/dist/ddp_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	type run struct {
		Steps   int
		Weights map[string][]float64
	}
	var golden struct {
		Init             map[string][]float64
		Float64, Float32 run
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dt   graph.DType
		want run
		tol  float64
	}{{graph.Float64, golden.Float64, 1e-12}, {graph.Float32, golden.Float32, 1e-6}} {
		t.Run(c.dt.String(), func(t *testing.T) {
			set := blobsOf(c.dt, 160)
			got := make([][]float64, 4)
			names := make([]string, 4)
			err := dist.RunLocal(2, func(comm dist.Communicator) error {
				s := graph.NewScope(c.dt, graph.Seed(1))
				m, err := nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 2, Out: 16, Activation: nn.ReLU}, nn.LinearConfig{In: 16, Out: 3})
				if err != nil {
					return err
				}
				for _, p := range m.Params() {
					if err := p.SetValues(torchLayout(golden.Init[torchName(p.Name())], p.Shape(), true)); err != nil {
						return err
					}
				}
				tr, err := train.New(m, train.Config{Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.Adam{LR: 0.01},
					BatchSize: 4, Seed: 11, Quiet: true, Comm: comm})
				if err != nil {
					return err
				}
				if _, err := tr.Fit(context.Background(), set, nil); err != nil {
					return err
				}
				if comm.Rank() == 0 {
					for i, p := range tr.Params() {
						v := make([]float64, p.Size())
						if f := p.Float32s(); f != nil {
							for j, x := range f {
								v[j] = float64(x)
							}
						} else {
							copy(v, p.Float64s())
						}
						got[i], names[i] = torchLayout(v, p.Shape(), false), p.Name()
					}
				}
				if tr.Step() != c.want.Steps {
					t.Errorf("%d steps, torch took %d", tr.Step(), c.want.Steps)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, name := range names {
				want := c.want.Weights[torchName(name)]
				if len(want) != len(got[i]) {
					t.Fatalf("%s: %d values, torch has %d", name, len(got[i]), len(want))
				}
				d := relDiff(got[i], want)
				t.Logf("%s: relative difference from torch DDP %.3g", name, d)
				if d > c.tol || math.IsNaN(d) {
					t.Errorf("%s: relative difference from torch DDP %g, want <= %g", name, d, c.tol)
				}
			}
		})
	}
}

// torchName maps "mlp/0/weight" to PyTorch's "0.weight".
func torchName(name string) string {
	return strings.ReplaceAll(strings.TrimPrefix(name, "mlp/"), "/", ".")
}

// torchLayout transposes a Linear weight between PyTorch's (out, in), when fromTorch,
// and gradflow's (in, out) of shape; biases are copied.
func torchLayout(v []float64, shape []int, fromTorch bool) []float64 {
	if len(shape) != 2 {
		return append([]float64(nil), v...)
	}
	in, out := shape[0], shape[1]
	w := make([]float64, len(v))
	for i := 0; i < in; i++ {
		for o := 0; o < out; o++ {
			if fromTorch {
				w[i*out+o] = v[o*in+i]
			} else {
				w[o*in+i] = v[i*out+o]
			}
		}
	}
	return w
}

// blobsOf is threeBlobs(n) in dtype dt (the float32 values rounded from float64, as
// torch's .to(float32) does).
func blobsOf(dt graph.DType, n int) *data.Dataset {
	d := threeBlobs(n)
	if dt == graph.Float64 {
		return d
	}
	x64 := d.X().Float64s()
	x32 := make([]float32, len(x64))
	for i, v := range x64 {
		x32[i] = float32(v)
	}
	out, err := data.New(tensor.New(tensor.WithShape(n, 2), tensor.WithBacking(x32)), d.Labels(), 3)
	if err != nil {
		panic(err)
	}
	return out
}
