// Command fashion trains a convolutional network with batch normalisation and dropout
// on Fashion-MNIST (Xiao et al., 2017: 28x28 grey images of ten kinds of clothing,
// 60,000 for training and 10,000 for testing) and reports its test accuracy.
//
//	go run ./examples/fashion
//
// The network:
//
//	conv 3x3 pad 1, 1->32, BatchNorm2D, max pool 2x2, ReLU     (N, 32, 14, 14)
//	conv 3x3 pad 1, 32->64, BatchNorm2D, max pool 2x2, ReLU    (N, 64, 7, 7)
//	flatten, dropout 0.25, linear 3136->128, ReLU              (N, 128)
//	dropout 0.25, linear 128->10                                (N, 10) logits
//
// trained with Adam (learning rate halved after each epoch) and softmax cross-entropy.
// Dropout and the batch statistics are
// used in training; the evaluation graphs use the running statistics and no dropout.
//
// The data is read from /usr/share/datasets/fashion-mnist, where Debian's package
// installs it (apt-get install dataset-fashion-mnist), or from the directory given
// with -data holding the four IDX files (train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, as
// published at https://github.com/zalandoresearch/fashion-mnist).
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
	drop1, drop2   float64
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
	flag.IntVar(&o.c1, "c1", 32, "channels of the first convolution")
	flag.IntVar(&o.c2, "c2", 64, "channels of the second convolution")
	flag.IntVar(&o.hidden, "hidden", 128, "width of the hidden linear layer")
	flag.Float64Var(&o.drop1, "dropout1", 0.25, "dropout before the hidden layer")
	flag.Float64Var(&o.drop2, "dropout2", 0.25, "dropout before the output layer")
	flag.Float64Var(&o.lr, "lr", 1e-3, "Adam learning rate of the first epoch")
	flag.Float64Var(&o.decay, "decay", 0.5, "factor applied to the learning rate after each epoch")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the weights, the shuffling and the dropout masks")
	flag.StringVar(&o.dir, "data", data.FashionMNISTDir, "directory of the Fashion-MNIST IDX files")
	flag.IntVar(&o.limit, "limit", 0, "train on the first n images only (0: all 60,000); for quick runs")
	flag.BoolVar(&o.gonum, "gonum", false, "give gorgonia's own ops gonum's GEMM instead of gradflow's (ops/blas); gradflow's ops call ops/blas directly")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()

	if _, err := os.Stat(o.dir); err != nil {
		fmt.Fprintf(os.Stderr, "Fashion-MNIST is not in %s.\n"+
			"Install it with:  apt-get install dataset-fashion-mnist   (Debian; puts it in %s)\n"+
			"or download the four files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,\n"+
			"t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from\n"+
			"https://github.com/zalandoresearch/fashion-mnist (data/fashion) into a directory DIR\n"+
			"and run with -data DIR.\n", o.dir, data.FashionMNISTDir)
		os.Exit(2)
	}
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
	k3, pad1 := [2]int{3, 3}, [2]int{1, 1}
	pool := nn.MaxPool2DConfig{Kernel: [2]int{2, 2}}
	return nn.NewSequential(s.Sub("fashion"),
		// The convolutions have no bias: the BatchNorm's shift replaces it.
		nn.Conv2DConfig{In: 1, Out: o.c1, Kernel: k3, Padding: pad1, NoBias: true},
		// Pooling before the ReLU gives the same values as after it (ReLU is
		// monotonic) and runs the ReLU on a quarter of the elements.
		nn.BatchNorm2DConfig{Features: o.c1}, pool, nn.ReLU, // 28 -> 14
		nn.Conv2DConfig{In: o.c1, Out: o.c2, Kernel: k3, Padding: pad1, NoBias: true},
		nn.BatchNorm2DConfig{Features: o.c2}, pool, nn.ReLU, // 14 -> 7
		nn.FlattenConfig{},
		nn.DropoutConfig{P: o.drop1},
		nn.LinearConfig{In: o.c2 * 7 * 7, Out: o.hidden, Activation: nn.ReLU},
		nn.DropoutConfig{P: o.drop2},
		nn.LinearConfig{In: o.hidden, Out: 10})
}

func run(ctx context.Context, o options) error {
	start := time.Now()
	trainSet, testSet, err := data.LoadFashionMNISTWith(data.MNISTConfig{Dir: o.dir, Shape4D: true})
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
	fmt.Printf("Fashion-MNIST: %d training and %d test images (loaded in %.1fs)\n",
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
	// Fit evaluated the test set after the last epoch, in evaluation mode (running
	// statistics, no dropout): that is the final accuracy.
	last := hist.Last()
	fmt.Printf("test accuracy %.2f%% (loss %.4f) after %d epochs, %.0fs in all\n",
		100*last.ValAccuracy, last.ValLoss, o.epochs, time.Since(start).Seconds())
	return nil
}
