package bench

import (
	"github.com/gradflow/gradflow/bench/rawgorgonia"
	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train/data"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// cnnShape is the cnn workload's network: examples/mnist-cnn's LeNet, conv 5x5 to C1
// channels, max pool 2x2, ReLU, conv 5x5 to C2, max pool 2x2, ReLU, Linear to Hidden,
// ReLU, Linear to 10. Test limits the test images the check uses (0: all); tests use
// a smaller network and fewer images.
type cnnShape struct {
	C1, C2, Hidden, Batch int
	Test                  int
}

// cnnDefault is Caffe's LeNet widths, as in examples/mnist-cnn.
var cnnDefault = cnnShape{C1: 20, C2: 50, Hidden: 500, Batch: 64}

func init() {
	MustRegister(Workload{
		Name:        "cnn",
		Description: "LeNet conv5x5(20)-pool-relu-conv5x5(50)-pool-relu-fc500-relu-fc10, MNIST, Adam 1e-3, batch 64, float32",
		Samples:     cnnDefault.Batch,
		FLOPs:       cnnFLOPs(cnnDefault),
		Warmup:      10,
		Steps:       150,
		Setup:       cnnGradflow(cnnDefault),
		Gorgonia:    cnnGorgonia(cnnDefault),
		Reference:   "cnn",
	})
}

// cnnFLOPs counts the multiply-adds of a training step as 2 FLOPs each: forward,
// weight gradient and (except for the first convolution, whose input needs none)
// input gradient of the convolutions and linear layers. Pooling, ReLU and the
// optimizer are left out.
func cnnFLOPs(sh cnnShape) float64 {
	b := float64(sh.Batch)
	conv1 := 2 * b * 24 * 24 * float64(sh.C1) * 25         // 28 -> 24, 1 input channel
	conv2 := 2 * b * 8 * 8 * float64(sh.C2*sh.C1) * 25     // 12 -> 8
	fc := 2 * b * float64(sh.C2*16*sh.Hidden+sh.Hidden*10) // 800 -> 500 -> 10
	return 2*conv1 + 3*conv2 + 3*fc
}

// mnistImages returns MNIST as (N, 1, 28, 28) float32 Datasets that share the
// (N, 784) sets of env.MNIST; the test set holds the first limit images (0: all).
func mnistImages(env *Env, limit int) (trainSet, testSet *data.Dataset, err error) {
	tr, te, err := env.MNIST(graph.Float32)
	if err != nil {
		return nil, nil, err
	}
	view := func(d *data.Dataset, n int) (*data.Dataset, error) {
		x := tensor.New(tensor.WithShape(n, 1, 28, 28), tensor.WithBacking(d.X().Float32s()[:n*784]))
		return data.New(x, d.Labels()[:n], 10)
	}
	nTest := te.Len()
	if limit > 0 && limit < nTest {
		nTest = limit
	}
	if trainSet, err = view(tr, tr.Len()); err != nil {
		return nil, nil, errors.Wrap(err, "bench: mnist images")
	}
	if testSet, err = view(te, nTest); err != nil {
		return nil, nil, errors.Wrap(err, "bench: mnist images")
	}
	return trainSet, testSet, nil
}

// cnnGradflow is gradflow's LeNet: nn.Conv2D, nn.MaxPool2D, nn.ReLU, nn.Flatten and
// nn.Linear in an nn.Sequential, as examples/mnist-cnn builds it.
func cnnGradflow(sh cnnShape) Setup {
	return func(env *Env) (*Instance, error) {
		trainSet, testSet, err := mnistImages(env, sh.Test)
		if err != nil {
			return nil, err
		}
		k5 := [2]int{5, 5}
		pool := nn.MaxPool2DConfig{Kernel: [2]int{2, 2}}
		items := []nn.LayerConfig{
			nn.Conv2DConfig{In: 1, Out: sh.C1, Kernel: k5}, pool, nn.ReLU, // 28 -> 24 -> 12
			nn.Conv2DConfig{In: sh.C1, Out: sh.C2, Kernel: k5}, pool, nn.ReLU, // 12 -> 8 -> 4
			nn.FlattenConfig{},
			nn.LinearConfig{In: sh.C2 * 16, Out: sh.Hidden, Activation: nn.ReLU},
			nn.LinearConfig{In: sh.Hidden, Out: 10},
		}
		return classifierInstance(env, "cnn", items, trainSet, testSet, sh.Batch, evalBatchFor(testSet.Len()))
	}
}

// cnnGorgonia is the same LeNet with gorgonia's Conv2d, MaxPool2D and Adam solver.
func cnnGorgonia(sh cnnShape) Setup {
	return func(env *Env) (*Instance, error) {
		trainSet, testSet, err := mnistImages(env, sh.Test)
		if err != nil {
			return nil, err
		}
		c, err := rawgorgonia.New(rawgorgonia.Config{
			DType: tensor.Float32, Image: [3]int{1, 28, 28},
			Convs: []rawgorgonia.Conv{{Out: sh.C1, Kernel: 5}, {Out: sh.C2, Kernel: 5}},
			Sizes: []int{sh.C2 * 16, sh.Hidden, 10}, Batch: sh.Batch, LR: 1e-3, Seed: env.Seed,
			X32: trainSet.X().Float32s(), Labels: trainSet.Labels(),
		})
		if err != nil {
			return nil, err
		}
		return &Instance{
			Step: c.Step,
			Check: func() (Quality, error) {
				acc, err := c.Accuracy(testSet.X().Float32s(), nil, testSet.Labels(), evalBatchFor(testSet.Len()))
				if err != nil {
					return nil, err
				}
				return Quality{"accuracy": acc, "loss": c.Loss()}, nil
			},
		}, nil
	}
}

// evalBatchFor returns the evaluation batch of a test set of n images: 500 (which
// keeps the convolutions' im2col buffers small) when it divides n, else n, since
// rawgorgonia's Accuracy wants whole batches.
func evalBatchFor(n int) int {
	if n%500 == 0 {
		return 500
	}
	return n
}
