package plot

import (
	"strings"

	"github.com/pkg/errors"
	gplot "gonum.org/v1/plot"

	"github.com/gradflow/gradflow/train"
)

// History draws the training curves of h into a PNG file at path, atomically: the
// loss per epoch (training and validation), below it the accuracy and every other
// metric (training and validation), and the learning rate. The same numbers are written as a table
// by train.History.WriteCSV.
func History(h *train.History, path string) error {
	if h == nil || len(h.Epochs) == 0 {
		return errors.New("plot: History: empty history")
	}
	epochs := make([]float64, len(h.Epochs))
	for i, em := range h.Epochs {
		epochs[i] = float64(em.Epoch)
	}
	loss, err := newPlot("loss", "epoch", "loss", false, []series{
		{"train", epochs, h.Series("loss")}, {"validation", epochs, h.Series("val_loss")},
	})
	if err != nil {
		return errors.Wrap(err, "plot: History")
	}
	var others []series
	for _, c := range h.Columns() {
		if c == "loss" || c == "val_loss" || c == "lr" {
			continue
		}
		name := "train " + c
		if v, ok := strings.CutPrefix(c, "val_"); ok {
			name = "validation " + v
		}
		others = append(others, series{name, epochs, h.Series(c)})
	}
	metrics, err := newPlot("metrics", "epoch", "value", false, others)
	if err != nil {
		return errors.Wrap(err, "plot: History")
	}
	lr, err := newPlot("learning rate", "epoch", "rate at the epoch's end", false, []series{{"lr", epochs, h.Series("lr")}})
	if err != nil {
		return errors.Wrap(err, "plot: History")
	}
	return savePlots(path, []*gplot.Plot{loss, metrics, lr})
}
