package train_test

import (
	"context"
	"fmt"
	"math"
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

// ddpCase is a model and data set for the data-parallel equivalence tests.
type ddpCase struct {
	name  string
	model func(seed uint64) (train.Model, error)
	set   *data.Dataset
	// accumulate: the reference takes each rank's batch as one micro-batch of a
	// gradient accumulation, which is what DDP computes when the model has
	// BatchNorm (each rank normalises with its own batch's statistics); without
	// BatchNorm, the reference takes the ranks' batches as one batch.
	accumulate bool
	// steps: with steps > 1, every rank accumulates that many batches per optimizer
	// step (Config.Accumulate), and so does the reference.
	steps int
}

func mlpCase() ddpCase {
	return ddpCase{name: "mlp-adam", set: threeBlobs(160), model: func(seed uint64) (train.Model, error) {
		s := graph.NewScope(graph.Float64, graph.Seed(seed))
		return nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 2, Out: 16, Activation: nn.ReLU}, nn.LinearConfig{In: 16, Out: 3})
	}}
}

// images returns n single-channel 6x6 images in 3 classes, fixed values.
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

func cnnCase() ddpCase {
	return ddpCase{name: "cnn-batchnorm", set: images(160), accumulate: true, model: func(seed uint64) (train.Model, error) {
		s := graph.NewScope(graph.Float64, graph.Seed(seed))
		return nn.NewSequential(s.Sub("cnn"), nn.Conv2DConfig{In: 1, Out: 3, Kernel: [2]int{3, 3}},
			nn.BatchNorm2DConfig{Features: 3}, nn.ReLU, nn.FlattenConfig{}, nn.LinearConfig{In: 48, Out: 3})
	}}
}

const ddpBatch, ddpSeed = 4, 11

func ddpConfig(comm dist.Communicator) train.Config {
	return train.Config{Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.Adam{LR: 0.01}, BatchSize: ddpBatch,
		Seed: ddpSeed, Quiet: true, Comm: comm}
}

// runRanks trains c on world in-process ranks for one epoch (160/world/4 steps) and
// returns every rank's params, flattened.
func runRanks(t *testing.T, c ddpCase, world int) [][][]float64 {
	out := make([][][]float64, world)
	err := dist.RunLocal(world, func(comm dist.Communicator) error {
		// Rank 1 starts from other weights: the broadcast must replace them.
		m, err := c.model(1 + uint64(comm.Rank()))
		if err != nil {
			return err
		}
		cfg := ddpConfig(comm)
		cfg.Accumulate = c.steps
		tr, err := train.New(m, cfg)
		if err != nil {
			return err
		}
		if _, err := tr.Fit(context.Background(), c.set, nil); err != nil {
			return err
		}
		for _, p := range tr.Params() {
			out[comm.Rank()] = append(out[comm.Rank()], append([]float64(nil), p.Float64s()...))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reference trains c in one process on the ranks' batches, step by step.
func reference(t *testing.T, c ddpCase, world int) [][]float64 {
	shards := make([][]int, world)
	for r := range shards {
		var err error
		s := dist.DistributedSampler{N: c.set.Len(), World: world, Rank: r, Shuffle: true, Seed: ddpSeed}
		if shards[r], err = s.Indices(0); err != nil {
			t.Fatal(err)
		}
	}
	var order []int
	for k := 0; k < len(shards[0]); k += ddpBatch {
		for r := range shards {
			order = append(order, shards[r][k:k+ddpBatch]...)
		}
	}
	set, err := c.set.Subset(order)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.model(1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ddpConfig(nil)
	cfg.NoShuffle = true
	if c.accumulate {
		cfg.Accumulate = world
	} else {
		cfg.BatchSize = world * ddpBatch
		cfg.Accumulate = c.steps
	}
	tr, err := train.New(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), set, nil); err != nil {
		t.Fatal(err)
	}
	var out [][]float64
	for _, p := range tr.Params() {
		out = append(out, p.Float64s())
	}
	return out
}

// relDiff is max|a-b| / max|b| over one tensor.
func relDiff(a, b []float64) float64 {
	d, s := 0.0, 0.0
	for i := range a {
		d, s = max(d, math.Abs(a[i]-b[i])), max(s, math.Abs(b[i]))
	}
	return d / max(s, 1e-300)
}

// TestDDPEqualsOneProcess: 2 in-process ranks at batch B take the steps one process
// takes at batch 2B (with BatchNorm: 2 accumulated batches of B), 20 Adam steps, in
// float64 to 1e-12; both ranks hold the same bits. With gradient accumulation (the
// all-reduce only at the step) they equal one process accumulating as many batches
// of 2B.
func TestDDPEqualsOneProcess(t *testing.T) {
	accumulated := mlpCase()
	accumulated.name, accumulated.steps = "mlp-adam-accumulate-2", 2
	for _, c := range []ddpCase{mlpCase(), cnnCase(), accumulated} {
		t.Run(c.name, func(t *testing.T) {
			ranks := runRanks(t, c, 2)
			want := reference(t, c, 2)
			m, _ := c.model(1)
			params := m.Params()
			for i, p := range params {
				for r := 1; r < len(ranks); r++ {
					if relDiff(ranks[r][i], ranks[0][i]) != 0 {
						t.Errorf("%s: rank %d differs from rank 0 by %g", p.Name(), r, relDiff(ranks[r][i], ranks[0][i]))
					}
				}
				if p.Kind() == graph.State { // rank 0's statistics: its batches only
					continue
				}
				if d := relDiff(ranks[0][i], want[i]); d > 1e-12 || math.IsNaN(d) {
					t.Errorf("%s: 2 ranks vs one process: relative difference %g, want <= 1e-12", p.Name(), d)
				}
			}
		})
	}
}

// TestDDPResume: 2 epochs on 2 ranks equal, bit for bit, 1 epoch, a checkpoint
// written by rank 0 and loaded by rank 0 only into fresh trainers configured for the
// whole run (Epochs 2), and its Fit; on another number of ranks the run goes on from
// the checkpoint's epoch and step. Every rank's History is the whole run's.
func TestDDPResume(t *testing.T) {
	path := t.TempDir() + "/ckpt.safetensors"
	fit := func(epochs int, load, save bool) [][]float64 {
		out := make([][]float64, 2)
		err := dist.RunLocal(2, func(comm dist.Communicator) error {
			m, err := mlpCase().model(1 + uint64(comm.Rank()))
			if err != nil {
				return err
			}
			cfg := ddpConfig(comm)
			cfg.Epochs = epochs
			// The rate changes every step: rank 0's, from the checkpoint, must win.
			cfg.Schedule, cfg.ScheduleEvery = optim.ExponentialLR{Gamma: 0.97}, train.EveryStep
			tr, err := train.New(m, cfg)
			if err != nil {
				return err
			}
			if load && comm.Rank() == 0 {
				if err := tr.LoadCheckpoint(path); err != nil {
					return err
				}
			}
			if _, err := tr.Fit(context.Background(), threeBlobs(160), nil); err != nil {
				return err
			}
			if save && comm.Rank() == 0 {
				if err := tr.SaveCheckpoint(path); err != nil {
					return err
				}
			}
			for _, p := range tr.Params() {
				out[comm.Rank()] = append(out[comm.Rank()], p.Float64s()...)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := fit(2, false, false)
	fit(1, false, true)
	got := fit(2, true, false) // the run's total: one epoch is left
	for r := range 2 {
		if d := relDiff(got[r], want[0]); d != 0 {
			t.Errorf("rank %d: resumed weights differ from 2 epochs' by %g, want the same bits", r, d)
		}
	}
	// On 4 ranks the run goes on from the checkpoint's epoch and step (20 steps of
	// 2 ranks), the second epoch's permutation cut into 4 shards: 10 more steps.
	err := dist.RunLocal(4, func(comm dist.Communicator) error {
		m, err := mlpCase().model(1)
		if err != nil {
			return err
		}
		cfg := ddpConfig(comm)
		cfg.Epochs = 2
		tr, err := train.New(m, cfg)
		if err != nil {
			return err
		}
		if comm.Rank() == 0 {
			if err := tr.LoadCheckpoint(path); err != nil {
				return err
			}
		}
		if _, err := tr.Fit(context.Background(), threeBlobs(160), nil); err != nil {
			return err
		}
		if tr.Epoch() != 2 || tr.Step() != 30 {
			return fmt.Errorf("rank %d: epoch %d, step %d after resuming on 4 ranks, want 2 and 30", comm.Rank(), tr.Epoch(), tr.Step())
		}
		if h := tr.History(); len(h.Epochs) != 2 || h.Epochs[0].Epoch != 1 || h.Epochs[1].Step != 30 {
			return fmt.Errorf("rank %d: History after resuming has %d epochs, want epochs 1 and 2 (the second ending at step 30)", comm.Rank(), len(h.Epochs))
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// TestDDPEvaluate: on 3 ranks (the 100 examples split 34, 33, 33) Evaluate gives
// the loss, accuracy and extra metrics of one process over the whole set; a
// rank-zero-only callback (CSVLogger) writes on rank 0 only.
func TestDDPEvaluate(t *testing.T) {
	set := threeBlobs(100)
	m, err := mlpCase().model(1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ddpConfig(nil)
	cfg.Metrics = []train.Metric{&train.F1{}, &train.ConfusionMatrix{}}
	cfg.EvalBatchSize = 16
	one, err := train.New(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want, err := one.Evaluate(context.Background(), set)
	if err != nil {
		t.Fatal(err)
	}
	logs := make([]strings.Builder, 3)
	err = dist.RunLocal(3, func(comm dist.Communicator) error {
		m, err := mlpCase().model(1)
		if err != nil {
			return err
		}
		c := cfg
		c.Comm = comm
		c.Callbacks = []train.Callback{&train.CSVLogger{W: &logs[comm.Rank()]}}
		tr, err := train.New(m, c)
		if err != nil {
			return err
		}
		got, err := tr.Evaluate(context.Background(), set)
		if err != nil {
			return err
		}
		if got.Samples != want.Samples || math.Abs(got.Loss-want.Loss) > 1e-12*want.Loss || got.Accuracy != want.Accuracy ||
			got.Extra["f1"] != want.Extra["f1"] {
			return fmt.Errorf("rank %d: Evaluate = %+v, want %+v", comm.Rank(), got, want)
		}
		_, err = tr.Fit(context.Background(), set, set)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if logs[0].Len() == 0 || logs[1].Len() != 0 || logs[2].Len() != 0 {
		t.Errorf("CSVLogger wrote %d, %d, %d bytes on ranks 0, 1, 2; want rank 0 only", logs[0].Len(), logs[1].Len(), logs[2].Len())
	}
}
