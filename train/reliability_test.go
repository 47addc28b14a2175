package train_test

import (
	"context"
	"iter"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/data"
)

// holey is a model whose Params has a nil entry.
type holey struct{ *nn.Sequential }

func (h holey) Params() []*graph.Param { return append(h.Sequential.Params()[:1], nil) }

func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want one with %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("err = %v\nwant it to contain %q", err, s)
		}
	}
}

// TestNewNilParam checks that a nil entry in a model's Params is an error from New
// naming its index, not a nil dereference.
func TestNewNilParam(t *testing.T) {
	model, _ := blobTrainer(t, graph.Float64, 1, train.Config{})
	_, err := train.New(holey{model}, train.Config{Loss: nn.SoftmaxCrossEntropy})
	wantErr(t, err, "Params()[1] is nil", "train_test.holey")
}

// TestLossReturnsNil checks that a LossFunc returning (nil, nil) is reported when the
// model is traced, with the function's name, not as a NaN loss at step 1.
func TestLossReturnsNil(t *testing.T) {
	model, _ := blobTrainer(t, graph.Float64, 1, train.Config{})
	noLoss := func(g *graph.Graph, out, target *gorgonia.Node) (*gorgonia.Node, error) { return nil, nil }
	tr, err := train.New(model, train.Config{Loss: noLoss, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Fit(context.Background(), blobs(t, 30, graph.Float64), nil)
	wantErr(t, err, "returned a nil loss node and no error", "TestLossReturnsNil")
	if strings.Contains(err.Error(), "NaN") {
		t.Errorf("err = %v, want no NaN", err)
	}
	_, err = tr.Evaluate(context.Background(), blobs(t, 30, graph.Float64))
	wantErr(t, err, "nil loss node")
}

// TestMonitorNames checks that the callbacks' monitored names and modes are checked
// by New, listing the valid names, Config.Metrics included.
func TestMonitorNames(t *testing.T) {
	model, _ := blobTrainer(t, graph.Float64, 1, train.Config{})
	cases := []struct {
		name    string
		cb      train.Callback
		metrics []train.Metric
		want    string // "" for no error
	}{
		{"early-typo", &train.EarlyStopping{Monitor: "val_los"}, nil, `monitors "val_los", which is not a metric of this Trainer; valid names: loss, train_loss, accuracy, acc, train_accuracy, val_loss`},
		{"early-default", &train.EarlyStopping{}, nil, ""},
		{"early-metric", &train.EarlyStopping{Monitor: "val_f1"}, []train.Metric{&train.F1{}}, ""},
		{"early-metric-listed", &train.EarlyStopping{Monitor: "val_f2"}, []train.Metric{&train.F1{}}, "lr, f1, val_f1"},
		{"early-mode", &train.EarlyStopping{Mode: "least"}, nil, `mode "least", want min, max or auto`},
		{"best-typo", &train.BestCheckpoint{Path: "x", Monitor: "accuracy2"}, nil, `monitors "accuracy2"`},
		{"best-always", &train.BestCheckpoint{Path: "x", Always: true}, nil, ""},
		{"plateau-typo", &train.ReduceLROnPlateau{Monitor: "val-loss"}, nil, `(*train.ReduceLROnPlateau) monitors "val-loss"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := train.New(model, train.Config{Loss: nn.SoftmaxCrossEntropy, Metrics: c.metrics, Callbacks: []train.Callback{c.cb}})
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, "Config.Callbacks[0]", c.want)
		})
	}
}

// TestMonitorNaN checks what EarlyStopping, BestCheckpoint and ReduceLROnPlateau say
// when the monitored validation metric is NaN (a validation set was given): that it
// is NaN, not that a validation set is needed; and without a validation set, that
// one is needed.
func TestMonitorNaN(t *testing.T) {
	nanVal := train.CallbackFuncs{EpochEnd: func(s *train.Status) error {
		s.Metrics.ValLoss = math.NaN() // as a diverged validation loss would be
		return nil
	}}
	for _, cb := range []train.Callback{&train.EarlyStopping{}, &train.BestCheckpoint{Path: t.TempDir() + "/b"}, &train.ReduceLROnPlateau{}} {
		_, tr := blobTrainer(t, graph.Float64, 2, train.Config{Callbacks: []train.Callback{nanVal, cb}})
		_, err := tr.Fit(context.Background(), blobs(t, 30, graph.Float64), blobs(t, 9, graph.Float64))
		wantErr(t, err, `monitored metric "val_loss" is NaN at epoch 1`)
		if err != nil && strings.Contains(err.Error(), "validation set") {
			t.Errorf("%T: err = %v, want no word of a validation set", cb, err)
		}
		_, tr = blobTrainer(t, graph.Float64, 2, train.Config{Callbacks: []train.Callback{cb}})
		_, err = tr.Fit(context.Background(), blobs(t, 30, graph.Float64), nil)
		wantErr(t, err, `"val_loss" needs a validation set`)
	}
}

// TestOutputNarrowerThanClasses checks that an output layer with fewer columns than
// the data's classes is reported when the model is traced, naming the layer and the
// widths, for Fit, Evaluate and a one-logit output of three classes.
func TestOutputNarrowerThanClasses(t *testing.T) {
	for _, out := range []int{2, 1} {
		s := graph.NewScope(graph.Float64, graph.Seed(1))
		model, err := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 4, Out: 8, Activation: nn.ReLU}, nn.LinearConfig{In: 8, Out: out}, nn.Tanh)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.New(model, train.Config{Loss: nn.SoftmaxCrossEntropy, Quiet: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.Fit(context.Background(), blobs(t, 30, graph.Float64), nil)
		wantErr(t, err, `the output of linear "m/2" (*nn.Linear) has width `, "but the data has 3 classes")
		_, err = tr.Evaluate(context.Background(), blobs(t, 30, graph.Float64))
		wantErr(t, err, `linear "m/2"`, "3 classes")
	}
}

// short is a Source whose Len promises more examples than its Stream yields.
type short struct {
	*data.Dataset
	yield int // examples to yield, in one batch
}

func (s short) Len() int { return s.Dataset.Len() }

func (s short) Stream(bs int, rng *rand.Rand) iter.Seq2[data.Batch, error] {
	return func(yield func(data.Batch, error) bool) {
		if s.yield == 0 {
			return
		}
		for b, err := range s.Dataset.Stream(s.yield, nil) {
			yield(b, err)
			return
		}
	}
}

// TestLyingSource checks that a Source whose Len() is 4 but which yields nothing (or
// fewer) is an error from Fit and Evaluate, not an epoch of 0 samples and NaN loss.
func TestLyingSource(t *testing.T) {
	for _, n := range []int{0, 2} {
		lie := short{blobs(t, 4, graph.Float64), n}
		_, tr := blobTrainer(t, graph.Float64, 1, train.Config{})
		hist, err := tr.Fit(context.Background(), lie, nil)
		wantErr(t, err, "train: Fit", "train_test.short: one pass yielded")
		if hist != nil && len(hist.Epochs) > 0 {
			t.Errorf("history %+v, want no epoch", hist.Epochs)
		}
		_, err = tr.Evaluate(context.Background(), lie)
		wantErr(t, err, "train: Evaluate", "Len() = 4")
		_, tr = blobTrainer(t, graph.Float64, 1, train.Config{})
		_, err = tr.Fit(context.Background(), blobs(t, 30, graph.Float64), lie)
		wantErr(t, err, "one pass yielded")
	}
}

// blocking is a Source whose Stream waits, after its first batch, until release is
// closed, telling started when it waits.
type blocking struct {
	*data.Dataset
	started chan struct{}
	release chan struct{}
}

func (b blocking) Stream(bs int, rng *rand.Rand) iter.Seq2[data.Batch, error] {
	return func(yield func(data.Batch, error) bool) {
		first := true
		for bt, err := range b.Dataset.Stream(bs, rng) {
			if !yield(bt, err) {
				return
			}
			if first {
				first = false
				close(b.started)
				<-b.release
			}
		}
	}
}

// TestConcurrentUse checks that a call on a Trainer while Fit runs on another
// goroutine is an error naming both calls, and that calls from Fit's own callbacks
// (a checkpoint, a prediction) are allowed. Run it with -race.
func TestConcurrentUse(t *testing.T) {
	set := blobs(t, 32, graph.Float64)
	x := tensor.New(tensor.WithShape(2, 4), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6, 7, 8}))
	dir := t.TempDir()
	nested := train.CallbackFuncs{EpochEnd: func(s *train.Status) error {
		if _, err := s.Trainer.Predict(x); err != nil {
			return err
		}
		return s.Trainer.SaveCheckpoint(dir + "/c.safetensors")
	}}
	_, tr := blobTrainer(t, graph.Float64, 1, train.Config{BatchSize: 8, Callbacks: []train.Callback{nested, &train.BestCheckpoint{Path: dir + "/b"}}})
	src := blocking{set, make(chan struct{}), make(chan struct{})}
	fitErr := make(chan error)
	go func() {
		_, err := tr.Fit(context.Background(), src, set)
		fitErr <- err
	}()
	<-src.started
	_, err := tr.Predict(x)
	wantErr(t, err, "train: Predict called while Fit is running on the same Trainer in another goroutine", "not safe for concurrent use")
	_, err = tr.Evaluate(context.Background(), set)
	wantErr(t, err, "Evaluate called while Fit is running")
	_, err = tr.Fit(context.Background(), set, nil)
	wantErr(t, err, "Fit called while Fit is running")
	wantErr(t, tr.SaveCheckpoint(dir+"/x"), "SaveCheckpoint called while Fit")
	wantErr(t, tr.LoadCheckpoint(dir+"/x"), "LoadCheckpoint called while Fit")
	close(src.release)
	if err := <-fitErr; err != nil {
		t.Fatalf("Fit, with calls from its callbacks: %v", err)
	}
	// Idle again: every call works.
	if _, err := tr.Predict(x); err != nil {
		t.Fatal(err)
	}
	if err := tr.LoadCheckpoint(dir + "/c.safetensors"); err != nil {
		t.Fatal(err)
	}
	// Fit from a callback of Fit is an error, not a recursion.
	refit := train.CallbackFuncs{EpochEnd: func(s *train.Status) error {
		_, err := s.Trainer.Fit(context.Background(), set, nil)
		return err
	}}
	_, tr = blobTrainer(t, graph.Float64, 1, train.Config{Callbacks: []train.Callback{refit}})
	_, err = tr.Fit(context.Background(), set, nil)
	wantErr(t, err, "Fit called from within Fit")
}

// TestCallbacksSeeSourcesAsGiven checks that Fit's checking of its sources does not
// change what callbacks see in Status.
func TestCallbacksSeeSourcesAsGiven(t *testing.T) {
	set, val := blobs(t, 30, graph.Float64), blobs(t, 9, graph.Float64)
	var sawTrain, sawVal bool
	cb := train.CallbackFuncs{TrainBegin: func(s *train.Status) error {
		sawTrain, sawVal = s.TrainSet == data.Source(set), s.ValSet == data.Source(val)
		return nil
	}}
	_, tr := blobTrainer(t, graph.Float64, 1, train.Config{Callbacks: []train.Callback{cb}})
	if _, err := tr.Fit(context.Background(), set, val); err != nil {
		t.Fatal(err)
	}
	if !sawTrain || !sawVal {
		t.Errorf("Status.TrainSet is the given set: %v; ValSet: %v", sawTrain, sawVal)
	}
}
