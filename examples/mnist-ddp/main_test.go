package main

import (
	"context"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/dist"
)

// TestRunLocal runs the example on 2 in-process ranks over 2000 images.
func TestRunLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	if _, _, err := data.LoadMNIST("", graph.Float32); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	o := options{epochs: 1, batch: 32, hidden: 32, limit: 2000, lr: 1e-3, seed: 1}
	if err := dist.RunLocal(2, func(c dist.Communicator) error { return run(context.Background(), c, o) }); err != nil {
		t.Fatal(err)
	}
}
