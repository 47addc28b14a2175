package train

import (
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train/data"
)

// checkModelParams rejects a nil entry and a name that appears twice in the model's
// Params, before anything dereferences them.
func checkModelParams(model Model, params []*graph.Param) error {
	if len(params) == 0 {
		return errors.New("train: model has no params")
	}
	seen := map[string]bool{}
	for i, p := range params {
		if p == nil {
			return errors.Errorf("train: model %T: Params()[%d] is nil (of %d params)", model, i, len(params))
		}
		if seen[p.Name()] {
			return errors.Errorf("train: param %q appears twice in the model", p.Name())
		}
		seen[p.Name()] = true
	}
	return nil
}

// builtinMetrics are the names EpochMetrics.Value knows without Config.Metrics.
var builtinMetrics = []string{"loss", "train_loss", "accuracy", "acc", "train_accuracy",
	"val_loss", "val_accuracy", "val_acc", "lr"}

// metricNames returns every name a callback may monitor with cfg: the built-in ones
// and each Config.Metrics name, on the training batches and with "val_".
func metricNames(cfg Config) []string {
	names := slices.Clone(builtinMetrics)
	for _, m := range cfg.Metrics {
		names = append(names, m.Name(), "val_"+m.Name())
	}
	return names
}

// checkMonitors checks the metric names and modes of the built-in callbacks that
// monitor one, so that a typo is an error from New, not after an epoch of training.
func checkMonitors(cfg Config) error {
	valid := metricNames(cfg)
	for i, c := range cfg.Callbacks {
		var name, mode string
		switch c := c.(type) {
		case *EarlyStopping:
			name, mode = c.Monitor, c.Mode
		case *BestCheckpoint:
			if c.Always && c.Monitor == "" {
				continue
			}
			name, mode = c.Monitor, c.Mode
		case *ReduceLROnPlateau:
			name, mode = c.Monitor, c.Mode
		default:
			continue
		}
		m, err := newMonitor(name, mode)
		if err != nil {
			return errors.Wrapf(err, "train: Config.Callbacks[%d] (%T)", i, c)
		}
		if !slices.Contains(valid, m.name) {
			return errors.Errorf("train: Config.Callbacks[%d] (%T) monitors %q, which is not a metric of this Trainer; valid names: %s",
				i, c, m.name, strings.Join(valid, ", "))
		}
	}
	return nil
}

// checkOutputWidth checks, when the model is first traced for a source of class
// indices, that its output has a column per class (or one logit for two classes),
// so that a too narrow output layer is reported with its name rather than by
// gorgonia at the first step.
func checkOutputWidth(model Model, set data.Source, out *gorgonia.Node) error {
	classes := set.Classes()
	if classes == 0 || len(set.TargetShape()) != 0 || out.Dims() != 2 {
		return nil
	}
	w := out.Shape()[1]
	if w >= classes || (w == 1 && classes == 2) {
		return nil
	}
	return errors.Errorf("train: the output of %s has width %d (shape %v) but the data has %d classes: want %d outputs (or 1 logit for 2 classes)",
		outputLayer(model), w, out.Shape(), classes, classes)
}

// outputLayer names the layer that produces the model's output: the last layer
// with params of a Sequential (nested ones included), else the model itself.
func outputLayer(model Model) string {
	var l any = model
	for {
		seq, ok := l.(*nn.Sequential)
		if !ok || len(seq.Layers) == 0 {
			break
		}
		next := any(seq.Layers[len(seq.Layers)-1])
		for i := len(seq.Layers) - 1; i >= 0; i-- {
			if len(seq.Layers[i].Params()) > 0 {
				next = seq.Layers[i]
				break
			}
		}
		l = next
	}
	if s, ok := l.(fmt.Stringer); ok {
		return fmt.Sprintf("%s (%T)", s, l)
	}
	return fmt.Sprintf("%T", l)
}

// funcName names a function value for an error message.
func funcName(f any) string {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Func || v.IsNil() {
		return fmt.Sprintf("%T", f)
	}
	if fn := runtime.FuncForPC(v.Pointer()); fn != nil {
		return fn.Name()
	}
	return fmt.Sprintf("%T", f)
}
