package train

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"strings"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/dist"
	"github.com/gradflow/gradflow/train/optim"
)

// Data parallelism (Config.Comm), with PyTorch DistributedDataParallel's semantics;
// docs/distributed.md is the user's description. Every rank runs the same Fit on its
// shard of the training set: the Fit starts from rank 0's params, buffers and
// optimizer state; each optimizer step averages the gradients over the ranks
// (bucketed all-reduce, ddp_step.go) and copies rank 0's BatchNorm statistics; every
// decision (stop, NaN, cancellation) is taken by all ranks together, so that no rank
// is left waiting in a collective. An error only one rank sees aborts the group.

// ddpState is a Trainer's data-parallel state.
type ddpState struct {
	comm     dist.Communicator
	ctx      context.Context // the caller's context: its cancellation is agreed on
	inFit    bool
	badLoss  bool // a non-finite loss since the last step
	buckets  []*bucket
	commTime time.Duration  // spent in reduceGradients
	bufs     []*graph.Param // State params (BatchNorm statistics), broadcast from rank 0
	flat     *bucket        // their flat buffer
}

// agreedError is an error every rank returns at the same point: it does not abort
// the group.
type agreedError struct{ error }

func (e agreedError) Unwrap() error { return e.error }

func agreed(err error) error {
	if err == nil {
		return nil
	}
	return agreedError{err}
}

// RankZeroOnly is implemented by callbacks that only rank 0 of a data-parallel
// Trainer runs (they write files or print): CSVLogger, JSONLogger, BestCheckpoint and
// HealthMonitor. A callback that implements it must not change the training.
type RankZeroOnly interface {
	RankZeroOnly()
}

func (*CSVLogger) RankZeroOnly()      {}
func (*JSONLogger) RankZeroOnly()     {}
func (*BestCheckpoint) RankZeroOnly() {}
func (*HealthMonitor) RankZeroOnly()  {}

// setupDDP configures t for cfg.Comm: only rank 0 reports progress.
func (t *Trainer) setupDDP() error {
	c := t.cfg.Comm
	if c == nil {
		return nil
	}
	if c.Size() < 1 || c.Rank() < 0 || c.Rank() >= c.Size() {
		return errors.Errorf("train: Config.Comm: rank %d of %d", c.Rank(), c.Size())
	}
	t.ddp = &ddpState{comm: c}
	if c.Rank() != 0 {
		t.cfg.Quiet = true
	}
	for _, p := range t.params {
		if p.Kind() == graph.State {
			t.ddp.bufs = append(t.ddp.bufs, p)
		}
	}
	return nil
}

// skipCallback reports whether this rank skips callback c.
func (t *Trainer) skipCallback(c Callback) bool {
	_, only := c.(RankZeroOnly)
	return only && t.ddp != nil && t.ddp.comm.Rank() != 0
}

// fitDDP is Fit for a data-parallel Trainer: it checks that every rank has the same
// model, copies rank 0's state to every rank, shards the training set and runs Fit;
// an error that only this rank met aborts the group, so that no rank hangs.
func (t *Trainer) fitDDP(ctx context.Context, trainSet, valSet data.Source) (*History, error) {
	d := t.ddp
	d.ctx, d.inFit = ctx, true
	defer func() { d.inFit = false }()
	err := t.syncStart()
	var hist *History
	if err == nil {
		var shard data.Source
		shard, err = t.shard(trainSet, true)
		if err == nil {
			hist, err = t.Fit(context.WithoutCancel(ctx), shard, valSet)
		}
	}
	var ag agreedError
	if err != nil && !errors.As(err, &ag) {
		err = errors.Wrapf(err, "train: rank %d of %d", d.comm.Rank(), d.comm.Size())
		d.comm.Abort(err) // with MPI, ends every process
	}
	return hist, err
}

// modelRecord describes the model and optimizer for the comparison of the ranks.
func (t *Trainer) modelRecord() []byte {
	var b strings.Builder
	// The optimizer's kind and configured rate, not its current rate, which a
	// checkpoint loaded on rank 0 only may have changed (rank 0's is copied).
	fmt.Fprintf(&b, "optimizer %T with configured lr %g\n", t.opt, t.baseLR)
	for _, p := range t.params {
		fmt.Fprintf(&b, "param %q %v %v %v\n", p.Name(), p.Kind(), p.DType(), p.Shape())
	}
	return []byte(b.String())
}

// checkModels returns the same error on every rank when a rank's model or optimizer
// differs from rank 0's, naming the first difference.
func (t *Trainer) checkModels() error {
	c := t.ddp.comm
	mine := t.modelRecord()
	lens := make([]int64, c.Size())
	if err := c.AllGather([]int64{int64(len(mine))}, lens); err != nil {
		return err
	}
	width := int64(0)
	for _, n := range lens {
		width = max(width, n)
	}
	padded := make([]byte, width)
	copy(padded, mine)
	all := make([]byte, width*int64(c.Size()))
	if err := c.AllGather(padded, all); err != nil {
		return err
	}
	lines := func(r int) []string {
		return strings.Split(string(all[int64(r)*width:int64(r)*width+lens[r]]), "\n")
	}
	ref := lines(0)
	for r := 1; r < c.Size(); r++ {
		got := lines(r)
		for i := 0; i < max(len(ref), len(got)); i++ {
			a, b := "(nothing)", "(nothing)"
			if i < len(ref) {
				a = ref[i]
			}
			if i < len(got) {
				b = got[i]
			}
			if a != b {
				return agreed(errors.Errorf("train: data parallel: the model of rank %d differs from rank 0's: rank 0 has %s, rank %d has %s",
					r, a, r, b))
			}
		}
	}
	return nil
}

// startState is rank 0's training state, sent to the other ranks at the start of Fit.
type startState struct {
	Step, Epoch, SchedStep int
	LR                     float64
	RNG                    []byte
	Optimizer              map[string]wireParamState
	Resumed                bool           // rank 0 loaded a checkpoint: Fit goes on to Config.Epochs in all
	History                []EpochMetrics // rank 0's run so far, so every rank's History is the run's
}

type wireParamState struct {
	Steps int
	Shape []int
	Slots map[string][]float64 // float32 buffers are widened, exactly
}

// syncStart checks the models and copies rank 0's params, buffers, optimizer state,
// step, epoch, schedule position, learning rate and shuffle state to every rank.
func (t *Trainer) syncStart() error {
	if err := t.checkModels(); err != nil {
		return err
	}
	c := t.ddp.comm
	for _, p := range t.params {
		var err error
		if v := p.Float32s(); v != nil {
			err = c.Broadcast(v, 0)
		} else {
			err = c.Broadcast(p.Float64s(), 0)
		}
		if err != nil {
			return errors.Wrapf(err, "train: data parallel: broadcasting %q", p.Name())
		}
	}
	var blob []byte
	if c.Rank() == 0 {
		var err error
		if blob, err = t.encodeStart(); err != nil {
			return err
		}
	}
	n := []int64{int64(len(blob))}
	if err := c.Broadcast(n, 0); err != nil {
		return err
	}
	if c.Rank() != 0 {
		blob = make([]byte, n[0])
	}
	if err := c.Broadcast(blob, 0); err != nil {
		return errors.Wrap(err, "train: data parallel: broadcasting the optimizer state")
	}
	if c.Rank() == 0 {
		return nil
	}
	return t.decodeStart(blob)
}

func (t *Trainer) encodeStart() ([]byte, error) {
	st := startState{Step: t.step, Epoch: t.epoch, SchedStep: t.schedStep, LR: t.opt.LR(),
		Resumed: t.resumed, History: t.runHistory}
	var err error
	if st.RNG, err = t.pcg.MarshalBinary(); err != nil {
		return nil, errors.Wrap(err, "train: data parallel")
	}
	if s, ok := t.opt.(optim.Stateful); ok {
		st.Optimizer = map[string]wireParamState{}
		for name, ps := range s.State() {
			w := wireParamState{Steps: ps.Steps, Slots: map[string][]float64{}}
			for slot, d := range ps.Slots {
				w.Shape = d.Shape()
				var v []float64
				if f := d.Float32s(); d.Dtype() == graph.Float32 {
					v = make([]float64, len(f))
					for i, x := range f {
						v[i] = float64(x)
					}
				} else {
					v = d.Float64s()
				}
				w.Slots[slot] = v
			}
			st.Optimizer[name] = w
		}
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(st); err != nil {
		return nil, errors.Wrap(err, "train: data parallel: encoding the start state")
	}
	return b.Bytes(), nil
}

func (t *Trainer) decodeStart(blob []byte) error {
	var st startState
	if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(&st); err != nil {
		return errors.Wrap(err, "train: data parallel: decoding rank 0's start state")
	}
	t.step, t.epoch, t.schedStep = st.Step, st.Epoch, st.SchedStep
	t.resumed, t.runHistory = st.Resumed, st.History
	t.opt.SetLR(st.LR)
	if err := t.pcg.UnmarshalBinary(st.RNG); err != nil {
		return errors.Wrap(err, "train: data parallel: rank 0's shuffle state")
	}
	s, ok := t.opt.(optim.Stateful)
	if !ok {
		return nil
	}
	dt := t.params[0].DType()
	state := make(map[string]optim.ParamState, len(st.Optimizer))
	for name, w := range st.Optimizer {
		ps := optim.ParamState{Steps: w.Steps, Slots: map[string]*tensor.Dense{}}
		for slot, v := range w.Slots {
			ps.Slots[slot] = denseOf(dt, w.Shape, v)
		}
		state[name] = ps
	}
	return errors.Wrap(s.SetState(state), "train: data parallel: rank 0's optimizer state")
}

// denseOf returns a tensor of dtype dt and shape holding v.
func denseOf(dt graph.DType, shape []int, v []float64) *tensor.Dense {
	d := tensor.New(tensor.WithShape(shape...), tensor.Of(dt))
	if dt == graph.Float32 {
		f := d.Float32s()
		for i, x := range v {
			f[i] = float32(x)
		}
	} else {
		copy(d.Float64s(), v)
	}
	return d
}
