package train

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
)

// Callback is called by Fit at the boundaries of training, of each epoch and of each
// batch. A method that returns an error stops Fit with that error; to end training
// normally (early stopping), call Status.Stop. Embed NopCallback to implement only
// some of the hooks, or use CallbackFuncs.
type Callback interface {
	OnTrainBegin(s *Status) error
	OnEpochBegin(s *Status) error
	// OnBatchEnd is called after each training batch (and the optimizer step,
	// if one was due).
	OnBatchEnd(s *Status) error
	// OnEpochEnd is called after each epoch's evaluation; s.Metrics holds the
	// epoch's results.
	OnEpochEnd(s *Status) error
	OnTrainEnd(s *Status) error
}

// Status is what a Callback sees of the training in progress.
type Status struct {
	Trainer   *Trainer
	Epoch     int          // the current epoch, from 1 (counting every epoch trained)
	Epochs    int          // the epoch at which this Fit ends
	Batch     int          // batches done in the current epoch
	Batches   int          // batches per epoch
	Step      int          // optimizer steps taken
	BatchLoss float64      // the loss of the last batch
	BatchSize int          // the size of the last batch
	Metrics   EpochMetrics // the current epoch's results, set before OnEpochEnd
	History   *History     // the epochs of this Fit completed so far
	TrainSet  data.Source
	ValSet    data.Source // nil without a validation set
	stop      string
	ctx       context.Context
}

// Stop ends training after the current batch's callbacks (from OnBatchEnd) or the
// current epoch's (from OnEpochEnd); reason goes into History.Stopped.
func (s *Status) Stop(reason string) {
	if reason == "" {
		reason = "stopped by a callback"
	}
	s.stop = reason
}

// Context returns the context Fit was given.
func (s *Status) Context() context.Context {
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// NopCallback implements every hook of Callback by doing nothing; embed it.
type NopCallback struct{}

func (NopCallback) OnTrainBegin(*Status) error { return nil }
func (NopCallback) OnEpochBegin(*Status) error { return nil }
func (NopCallback) OnBatchEnd(*Status) error   { return nil }
func (NopCallback) OnEpochEnd(*Status) error   { return nil }
func (NopCallback) OnTrainEnd(*Status) error   { return nil }

// CallbackFuncs is a Callback made of functions; nil ones are skipped.
type CallbackFuncs struct {
	TrainBegin, EpochBegin, BatchEnd, EpochEnd, TrainEnd func(s *Status) error
}

func call(f func(*Status) error, s *Status) error {
	if f == nil {
		return nil
	}
	return f(s)
}

func (c CallbackFuncs) OnTrainBegin(s *Status) error { return call(c.TrainBegin, s) }
func (c CallbackFuncs) OnEpochBegin(s *Status) error { return call(c.EpochBegin, s) }
func (c CallbackFuncs) OnBatchEnd(s *Status) error   { return call(c.BatchEnd, s) }
func (c CallbackFuncs) OnEpochEnd(s *Status) error   { return call(c.EpochEnd, s) }
func (c CallbackFuncs) OnTrainEnd(s *Status) error   { return call(c.TrainEnd, s) }

var (
	_ Callback = NopCallback{}
	_ Callback = CallbackFuncs{}
	_ Callback = (*EarlyStopping)(nil)
	_ Callback = (*BestCheckpoint)(nil)
	_ Callback = (*CSVLogger)(nil)
	_ Callback = (*JSONLogger)(nil)
	_ Callback = (*ReduceLROnPlateau)(nil)
)

// monitor tracks the best value of a metric.
type monitor struct {
	name string
	max  bool
	best float64
	seen bool
}

// newMonitor returns a monitor of name ("val_loss" when empty); mode is "min",
// "max" or "" (max for names holding accuracy, precision, recall or f1, else min).
func newMonitor(name, mode string) (monitor, error) {
	if name == "" {
		name = "val_loss"
	}
	m := monitor{name: name}
	switch mode {
	case "min":
	case "max":
		m.max = true
	case "", "auto":
		for _, k := range []string{"acc", "precision", "recall", "f1"} {
			m.max = m.max || strings.Contains(name, k)
		}
	default:
		return m, errors.Errorf("train: monitor %q: mode %q, want min, max or auto", name, mode)
	}
	return m, nil
}

// value reads the monitored metric from the epoch's results.
func (m *monitor) value(em EpochMetrics) (float64, error) {
	v, ok := em.Value(m.name)
	if !ok {
		return 0, errors.Errorf("train: monitored metric %q is not available (a validation set is needed for val_ metrics)", m.name)
	}
	return v, nil
}

// improved reports whether v beats the best by more than delta, and records it.
func (m *monitor) improved(v, delta float64) bool {
	better := !m.seen || (m.max && v > m.best+delta) || (!m.max && v < m.best-delta)
	if better {
		m.best, m.seen = v, true
	}
	return better
}

// EarlyStopping stops training when the monitored metric has not improved by more
// than MinDelta for Patience epochs (Keras's EarlyStopping). With RestoreBest, the
// weights of the best epoch are copied back into the model's params at the end of
// training (they are kept in memory).
type EarlyStopping struct {
	Monitor     string  // default "val_loss"
	Mode        string  // "min", "max" or "" (auto, from the name)
	Patience    int     // stop after this many epochs without improvement; 0 stops at the first
	MinDelta    float64 // the least change that counts as an improvement, >= 0
	RestoreBest bool

	NopCallback
	mon       monitor
	wait      int
	BestEpoch int // the epoch of the best value, after training
	best      []*tensor.Dense
}

func (e *EarlyStopping) OnTrainBegin(s *Status) error {
	m, err := newMonitor(e.Monitor, e.Mode)
	if err != nil {
		return err
	}
	if e.mon.name != m.name || !e.mon.seen { // a new run; keep the state across Fits of one run
		e.mon, e.wait, e.BestEpoch = m, 0, 0
	}
	return nil
}

func (e *EarlyStopping) OnEpochEnd(s *Status) error {
	v, err := e.mon.value(s.Metrics)
	if err != nil {
		return err
	}
	if e.mon.improved(v, e.MinDelta) {
		e.wait, e.BestEpoch = 0, s.Epoch
		if e.RestoreBest {
			e.best = snapshot(s.Trainer.params, e.best)
		}
		return nil
	}
	e.wait++
	if e.wait >= e.Patience {
		s.Stop("early stopping: " + e.mon.name + " did not improve for " + strconv.Itoa(e.wait) +
			" epochs; best " + strconv.FormatFloat(e.mon.best, 'g', 6, 64) + " at epoch " + strconv.Itoa(e.BestEpoch))
	}
	return nil
}

func (e *EarlyStopping) OnTrainEnd(s *Status) error {
	if e.RestoreBest && e.best != nil && e.BestEpoch != s.Trainer.epoch {
		restore(s.Trainer.params, e.best)
	}
	return nil
}

// BestCheckpoint saves a checkpoint (Trainer.SaveCheckpoint) to Path whenever the
// monitored metric improves, or after every epoch with Always. Path may hold
// "{epoch}", replaced by the epoch number.
type BestCheckpoint struct {
	Path     string
	Monitor  string // default "val_loss"
	Mode     string // "min", "max" or "" (auto)
	MinDelta float64
	Always   bool

	NopCallback
	mon monitor
	// Saved lists the files written, in order.
	Saved []string
}

func (c *BestCheckpoint) OnTrainBegin(s *Status) error {
	if c.Path == "" {
		return errors.New("train: BestCheckpoint: empty Path")
	}
	m, err := newMonitor(c.Monitor, c.Mode)
	if err != nil {
		return err
	}
	if c.mon.name != m.name {
		c.mon = m
	}
	return nil
}

func (c *BestCheckpoint) OnEpochEnd(s *Status) error {
	if !c.Always {
		v, err := c.mon.value(s.Metrics)
		if err != nil {
			return err
		}
		if !c.mon.improved(v, c.MinDelta) {
			return nil
		}
	}
	path := strings.ReplaceAll(c.Path, "{epoch}", strconv.Itoa(s.Epoch))
	if err := s.Trainer.SaveCheckpoint(path); err != nil {
		return err
	}
	c.Saved = append(c.Saved, path)
	return nil
}

// CSVLogger appends one CSV line per epoch to W, or to the file Path (created, or
// appended to with Append), with a header line first: the columns of
// History.WriteCSV, fixed by the first epoch. With Append and a file that already has
// a header (a resumed run), it writes rows only, and fails if the epoch's columns
// differ from the header's.
type CSVLogger struct {
	Path   string
	W      io.Writer
	Append bool

	NopCallback
	f    *os.File
	cw   *csv.Writer
	cols []string
}

func (c *CSVLogger) OnTrainBegin(s *Status) error {
	w, f, err := openLog(c.Path, c.W, c.Append, "CSVLogger")
	if err != nil {
		return err
	}
	c.f, c.cw, c.cols = f, csv.NewWriter(w), nil
	if c.Append && c.W == nil {
		// Resuming into an existing log: keep its header, write rows only.
		if c.cols, err = csvLogColumns(c.Path); err != nil {
			closeLog(&c.f)
			return err
		}
	}
	return nil
}

func (c *CSVLogger) OnEpochEnd(s *Status) error {
	em := s.Metrics
	if c.cols == nil {
		c.cols = em.columns()
		header := append(append([]string{"epoch"}, c.cols...), csvTail...)
		if err := c.cw.Write(header); err != nil {
			return errors.Wrap(err, "train: CSVLogger")
		}
	} else if cols := em.columns(); !slices.Equal(cols, c.cols) {
		return errors.Errorf("train: CSVLogger %s: this epoch's columns %v differ from the log's %v (a different metric set; log to a new file)", c.Path, cols, c.cols)
	}
	if err := c.cw.Write(csvRow(em, c.cols)); err != nil {
		return errors.Wrap(err, "train: CSVLogger")
	}
	c.cw.Flush()
	return errors.Wrap(c.cw.Error(), "train: CSVLogger")
}

func (c *CSVLogger) OnTrainEnd(s *Status) error { return closeLog(&c.f) }

// JSONLogger writes one JSON object per epoch and line (JSON Lines) to W, or to the
// file Path (created, or appended to with Append): {"epoch": 1, "loss": ...,
// "val_loss": ..., "lr": ..., "step": ..., "samples": ..., "seconds": ...}, without
// the metrics an epoch lacks. With EveryStep it also writes a line after every
// optimizer step, {"epoch": 1, "batch": 12, "step": 12, "loss": ..., "lr": ...}
// (the loss of the step's last batch; "batch" tells the two kinds of line apart).
type JSONLogger struct {
	Path      string
	W         io.Writer
	Append    bool
	EveryStep bool

	NopCallback
	f        *os.File
	enc      *json.Encoder
	lastStep int
}

func (j *JSONLogger) OnTrainBegin(s *Status) error {
	w, f, err := openLog(j.Path, j.W, j.Append, "JSONLogger")
	if err != nil {
		return err
	}
	j.f, j.enc, j.lastStep = f, json.NewEncoder(w), s.Step
	return nil
}

func (j *JSONLogger) OnEpochEnd(s *Status) error {
	em := s.Metrics
	rec := map[string]any{"epoch": em.Epoch, "step": em.Step, "samples": em.Samples,
		"samples_per_sec": em.SamplesPerSec, "seconds": em.Duration.Seconds()}
	for _, c := range em.columns() {
		if v, ok := em.Value(c); ok && !math.IsInf(v, 0) {
			rec[c] = v
		}
	}
	return errors.Wrap(j.enc.Encode(rec), "train: JSONLogger")
}

// OnBatchEnd writes the per-step line when EveryStep is set and the batch took an
// optimizer step.
func (j *JSONLogger) OnBatchEnd(s *Status) error {
	if !j.EveryStep || s.Step == j.lastStep {
		return nil
	}
	j.lastStep = s.Step
	rec := map[string]any{"epoch": s.Epoch, "batch": s.Batch, "step": s.Step, "lr": s.Trainer.Optimizer().LR()}
	if !math.IsNaN(s.BatchLoss) && !math.IsInf(s.BatchLoss, 0) {
		rec["loss"] = s.BatchLoss
	}
	return errors.Wrap(j.enc.Encode(rec), "train: JSONLogger")
}

func (j *JSONLogger) OnTrainEnd(s *Status) error { return closeLog(&j.f) }

func openLog(path string, w io.Writer, appendTo bool, who string) (io.Writer, *os.File, error) {
	if w != nil {
		return w, nil, nil
	}
	if path == "" {
		return nil, nil, errors.Errorf("train: %s: set Path or W", who)
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "train: %s", who)
	}
	return f, f, nil
}

func closeLog(f **os.File) error {
	if *f == nil {
		return nil
	}
	err := (*f).Close()
	*f = nil
	return errors.Wrap(err, "train: closing log")
}

// ReduceLROnPlateau is a Callback that lowers the optimizer's learning rate when the
// monitored metric stops improving (PyTorch's ReduceLROnPlateau, stepped once per
// epoch; see optim.Plateau for the rule and the defaults). Do not combine it with
// Config.Schedule, which would overwrite its rate.
type ReduceLROnPlateau struct {
	Monitor       string // default "val_loss"
	optim.Plateau        // Max is set from Monitor's name unless Mode says otherwise
	Mode          string // "min", "max" or "" (auto)

	NopCallback
}

func (r *ReduceLROnPlateau) OnTrainBegin(s *Status) error {
	m, err := newMonitor(r.Monitor, r.Mode)
	if err != nil {
		return err
	}
	r.Monitor, r.Plateau.Max = m.name, m.max
	return r.Plateau.Validate()
}

func (r *ReduceLROnPlateau) OnEpochEnd(s *Status) error {
	v, ok := s.Metrics.Value(r.Monitor)
	if !ok {
		return errors.Errorf("train: ReduceLROnPlateau: metric %q is not available", r.Monitor)
	}
	opt := s.Trainer.opt
	opt.SetLR(r.Plateau.Observe(v, opt.LR()))
	return nil
}

// snapshot copies the params' values into dst (allocated on first use).
func snapshot(params []*graph.Param, dst []*tensor.Dense) []*tensor.Dense {
	if dst == nil {
		dst = make([]*tensor.Dense, len(params))
	}
	for i, p := range params {
		if dst[i] == nil {
			dst[i] = tensor.New(tensor.WithShape(p.Shape()...), tensor.Of(p.DType()))
		}
		copyValues(dst[i], p.Value())
	}
	return dst
}

// restore copies snapshot values back into the params.
func restore(params []*graph.Param, src []*tensor.Dense) {
	for i, p := range params {
		copyValues(p.Value(), src[i])
	}
}

// copyValues copies the elements of src into dst, both of one dtype and size.
func copyValues(dst, src *tensor.Dense) {
	if dst.Dtype() == tensor.Float32 {
		copy(dst.Float32s(), src.Float32s())
	} else {
		copy(dst.Float64s(), src.Float64s())
	}
}
