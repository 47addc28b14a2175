package train_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestDDPModelMismatch: a rank whose model differs gets, as every rank does, an error
// naming the difference, and no rank hangs.
func TestDDPModelMismatch(t *testing.T) {
	var mu sync.Mutex
	errs := map[int]error{}
	comms, err := dist.NewLocal(2)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, comm := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := graph.NewScope(graph.Float64, graph.Seed(1))
			m, err := nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 2, Out: 16 + comm.Rank()}, nn.LinearConfig{In: 16 + comm.Rank(), Out: 3})
			if err == nil {
				var tr *train.Trainer
				if tr, err = train.New(m, ddpConfig(comm)); err == nil {
					_, err = tr.Fit(context.Background(), threeBlobs(30), nil)
				}
			}
			mu.Lock()
			errs[comm.Rank()] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	for r := range 2 {
		if err := errs[r]; err == nil || !strings.Contains(err.Error(), "the model of rank 1 differs from rank 0's") ||
			!strings.Contains(err.Error(), `"mlp/0/weight"`) {
			t.Errorf("rank %d: err = %v, want the model difference", r, err)
		}
	}
}

// TestDDPStopsTogether: a callback that stops on rank 1 only, and a context
// cancelled on rank 0 only, stop every rank at the same step.
func TestDDPStopsTogether(t *testing.T) {
	steps := make([]int, 2)
	err := dist.RunLocal(2, func(comm dist.Communicator) error {
		m, err := mlpCase().model(1)
		if err != nil {
			return err
		}
		cfg := ddpConfig(comm)
		cfg.Epochs = 3
		cfg.Callbacks = []train.Callback{train.CallbackFuncs{BatchEnd: func(s *train.Status) error {
			if comm.Rank() == 1 && s.Step == 5 {
				s.Stop("rank 1 has seen enough")
			}
			return nil
		}}}
		tr, err := train.New(m, cfg)
		if err != nil {
			return err
		}
		h, err := tr.Fit(context.Background(), threeBlobs(160), nil)
		if err != nil {
			return err
		}
		steps[comm.Rank()] = tr.Step()
		if !strings.Contains(h.Stopped, "rank 1") {
			return fmt.Errorf("rank %d: History.Stopped = %q, want rank 1's reason", comm.Rank(), h.Stopped)
		}
		return nil
	})
	if err != nil || steps[0] != 5 || steps[1] != 5 {
		t.Errorf("stopping on rank 1: err %v, steps %v, want 5 on both", err, steps)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make([]error, 2)
	comms, _ := dist.NewLocal(2)
	var wg sync.WaitGroup
	for _, comm := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, _ := mlpCase().model(1)
			cfg := ddpConfig(comm)
			cfg.Epochs = 3
			c := context.Background()
			if comm.Rank() == 0 {
				c = ctx
				cfg.Callbacks = []train.Callback{train.CallbackFuncs{BatchEnd: func(s *train.Status) error {
					if s.Step == 3 {
						cancel()
					}
					return nil
				}}}
			}
			tr, err := train.New(m, cfg)
			if err == nil {
				_, err = tr.Fit(c, threeBlobs(160), nil)
			}
			errs[comm.Rank()] = err
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped (rank 0)") {
			t.Errorf("rank %d after rank 0's cancel: err = %v, want context canceled", r, err)
		}
	}
}

// TestDDPNonFiniteStopsEveryRank: a NaN example, which only one rank's shard holds,
// stops every rank at the same step with the same error.
func TestDDPNonFiniteStopsEveryRank(t *testing.T) {
	set := threeBlobs(40)
	set.X().Float64s()[2*7] = math.NaN() // example 7
	errs := make([]error, 2)
	comms, err := dist.NewLocal(2)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, comm := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, _ := mlpCase().model(1)
			tr, err := train.New(m, ddpConfig(comm))
			if err == nil {
				_, err = tr.Fit(context.Background(), set, nil)
			}
			errs[comm.Rank()] = err
		}()
	}
	wg.Wait()
	if errs[0] == nil || errs[1] == nil || errs[0].Error() != errs[1].Error() || !strings.Contains(errs[0].Error(), "not finite on 1 of 2 ranks") {
		t.Errorf("errors %v and %v, want the same non-finite loss error on both ranks", errs[0], errs[1])
	}
}

// TestDDPResume: 2 epochs on 2 ranks equal, bit for bit, 1 epoch, a checkpoint
// written by rank 0 and loaded by rank 0 only into fresh trainers, and 1 more epoch;
// on another number of ranks the run goes on from the checkpoint's epoch and step.
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
	got := fit(1, true, false)
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
		tr, err := train.New(m, ddpConfig(comm))
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

// TestDDPRankFailureAborts: an error on rank 1 only (a failing callback) ends every
// rank's Fit at once, with rank 1's error, instead of leaving rank 0 in the
// all-reduce.
func TestDDPRankFailureAborts(t *testing.T) {
	boom := errors.New("disk full on rank 1")
	var failed time.Time
	errs := make([]error, 2)
	err := dist.RunLocal(2, func(comm dist.Communicator) error {
		m, err := mlpCase().model(1)
		if err != nil {
			return err
		}
		cfg := ddpConfig(comm)
		cfg.Epochs = 5
		cfg.Callbacks = []train.Callback{train.CallbackFuncs{BatchEnd: func(s *train.Status) error {
			if comm.Rank() == 1 && s.Step == 5 {
				failed = time.Now()
				return boom
			}
			return nil
		}}}
		tr, err := train.New(m, cfg)
		if err != nil {
			return err
		}
		_, err = tr.Fit(context.Background(), threeBlobs(160), nil)
		errs[comm.Rank()] = err
		return err
	})
	took := time.Since(failed)
	t.Logf("from rank 1's error to the end of every rank: %v", took)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "rank 1") {
		t.Errorf("RunLocal = %v, want rank 1's error", err)
	}
	var ab *dist.AbortError
	if !errors.As(errs[0], &ab) || ab.Rank != 1 || !errors.Is(errs[0], boom) {
		t.Errorf("rank 0: %v, want rank 1's abort", errs[0])
	}
	if took > 2*time.Second {
		t.Errorf("the ranks took %v to end after the failure", took)
	}
}

// TestDDPNeedsRandomAccess: a training set without random access (here a
// data.Transform) is refused on every rank with the same error.
func TestDDPNeedsRandomAccess(t *testing.T) {
	src := data.Transform(threeBlobs(30), func(data.Batch) error { return nil })
	errs := make([]error, 2)
	comms, err := dist.NewLocal(2)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, comm := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, _ := mlpCase().model(1)
			tr, err := train.New(m, ddpConfig(comm))
			if err == nil {
				_, err = tr.Fit(context.Background(), src, nil)
			}
			errs[comm.Rank()] = err
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "has no random access") {
			t.Errorf("rank %d: err = %v, want the random-access error", r, err)
		}
	}
}
