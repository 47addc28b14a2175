package train_test

import (
	"context"
	"math"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/optim"
)

// TestAccumulation checks that accumulating the gradients of two batches of 8 gives
// the step of one batch of 16 (the mean loss makes the weighted mean of the batch
// gradients equal to the large batch's), to rounding.
func TestAccumulation(t *testing.T) {
	run := func(batch, accumulate int) []float64 {
		model, tr := blobTrainer(t, graph.Float64, 2, train.Config{Optimizer: optim.SGD{LR: 0.5, Momentum: 0.9},
			BatchSize: batch, Accumulate: accumulate, NoShuffle: true})
		if _, err := tr.Fit(context.Background(), blobs(t, 40, graph.Float64), nil); err != nil {
			t.Fatal(err)
		}
		if want := 2 * 3; tr.Step() != want { // 40 examples: 16 + 16 + 8 per epoch
			t.Errorf("batch %d x %d: %d steps, want %d", batch, accumulate, tr.Step(), want)
		}
		return paramValues(model.Params())
	}
	big, acc := run(16, 1), run(8, 2)
	for i := range big {
		if math.Abs(big[i]-acc[i]) > 1e-12 {
			t.Fatalf("value %d: %v with batch 16, %v with 2 x 8 accumulated", i, big[i], acc[i])
		}
	}
}
