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

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/dist"
)

// The data-parallel Trainer's failures and decisions: every rank gets the same error,
// stops at the same step, or is aborted at once.

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
