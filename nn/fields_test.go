package nn

import (
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
)

// TestExportedFieldsChecked sets a layer's exported geometry out of range after
// construction and wants an error naming the layer from Forward and OutputSize, not a
// division by zero.
func TestExportedFieldsChecked(t *testing.T) {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	g := graph.New(graph.Float32, graph.Eval)
	x4, err := g.Input("x4", 2, 3, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	x3, err := g.Input("x3", 2, 3, 8)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := NewConv2D(s.Sub("c2"), Conv2DConfig{In: 3, Out: 2, Kernel: [2]int{3, 3}})
	if err != nil {
		t.Fatal(err)
	}
	c1, err := NewConv1D(s.Sub("c1"), Conv1DConfig{In: 3, Out: 2, Kernel: 3})
	if err != nil {
		t.Fatal(err)
	}
	mp, err := NewMaxPool2D(s.Sub("mp"), MaxPool2DConfig{Kernel: [2]int{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	ap, err := NewAvgPool2D(s.Sub("ap"), AvgPool2DConfig{Kernel: [2]int{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	att, err := NewMultiHeadAttention(s.Sub("att"), MultiHeadAttentionConfig{Embed: 4, Heads: 2})
	if err != nil {
		t.Fatal(err)
	}
	xa, err := g.Input("xa", 2, 5, 4)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		spoil   func()
		forward func() error
		size    func() error
		want    string
	}{
		{"conv2d stride", func() { c2.Stride = [2]int{0, 1} },
			func() error { _, err := c2.Forward(g, x4); return err },
			func() error { _, _, err := c2.OutputSize(8, 8); return err }, `conv2d "c2"`},
		{"conv2d dilation", func() { c2.Stride, c2.Dilation = [2]int{1, 1}, [2]int{1, -1} },
			func() error { _, err := c2.Forward(g, x4); return err },
			func() error { _, _, err := c2.OutputSize(8, 8); return err }, `conv2d "c2"`},
		{"conv1d stride", func() { c1.Stride = 0 },
			func() error { _, err := c1.Forward(g, x3); return err },
			func() error { _, err := c1.OutputSize(8); return err }, `conv1d "c1"`},
		{"maxpool2d stride", func() { mp.Stride = [2]int{2, 0} },
			func() error { _, err := mp.Forward(g, x4); return err },
			func() error { _, _, err := mp.OutputSize(8, 8); return err }, `maxpool2d "mp"`},
		{"avgpool2d kernel", func() { ap.Kernel = [2]int{0, 2} },
			func() error { _, err := ap.Forward(g, x4); return err },
			func() error { _, _, err := ap.OutputSize(8, 8); return err }, `avgpool2d "ap"`},
		{"attention heads", func() { att.Heads = 0 },
			func() error { _, err := att.Forward(g, xa); return err },
			func() error { _, err := att.Forward(g, xa); return err }, `attention "att"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.spoil()
			for what, f := range map[string]func() error{"Forward": c.forward, "OutputSize": c.size} {
				if err := f(); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: err = %v, want one naming %s", what, err, c.want)
				}
			}
		})
	}
	// In range, OutputSize gives PyTorch's sizes.
	c2.Stride, c2.Dilation = [2]int{2, 1}, [2]int{1, 1}
	if h, w, err := c2.OutputSize(8, 8); err != nil || h != 3 || w != 6 {
		t.Errorf("conv2d OutputSize(8, 8) = %d, %d, %v, want 3, 6, nil", h, w, err)
	}
	c1.Stride = 2
	if n, err := c1.OutputSize(8); err != nil || n != 3 {
		t.Errorf("conv1d OutputSize(8) = %d, %v, want 3, nil", n, err)
	}
}
