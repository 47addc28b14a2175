// Command mnist-ddp trains the MNIST perceptron of examples/mnist on several ranks
// at once, data-parallel (train.Config.Comm; docs/distributed.md). Under Open MPI:
//
//	go build -tags mpi -o mnist-ddp ./examples/mnist-ddp && mpirun -np 2 ./mnist-ddp
//
// and without MPI, with ranks as goroutines of one process:
//
//	go run ./examples/mnist-ddp -local 2
//
// Each rank takes -batch examples per step, so a step sees ranks*batch examples.
// Only rank 0 prints. A rank that fails ends the whole job.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/dist"
	"github.com/gradflow/gradflow/train/optim"
)

type options struct {
	dir           string
	epochs, batch int
	hidden        int
	limit         int // use the first limit training images (0: all)
	lr            float64
	seed          uint64
}

func main() {
	var o options
	local := flag.Int("local", 0, "run this many in-process ranks instead of MPI's")
	flag.IntVar(&o.epochs, "epochs", 3, "training epochs")
	flag.IntVar(&o.batch, "batch", 64, "mini-batch size per rank")
	flag.Float64Var(&o.lr, "lr", 1e-3, "Adam learning rate")
	flag.IntVar(&o.hidden, "hidden", 256, "width of the hidden layer")
	flag.IntVar(&o.limit, "limit", 0, "train on the first n images only (0: all 60000)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the weights and the shuffling")
	flag.StringVar(&o.dir, "data", "", "directory of the MNIST IDX files (default: the GoMNIST Go module)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *local > 0 {
		if err := dist.RunLocal(*local, func(c dist.Communicator) error { return run(ctx, c, o) }); err != nil {
			log.Fatal(err)
		}
		return
	}
	comm, err := dist.NewMPI()
	if err != nil {
		log.Fatalf("%v (or run with -local 2)", err)
	}
	if err := run(ctx, comm, o); err != nil {
		comm.Abort(err) // ends every rank, non-zero; Fit has already aborted on its own errors
	}
	if err := comm.Close(); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, comm dist.Communicator, o options) error {
	start := time.Now()
	trainSet, testSet, err := data.LoadMNIST(o.dir, graph.Float32)
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
	rank0 := comm.Rank() == 0
	if rank0 {
		fmt.Printf("MNIST on %d ranks: %d training images (%d per rank), %d test images\n",
			comm.Size(), trainSet.Len(), (trainSet.Len()+comm.Size()-1)/comm.Size(), testSet.Len())
	}
	// Every rank builds the model; Fit starts them all from rank 0's weights.
	model, err := nn.NewSequential(graph.NewScope(graph.Float32, graph.Seed(o.seed)).Sub("mlp"),
		nn.LinearConfig{In: 784, Out: o.hidden, Activation: nn.ReLU},
		nn.LinearConfig{In: o.hidden, Out: 10})
	if err != nil {
		return err
	}
	trainer, err := train.New(model, train.Config{
		Loss:      nn.SoftmaxCrossEntropy,
		Optimizer: optim.Adam{LR: o.lr},
		BatchSize: o.batch,
		Epochs:    o.epochs,
		Seed:      o.seed,
		Progress:  os.Stdout, // rank 0 only
		Comm:      comm,
	})
	if err != nil {
		return err
	}
	hist, err := trainer.Fit(ctx, trainSet, testSet)
	if err != nil {
		return err
	}
	m, err := trainer.Evaluate(ctx, testSet) // every rank takes part
	if err != nil {
		return err
	}
	if rank0 {
		fmt.Printf("test accuracy %.2f%% (loss %.4f) after %d epochs, %.1fs in all\n",
			100*m.Accuracy, m.Loss, o.epochs, time.Since(start).Seconds())
		var train time.Duration
		for _, e := range hist.Epochs {
			train += time.Duration(float64(e.Samples) / e.SamplesPerSec * float64(time.Second))
		}
		steps := max(trainer.Step(), 1)
		ar := trainer.AllReduceTime()
		fmt.Printf("rank 0: all-reduce %.3f ms per step, %.1f%% of a step (%d steps, %.0f samples/s over all ranks in the last epoch)\n",
			ar.Seconds()*1e3/float64(steps), 100*ar.Seconds()/train.Seconds(), steps, hist.Last().SamplesPerSec)
	}
	return nil
}
