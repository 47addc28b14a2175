//go:build mpi

// Command mpiworker is the program train/dist's mpirun tests launch (see
// mpi_test.go): each rank trains a small model through the MPI communicator.
//
//	-mode collectives  checks every collective of the communicator
//	-mode train     20 steps of an MLP (Adam) or, with -model cnn, a CNN with
//	                BatchNorm, in float64; prints each rank's weight hash, and
//	                rank 0 compares its weights with one process's (1e-12)
//	-mode fail      rank 1 fails at step 5: every rank must end, non-zero
//	-mode kill      rank 1 kills itself (SIGKILL) at step 5: every rank must end
//	-mode mismatch  rank 1's model is wider: every rank must report it
package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"syscall"
	"time"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/dist"
	"github.com/gradflow/gradflow/train/optim"
)

const batch, seed, n = 4, 11, 160

func main() {
	mode := flag.String("mode", "train", "train, fail or mismatch")
	model := flag.String("model", "mlp", "mlp or cnn")
	flag.Parse()
	comm, err := dist.NewMPI()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := run(comm, *mode, *model); err != nil {
		fmt.Fprintf(os.Stderr, "rank %d: %v\n", comm.Rank(), err)
		os.Exit(1)
	}
	if err := comm.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func build(kind string, seed uint64, wider int) (train.Model, *data.Dataset, error) {
	s := graph.NewScope(graph.Float64, graph.Seed(seed))
	if kind == "cnn" {
		m, err := nn.NewSequential(s.Sub("cnn"), nn.Conv2DConfig{In: 1, Out: 3, Kernel: [2]int{3, 3}},
			nn.BatchNorm2DConfig{Features: 3}, nn.ReLU, nn.FlattenConfig{}, nn.LinearConfig{In: 48, Out: 3})
		return m, images(n), err
	}
	m, err := nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 2, Out: 16 + wider, Activation: nn.ReLU}, nn.LinearConfig{In: 16 + wider, Out: 3})
	return m, blobs(n), err
}

func config(comm dist.Communicator) train.Config {
	return train.Config{Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.Adam{LR: 0.01}, BatchSize: batch, Seed: seed, Quiet: true, Comm: comm}
}

func run(comm dist.Communicator, mode, kind string) error {
	if mode == "collectives" {
		return collectives(comm)
	}
	wider := 0
	if mode == "mismatch" {
		wider = comm.Rank()
	}
	m, set, err := build(kind, 1+uint64(comm.Rank()), wider)
	if err != nil {
		return err
	}
	cfg := config(comm)
	if mode == "fail" || mode == "kill" {
		cfg.Callbacks = []train.Callback{train.CallbackFuncs{BatchEnd: func(s *train.Status) error {
			if comm.Rank() == 1 && s.Step == 5 {
				fmt.Fprintf(os.Stderr, "FAILED_AT %d\n", time.Now().UnixNano())
				if mode == "kill" {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
				return fmt.Errorf("disk full on rank 1")
			}
			return nil
		}}}
	}
	tr, err := train.New(m, cfg)
	if err != nil {
		return err
	}
	if _, err := tr.Fit(context.Background(), set, nil); err != nil {
		return err
	}
	h := fnv.New64a()
	for _, p := range tr.Params() {
		for _, v := range p.Float64s() {
			b := math.Float64bits(v)
			h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24), byte(b >> 32), byte(b >> 40), byte(b >> 48), byte(b >> 56)})
		}
	}
	fmt.Printf("rank %d steps %d hash %016x\n", comm.Rank(), tr.Step(), h.Sum64())
	if comm.Rank() == 0 {
		d, err := compare(kind, comm.Size(), tr.Params())
		if err != nil {
			return err
		}
		fmt.Printf("reference max relative difference %g\n", d)
	}
	return nil
}

// compare trains the same model in one process on the ranks' batches (one batch of
// world*batch, or world accumulated batches with BatchNorm) and returns the largest
// relative difference of the trainable weights.
func compare(kind string, world int, got []*graph.Param) (float64, error) {
	m, set, err := build(kind, 1, 0)
	if err != nil {
		return 0, err
	}
	shards := make([][]int, world)
	for r := range shards {
		s := dist.DistributedSampler{N: set.Len(), World: world, Rank: r, Shuffle: true, Seed: seed}
		if shards[r], err = s.Indices(0); err != nil {
			return 0, err
		}
	}
	var order []int
	for k := 0; k < len(shards[0]); k += batch {
		for r := range shards {
			order = append(order, shards[r][k:min(k+batch, len(shards[r]))]...)
		}
	}
	ref, err := set.Subset(order)
	if err != nil {
		return 0, err
	}
	cfg := config(nil)
	cfg.NoShuffle = true
	if kind == "cnn" {
		cfg.Accumulate = world
	} else {
		cfg.BatchSize = world * batch
	}
	tr, err := train.New(m, cfg)
	if err != nil {
		return 0, err
	}
	if _, err := tr.Fit(context.Background(), ref, nil); err != nil {
		return 0, err
	}
	worst := 0.0
	for i, p := range tr.Params() {
		if p.Kind() == graph.State {
			continue
		}
		a, b := got[i].Float64s(), p.Float64s()
		d, s := 0.0, 0.0
		for j := range a {
			d, s = max(d, math.Abs(a[j]-b[j])), max(s, math.Abs(b[j]))
		}
		worst = max(worst, d/s)
	}
	return worst, nil
}

func blobs(n int) *data.Dataset {
	xs := make([]float64, 2*n)
	labels := make([]int, n)
	for i := range n {
		c := i % 3
		labels[i] = c
		xs[2*i] = float64(c) + 0.3*math.Sin(float64(7*i))
		xs[2*i+1] = float64(c%2) + 0.3*math.Cos(float64(5*i))
	}
	d, err := data.New(tensor.New(tensor.WithShape(n, 2), tensor.WithBacking(xs)), labels, 3)
	if err != nil {
		panic(err)
	}
	return d
}

func images(n int) *data.Dataset {
	xs := make([]float64, n*36)
	labels := make([]int, n)
	for i := range n {
		labels[i] = i % 3
		for j := range 36 {
			xs[i*36+j] = math.Sin(float64(i*37+j*(labels[i]+1))) + 0.1*float64(labels[i])
		}
	}
	d, err := data.New(tensor.New(tensor.WithShape(n, 1, 6, 6), tensor.WithBacking(xs)), labels, 3)
	if err != nil {
		panic(err)
	}
	return d
}
