package train

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
)

// Checkpoints are safetensors files (see graph.WriteTensors). Params are stored under
// their own names, so other tools read a model's weights as a state dict and
// graph.LoadParams loads them; the optimizer's buffers are stored as
// "optimizer/<param>/<buffer>" (graph.OptimizerPrefix, which graph's loaders skip);
// the rest of the training state is JSON in the metadata entry "gradflow.trainer".
// The keys "format" and "gradflow.kind" are those graph.SaveParams writes.
const (
	metaFormat     = "format"
	metaFormatName = "gradflow"
	metaKind       = "gradflow.kind"
	metaTrainer    = "gradflow.trainer"
)

// trainerState is the JSON metadata of a checkpoint.
type trainerState struct {
	Version        int                        `json:"version"`
	Epoch          int                        `json:"epoch"`
	Step           int                        `json:"step"`
	ScheduleStep   int                        `json:"schedule_step"`
	LR             float64                    `json:"lr"`
	RNG            []byte                     `json:"rng"` // the shuffle PCG, MarshalBinary
	Optimizer      string                     `json:"optimizer"`
	OptimizerSteps map[string]int             `json:"optimizer_steps"`
	Config         configRecord               `json:"config"`
	Callbacks      map[string]json.RawMessage `json:"callbacks,omitempty"`
	History        []epochRecord              `json:"history"` // every epoch of the run, 1..Epoch
}

// configRecord is the part of a Config that can be written down.
type configRecord struct {
	BatchSize     int      `json:"batch_size"`
	EvalBatchSize int      `json:"eval_batch_size"`
	Epochs        int      `json:"epochs"`
	Seed          uint64   `json:"seed"`
	NoShuffle     bool     `json:"no_shuffle"`
	Schedule      string   `json:"schedule,omitempty"`
	ScheduleEvery string   `json:"schedule_every"`
	ClipValue     float64  `json:"clip_value"`
	ClipNorm      float64  `json:"clip_norm"`
	Accumulate    int      `json:"accumulate"`
	Metrics       []string `json:"metrics,omitempty"`
	Callbacks     []string `json:"callbacks,omitempty"`
}

func recordConfig(c Config) configRecord {
	r := configRecord{BatchSize: c.BatchSize, EvalBatchSize: c.EvalBatchSize, Epochs: c.Epochs, Seed: c.Seed,
		NoShuffle: c.NoShuffle, ScheduleEvery: "epoch", ClipValue: c.ClipValue, ClipNorm: c.ClipNorm, Accumulate: c.Accumulate}
	if c.Schedule != nil {
		r.Schedule = c.Schedule.String()
	}
	if c.ScheduleEvery == EveryStep {
		r.ScheduleEvery = "step"
	}
	for _, m := range c.Metrics {
		r.Metrics = append(r.Metrics, m.Name())
	}
	for _, cb := range c.Callbacks {
		r.Callbacks = append(r.Callbacks, fmt.Sprintf("%T", cb))
	}
	return r
}

// CheckpointState is implemented by callbacks whose state must survive a resume
// (ReduceLROnPlateau, EarlyStopping). Checkpoints store it keyed by the callback's
// position and type in Config.Callbacks.
type CheckpointState interface {
	SaveState() (json.RawMessage, error)
	LoadState(json.RawMessage) error
}

// SaveCheckpoint writes everything needed to resume training to path, atomically
// (a crash during the save leaves the previous file intact): every param of the
// model (weights, biases and state), the optimizer's buffers and step counts, the
// learning rate and the schedule's position, the epoch and step, the shuffling
// generator's state, the state of callbacks that have one, and the configuration.
func (t *Trainer) SaveCheckpoint(path string) error {
	done, err := t.guard.enter("SaveCheckpoint")
	if err != nil {
		return err
	}
	defer done()
	tensors, meta, err := t.checkpoint()
	if err != nil {
		return err
	}
	if err := graph.WriteFileAtomic(path, func(w io.Writer) error { return graph.WriteTensors(w, tensors, meta) }); err != nil {
		return errors.Wrapf(err, "train: SaveCheckpoint %s", path)
	}
	return nil
}

// checkpoint returns the tensors and metadata of a checkpoint of the trainer.
func (t *Trainer) checkpoint() (map[string]*tensor.Dense, map[string]string, error) {
	tensors := map[string]*tensor.Dense{}
	for _, p := range t.params {
		if strings.HasPrefix(p.Name(), graph.OptimizerPrefix) {
			return nil, nil, errors.Errorf("train: SaveCheckpoint: param name %q clashes with the optimizer's prefix", p.Name())
		}
		tensors[p.Name()] = p.Value()
	}
	st := trainerState{Version: 1, Epoch: t.epoch, Step: t.step, ScheduleStep: t.schedStep, LR: t.opt.LR(),
		Optimizer: t.opt.String(), OptimizerSteps: map[string]int{}, Config: recordConfig(t.cfg),
		History: recordHistory(t.runHistory)}
	if so, ok := t.opt.(optim.Stateful); ok {
		for name, ps := range so.State() {
			st.OptimizerSteps[name] = ps.Steps
			for slot, d := range ps.Slots {
				tensors[graph.OptimizerPrefix+name+"/"+slot] = d
			}
		}
	}
	var err error
	if st.RNG, err = t.pcg.MarshalBinary(); err != nil {
		return nil, nil, errors.Wrap(err, "train: SaveCheckpoint: generator state")
	}
	for i, cb := range t.cfg.Callbacks {
		cs, ok := cb.(CheckpointState)
		if !ok {
			continue
		}
		raw, err := cs.SaveState()
		if err != nil {
			return nil, nil, errors.Wrapf(err, "train: SaveCheckpoint: callback %d (%T)", i, cb)
		}
		if st.Callbacks == nil {
			st.Callbacks = map[string]json.RawMessage{}
		}
		st.Callbacks[callbackKey(i, cb)] = raw
	}
	js, err := json.Marshal(st)
	if err != nil {
		return nil, nil, errors.Wrap(err, "train: SaveCheckpoint")
	}
	meta := map[string]string{metaFormat: metaFormatName, metaKind: "checkpoint", metaTrainer: string(js)}
	return tensors, meta, nil
}

func callbackKey(i int, cb Callback) string { return fmt.Sprintf("%d:%T", i, cb) }

// LoadCheckpoint restores a checkpoint written by SaveCheckpoint into this Trainer,
// whose model must have exactly the checkpoint's params (names, shapes): all
// problems are reported at once, and nothing is changed unless everything fits. The
// file's checksums (graph.ChecksumKey) are verified and its trainer metadata is
// decoded strictly (every field required, no unknown one), so a corrupt or
// hand-edited checkpoint is an error, never a different state. The next Fit
// then goes on from the saved epoch and step to Config.Epochs in all (Keras's
// initial_epoch): a trainer configured for the whole run finishes it, and one
// already past its Epochs trains nothing. The checkpoint carries the run's History,
// so History() after the resume has every epoch. With the same data and configuration,
// the result is bit for bit that of an uninterrupted run. (A model with dropout draws
// its masks from a generator that is not saved, so its run is reproducible but not
// identical to the uninterrupted one.)
//
// To fine-tune from a checkpoint's weights without its training state, use
// graph.LoadParams with graph.Partial or graph.Select.
func (t *Trainer) LoadCheckpoint(path string) error {
	done, err := t.guard.enter("LoadCheckpoint")
	if err != nil {
		return err
	}
	defer done()
	b, err := os.ReadFile(path)
	if err != nil {
		return errors.Wrap(err, "train: LoadCheckpoint")
	}
	if err := t.loadCheckpoint(b); err != nil {
		return errors.Wrapf(err, "train: LoadCheckpoint %s", path)
	}
	return nil
}

func (t *Trainer) loadCheckpoint(b []byte) error {
	tensors, meta, err := graph.ReadTensors(b)
	if err != nil {
		return err
	}
	raw, ok := meta[metaTrainer]
	if !ok {
		return errors.Errorf("no %q metadata: not a gradflow checkpoint (graph.LoadParams reads weights alone)", metaTrainer)
	}
	var st trainerState
	if err := decodeStrict([]byte(raw), &st); err != nil {
		return errors.Wrapf(err, "bad %q metadata", metaTrainer)
	}
	if err := st.check(); err != nil {
		return errors.Wrapf(err, "bad %q metadata", metaTrainer)
	}
	if err := graph.CheckParams(t.params, tensors); err != nil {
		return err
	}
	// The optimizer's state, grouped by param and buffer.
	state := map[string]optim.ParamState{}
	for name, steps := range st.OptimizerSteps {
		state[name] = optim.ParamState{Steps: steps, Slots: map[string]*tensor.Dense{}}
	}
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		rest, ok := strings.CutPrefix(name, graph.OptimizerPrefix)
		if !ok {
			continue
		}
		i := strings.LastIndex(rest, "/")
		if i < 0 {
			return errors.Errorf("optimizer tensor %q: want optimizer/<param>/<buffer>", name)
		}
		ps, ok := state[rest[:i]]
		if !ok {
			return errors.Errorf("optimizer tensor %q: param %q has no step count in the metadata", name, rest[:i])
		}
		ps.Slots[rest[i+1:]] = tensors[name]
	}
	restoreOptimizer := func() error { return nil }
	if so, ok := t.opt.(optim.Stateful); ok {
		// Check against a fresh optimizer of the same configuration first, so that
		// a mismatch leaves this one untouched.
		probe, err := t.cfg.Optimizer.NewOptimizer()
		if err != nil {
			return err
		}
		optim.AssignGroups(probe, t.params)
		if err := probe.(optim.Stateful).SetState(state); err != nil {
			return errors.Wrap(err, "optimizer state does not fit this optimizer")
		}
		for _, name := range slices.Sorted(maps.Keys(state)) {
			p := paramByName(t.params, name)
			if p == nil {
				return errors.Errorf("optimizer state of %q: the model has no such param", name)
			}
			ps := state[name]
			for _, slot := range slices.Sorted(maps.Keys(ps.Slots)) {
				d := ps.Slots[slot]
				if !slices.Equal(p.Shape(), []int(d.Shape())) && !(len(p.Shape()) == 0 && d.Size() == 1) {
					return errors.Errorf("optimizer buffer %q of %q has shape %v, param has %v", slot, name, d.Shape(), p.Shape())
				}
				if d.Dtype() != p.DType() {
					return errors.Errorf("optimizer buffer %q of %q has dtype %v, param has %v", slot, name, d.Dtype(), p.DType())
				}
			}
		}
		restoreOptimizer = func() error { return so.SetState(state) }
	} else if len(state) > 0 {
		return errors.Errorf("the checkpoint has optimizer state, %v cannot restore it", t.opt)
	}
	hist, err := restoreHistory(st.History, st.Epoch, st.Step)
	if err != nil {
		return err
	}
	pcg := rand.NewPCG(0, 0)
	if err := pcg.UnmarshalBinary(st.RNG); err != nil {
		return errors.Wrap(err, "generator state")
	}
	// A saved state must belong to a callback of this trainer (same position and
	// type); a callback without a saved state keeps its own (one added on resume).
	cbStates := map[int]json.RawMessage{}
	var keys []string
	for i, cb := range t.cfg.Callbacks {
		if _, ok := cb.(CheckpointState); !ok {
			continue
		}
		keys = append(keys, callbackKey(i, cb))
		if raw, ok := st.Callbacks[callbackKey(i, cb)]; ok {
			cbStates[i] = raw
		}
	}
	if len(cbStates) != len(st.Callbacks) {
		for _, k := range slices.Sorted(maps.Keys(st.Callbacks)) {
			if !slices.Contains(keys, k) {
				return errors.Errorf("callback state %q matches no callback of this trainer (position:type %q)", k, keys)
			}
		}
	}
	// The callbacks first, as only they can still fail: on a failure, those already
	// restored get their previous state back.
	if err := t.restoreCallbacks(cbStates); err != nil {
		return err
	}
	// Everything checked: commit.
	if err := graph.SetParams(t.params, tensors); err != nil {
		return err // unreachable: CheckParams passed
	}
	if err := restoreOptimizer(); err != nil {
		return err // unreachable: the same state fitted the probe
	}
	t.epoch, t.step, t.schedStep = st.Epoch, st.Step, st.ScheduleStep
	t.runHistory, t.resumed = hist, true
	t.opt.SetLR(st.LR)
	*t.pcg = *pcg
	return nil
}

// restoreCallbacks loads the saved states into the callbacks at their indices, all
// or none.
func (t *Trainer) restoreCallbacks(states map[int]json.RawMessage) error {
	var done []int
	backup := map[int]json.RawMessage{}
	for _, i := range slices.Sorted(maps.Keys(states)) {
		cs := t.cfg.Callbacks[i].(CheckpointState)
		old, err := cs.SaveState()
		if err == nil {
			backup[i] = old
			err = cs.LoadState(states[i])
		}
		if err != nil {
			for _, j := range done {
				t.cfg.Callbacks[j].(CheckpointState).LoadState(backup[j])
			}
			return errors.Wrapf(err, "callback %d (%T)", i, t.cfg.Callbacks[i])
		}
		done = append(done, i)
	}
	return nil
}

func paramByName(params []*graph.Param, name string) *graph.Param {
	for _, p := range params {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// SaveState saves the plateau's counters (CheckpointState).
func (r *ReduceLROnPlateau) SaveState() (json.RawMessage, error) {
	return json.Marshal(r.Plateau.State())
}

// LoadState restores the plateau's counters (CheckpointState).
func (r *ReduceLROnPlateau) LoadState(raw json.RawMessage) error {
	var s optim.PlateauState
	if err := decodeStrict(raw, &s); err != nil {
		return errors.Wrap(err, "train: ReduceLROnPlateau: state")
	}
	r.Plateau.SetState(s)
	return nil
}

type earlyState struct {
	Best      float64 `json:"best"`
	Seen      bool    `json:"seen"`
	Wait      int     `json:"wait"`
	BestEpoch int     `json:"best_epoch"`
	Monitor   string  `json:"monitor"`
}

// SaveState saves the best value and the patience counter (CheckpointState). The
// best weights kept for RestoreBest are not saved.
func (e *EarlyStopping) SaveState() (json.RawMessage, error) {
	m, err := newMonitor(e.Monitor, e.Mode)
	if err != nil {
		return nil, err
	}
	return json.Marshal(earlyState{Best: e.mon.best, Seen: e.mon.seen, Wait: e.wait, BestEpoch: e.BestEpoch, Monitor: m.name})
}

// LoadState restores the state saved by SaveState (CheckpointState).
func (e *EarlyStopping) LoadState(raw json.RawMessage) error {
	var s earlyState
	if err := decodeStrict(raw, &s); err != nil {
		return errors.Wrap(err, "train: EarlyStopping: state")
	}
	m, err := newMonitor(e.Monitor, e.Mode)
	if err != nil {
		return err
	}
	if s.Monitor != m.name {
		return errors.Errorf("train: EarlyStopping: the state is of %q, this callback monitors %q", s.Monitor, m.name)
	}
	if s.Wait < 0 || s.BestEpoch < 0 {
		return errors.Errorf("train: EarlyStopping: state wait %d, best_epoch %d: want >= 0", s.Wait, s.BestEpoch)
	}
	m.best, m.seen = s.Best, s.Seen
	e.mon, e.wait, e.BestEpoch = m, s.Wait, s.BestEpoch
	return nil
}
