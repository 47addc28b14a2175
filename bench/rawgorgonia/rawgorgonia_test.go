package rawgorgonia

import (
	"os/exec"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// TestNoGradflowImports checks the package's point: it uses gorgonia alone.
func TestNoGradflowImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/gradflow/gradflow/") && dep != "github.com/gradflow/gradflow/bench/rawgorgonia" {
			t.Errorf("rawgorgonia depends on %s; it must use gorgonia alone", dep)
		}
	}
}

func TestClassifierLearns(t *testing.T) {
	x := []float32{0, 0, 0, 1, 1, 0, 1, 1}
	labels := []int{0, 1, 1, 0}
	// Three classes over six points (two per class), batch 2 of 6: the gather and
	// one-hot path with a softmax cross-entropy.
	x3 := []float64{0, 0, 0, 0.1, 1, 1, 1, 0.9, -1, 1, -0.9, 1}
	l3 := []int{0, 0, 1, 1, 2, 2}
	// Eight 1x8x8 images, class 0 lit in the top half, class 1 in the bottom half, each
	// with one more lit pixel elsewhere: the convolution path (Conv2d, bias,
	// MaxPool2D, ReLU, flatten) under the softmax cross-entropy, batch 4 of 8. (At
	// Adam 0.05 with 2 channels the loss stayed at ln 2 on this seed: nothing learned.)
	img := make([]float32, 8*64)
	imgLabels := make([]int, 8)
	for i := range imgLabels {
		imgLabels[i] = i % 2
		for p := 32 * (i % 2); p < 32*(i%2)+32; p++ {
			img[i*64+p] = 1
		}
		img[i*64+(7*i+5)%64] = 1
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		x32  []float32
		x64  []float64
		l    []int
	}{
		{"xor bce float32", Config{DType: tensor.Float32, Sizes: []int{2, 8, 1}, Tanh: true, Batch: 4, LR: 0.05, Seed: 1, X32: x, Labels: labels}, x, nil, labels},
		{"conv softmax ce float32", Config{DType: tensor.Float32, Image: [3]int{1, 8, 8}, Convs: []Conv{{Out: 4, Kernel: 3}},
			Sizes: []int{4 * 3 * 3, 8, 2}, Batch: 4, LR: 0.01, Seed: 1, X32: img, Labels: imgLabels}, img, nil, imgLabels},
		{"softmax ce float64", Config{DType: tensor.Float64, Sizes: []int{2, 16, 3}, Batch: 2, LR: 0.05, Seed: 1, X: x3, Labels: l3}, nil, x3, l3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 400; i++ {
				if err := c.Step(); err != nil {
					t.Fatal(err)
				}
			}
			acc, err := c.Accuracy(tc.x32, tc.x64, tc.l, len(tc.l))
			if err != nil {
				t.Fatal(err)
			}
			if acc != 1 || !(c.Loss() < 0.2) {
				t.Errorf("after 400 steps: accuracy %g, loss %g; want 1 and < 0.2", acc, c.Loss())
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Config{
		{DType: tensor.Float32, Sizes: []int{2}, Batch: 1, X32: []float32{1, 2}, Labels: []int{0}},
		{DType: tensor.Float32, Sizes: []int{2, 1}, Batch: 0, X32: []float32{1, 2}, Labels: []int{0}},
		{DType: tensor.Float32, Sizes: []int{2, 1}, Batch: 1, X32: []float32{1}, Labels: []int{0}},
		{DType: tensor.Int, Sizes: []int{2, 1}, Batch: 1, X32: []float32{1, 2}, Labels: []int{0}},
		// 1x6x6 through a 3x3 convolution and 2x2 pooling gives 2·2·2 = 8 features, not 9.
		{DType: tensor.Float32, Image: [3]int{1, 6, 6}, Convs: []Conv{{Out: 2, Kernel: 3}}, Sizes: []int{9, 1}, Batch: 1,
			X32: make([]float32, 36), Labels: []int{0}},
		// A 5x5 kernel does not fit a 4x4 image.
		{DType: tensor.Float32, Image: [3]int{1, 4, 4}, Convs: []Conv{{Out: 2, Kernel: 5}}, Sizes: []int{2, 1}, Batch: 1,
			X32: make([]float32, 16), Labels: []int{0}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
}
