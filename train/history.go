package train

import (
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EpochMetrics are the results of one epoch. Accuracies are NaN for regression;
// validation fields are NaN when Fit had no validation set.
type EpochMetrics struct {
	Epoch         int // from 1, counting every epoch the Trainer has trained
	TrainLoss     float64
	TrainAccuracy float64
	ValLoss       float64
	ValAccuracy   float64
	Samples       int           // training examples seen this epoch
	Duration      time.Duration // wall time of the epoch, evaluation included
	SamplesPerSec float64       // training throughput (evaluation excluded)
	LR            float64       // learning rate at the end of the epoch's training
	Step          int           // optimizer steps taken so far, over all epochs
	// Extra holds the values of Config.Metrics: "name" on the training batches
	// and "val_name" on the validation set.
	Extra map[string]float64
}

// Value returns the metric called name: "loss", "accuracy" (or "acc"), "val_loss",
// "val_accuracy" (or "val_acc"), "lr", or a key of Extra. ok is false for an unknown
// name or a NaN value (no validation set, regression accuracy).
func (em EpochMetrics) Value(name string) (v float64, ok bool) {
	switch name {
	case "loss", "train_loss":
		v = em.TrainLoss
	case "accuracy", "acc", "train_accuracy":
		v = em.TrainAccuracy
	case "val_loss":
		v = em.ValLoss
	case "val_accuracy", "val_acc":
		v = em.ValAccuracy
	case "lr":
		v = em.LR
	default:
		if v, ok = em.Extra[name]; !ok {
			return math.NaN(), false
		}
	}
	return v, !math.IsNaN(v)
}

// columns returns the names of the values an epoch has, in a fixed order: loss and
// accuracy, validation loss and accuracy, the extra metrics sorted, then lr.
func (em EpochMetrics) columns() []string {
	cols := []string{"loss", "accuracy", "val_loss", "val_accuracy"}
	cols = append(cols, slices.Sorted(maps.Keys(em.Extra))...)
	return append(cols, "lr")
}

// History is the record of a Fit: one entry per completed epoch.
type History struct {
	Epochs []EpochMetrics
	// Stopped says why training ended before the last epoch ("" when it did
	// not): a callback's reason, such as EarlyStopping's.
	Stopped string
}

// Last returns the last epoch's metrics (the zero value if there is none).
func (h *History) Last() EpochMetrics {
	if h == nil || len(h.Epochs) == 0 {
		return EpochMetrics{}
	}
	return h.Epochs[len(h.Epochs)-1]
}

// Series returns the values of the metric called name (see EpochMetrics.Value), one
// per epoch, NaN where an epoch lacks it.
func (h *History) Series(name string) []float64 {
	out := make([]float64, len(h.Epochs))
	for i, em := range h.Epochs {
		out[i], _ = em.Value(name)
	}
	return out
}

// Columns returns the metric names present in any epoch, in the order of WriteCSV.
func (h *History) Columns() []string {
	seen := map[string]bool{}
	var cols []string
	for _, em := range h.Epochs {
		for _, c := range em.columns() {
			if !seen[c] {
				seen[c] = true
				cols = append(cols, c)
			}
		}
	}
	return cols
}

// WriteCSV writes the history as a CSV table: a header line, then one line per
// epoch with epoch, every metric (an empty cell where it is NaN), samples,
// samples/s and seconds.
func (h *History) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cols := h.Columns()
	header := append(append([]string{"epoch"}, cols...), "step", "samples", "samples_per_sec", "seconds")
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, em := range h.Epochs {
		if err := cw.Write(csvRow(em, cols)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvRow(em EpochMetrics, cols []string) []string {
	row := []string{strconv.Itoa(em.Epoch)}
	for _, c := range cols {
		v, ok := em.Value(c)
		if !ok {
			row = append(row, "")
			continue
		}
		row = append(row, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return append(row, strconv.Itoa(em.Step), strconv.Itoa(em.Samples),
		strconv.FormatFloat(em.SamplesPerSec, 'f', 1, 64), strconv.FormatFloat(em.Duration.Seconds(), 'f', 3, 64))
}

// Metrics are the results of Evaluate.
type Metrics struct {
	Loss     float64
	Accuracy float64 // NaN for regression
	Samples  int
	// Extra holds the values of Config.Metrics by name, and Computed the metrics
	// themselves, filled (type-assert one to read a confusion matrix or per-class
	// scores).
	Extra    map[string]float64
	Computed []Metric
}

// formatEpoch is the progress line of one epoch.
func formatEpoch(em EpochMetrics, epochs int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d/%d  loss %.4f", em.Epoch, epochs, em.TrainLoss)
	if !math.IsNaN(em.TrainAccuracy) {
		fmt.Fprintf(&b, "  acc %.2f%%", 100*em.TrainAccuracy)
	}
	if !math.IsNaN(em.ValLoss) {
		fmt.Fprintf(&b, "  val_loss %.4f", em.ValLoss)
	}
	if !math.IsNaN(em.ValAccuracy) {
		fmt.Fprintf(&b, "  val_acc %.2f%%", 100*em.ValAccuracy)
	}
	for _, k := range slices.Sorted(maps.Keys(em.Extra)) {
		fmt.Fprintf(&b, "  %s %.4g", k, em.Extra[k])
	}
	fmt.Fprintf(&b, "  %.0f samples/s  %.1fs", em.SamplesPerSec, em.Duration.Seconds())
	return b.String()
}
