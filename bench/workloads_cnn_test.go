package bench

import (
	"testing"

	"github.com/gradflow/gradflow/train/data"
)

// TestCNNSmoke runs a narrow LeNet on MNIST on both Go systems for a few steps and
// checks them on 500 test images.
func TestCNNSmoke(t *testing.T) {
	if _, err := data.MNISTDir(); err != nil {
		t.Skip(err)
	}
	sh := cnnShape{C1: 2, C2: 4, Hidden: 16, Batch: 16, Test: 500}
	w := &Workload{Name: "cnn-tiny", Setup: cnnGradflow(sh), Gorgonia: cnnGorgonia(sh)}
	smoke(t, w, []string{Gradflow, Gorgonia}, 2, 2)
}

// Forward, weight gradient and input gradient of each layer, as 2·multiply-adds,
// computed by hand for LeNet's default widths at batch 64: conv1 24·24 outputs of
// 20 channels of 25 taps, conv2 8·8 outputs of 50 channels of 20·25 taps, fc 800·500 +
// 500·10; conv1 has no input gradient.
func TestCNNFLOPs(t *testing.T) {
	conv1 := 2.0 * 64 * 576 * 20 * 25
	conv2 := 2.0 * 64 * 64 * 50 * 500
	fc := 2.0 * 64 * (800*500 + 500*10)
	if got, want := cnnFLOPs(cnnDefault), 2*conv1+3*conv2+3*fc; got != want {
		t.Errorf("cnnFLOPs(default) = %g, want %g", got, want)
	}
}
