package plot_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/plot"
)

// One line draws a History's curves (the History of trainer.Fit; here written by
// hand) into a PNG file.
func ExampleHistory() {
	dir, _ := os.MkdirTemp("", "gradflow")
	defer os.RemoveAll(dir)
	hist := &train.History{}
	for e, loss := range []float64{1.2, 0.7, 0.5, 0.4} {
		hist.Epochs = append(hist.Epochs, train.EpochMetrics{Epoch: e + 1, TrainLoss: loss, ValLoss: loss + 0.1,
			TrainAccuracy: 1 - loss/2, ValAccuracy: 0.95 - loss/2, LR: 1e-3})
	}
	path := filepath.Join(dir, "curves.png")
	if err := plot.History(hist, path); err != nil {
		panic(err)
	}
	raw, _ := os.ReadFile(path)
	fmt.Printf("curves.png is a PNG: %v\n", string(raw[1:4]) == "PNG")
	// Output:
	// curves.png is a PNG: true
}

// A HealthMonitor draws its records at the end of training through its Plot hook:
// &train.HealthMonitor{Dir: "health", Plot: plot.Health}. Health can also be called
// on records taken earlier.
func ExampleHealth() {
	dir, _ := os.MkdirTemp("", "gradflow")
	defer os.RemoveAll(dir)
	h := &train.HealthMonitor{}
	for e := 1; e <= 3; e++ {
		h.Records = append(h.Records, train.HealthRecord{Epoch: e, Param: "fc/weight", Layer: "fc", Kind: "weight",
			Norm: float64(e), Std: 0.1, GradNorm: 1 / float64(e), UpdateRatio: 1e-3 / float64(e)})
		h.Dead = append(h.Dead, train.DeadReLURecord{Epoch: e, Layer: "fc/relu0", Units: 16, Dead: e})
	}
	if err := plot.Health(h, dir); err != nil {
		panic(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// health_dead_relu.png
	// health_gradients.png
	// health_updates.png
	// health_weights.png
}
