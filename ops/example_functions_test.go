package ops_test

import (
	"fmt"

	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// value returns a float64 node of g named name with the given shape and values.
func value(g *gorgonia.ExprGraph, name string, shape []int, v ...float64) *gorgonia.Node {
	return gorgonia.NewTensor(g, tensor.Float64, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name),
		gorgonia.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
}

// run runs g once.
func run(g *gorgonia.ExprGraph) error {
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	return vm.RunAll()
}

// A 2x2 kernel of ones sums each 2x2 window of a 3x3 image; the bias adds 0.5.
func ExampleConv2D() {
	g := gorgonia.NewGraph()
	x := value(g, "x", []int{1, 1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9) // (N, C, H, W)
	w := value(g, "w", []int{1, 1, 2, 2}, 1, 1, 1, 1)                // (O, C, kH, kW)
	b := value(g, "b", []int{1}, 0.5)
	y, err := ops.Conv2D(x, w, b, ops.Conv2DOptions{}) // stride 1, no padding, dilation 1
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := run(g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Shape(), y.Value().Data())
	// Output: (1, 1, 2, 2) [12.5 16.5 24.5 28.5]
}

// A length-2 difference kernel at stride 2 over a sequence, padded with one zero at
// each end.
func ExampleConv1D() {
	g := gorgonia.NewGraph()
	x := value(g, "x", []int{1, 1, 4}, 1, 2, 4, 8) // (N, C, L)
	w := value(g, "w", []int{1, 1, 2}, -1, 1)      // (O, C, K)
	y, err := ops.Conv1D(x, w, nil, ops.Conv1DOptions{Stride: 2, Padding: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := run(g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Shape(), y.Value().Data())
	// Output: (1, 1, 3) [1 2 -8]
}

// 2x2 windows at stride 2 (the default stride is the kernel's size).
func ExampleMaxPool2D() {
	g := gorgonia.NewGraph()
	x := value(g, "x", []int{1, 1, 4, 4},
		1, 2, 5, 6,
		3, 4, 7, 8,
		-1, -2, 0, 9,
		-3, -4, 9, 1)
	y, err := ops.MaxPool2D(x, ops.Pool2DOptions{Kernel: [2]int{2, 2}})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := run(g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Shape(), y.Value().Data())
	// Output: (1, 1, 2, 2) [4 8 -1 9]
}

// An LSTM with zero weights and a bias of 1 on the cell gate g: the gates i, f, o are
// σ(0) = 0.5 and g = tanh(1), so from c0 = 0 each step makes c' = 0.5·c + 0.5·tanh(1)
// and h' = 0.5·tanh(c').
func ExampleLSTM() {
	const B, T, In, H = 1, 3, 1, 1
	g := gorgonia.NewGraph()
	x := value(g, "x", []int{B, T, In}, 0, 0, 0)
	h0 := value(g, "h0", []int{B, H}, 0)
	c0 := value(g, "c0", []int{B, H}, 0)
	wIH := value(g, "w_ih", []int{4 * H, In}, 0, 0, 0, 0)
	wHH := value(g, "w_hh", []int{4 * H, H}, 0, 0, 0, 0)
	bIH := value(g, "b_ih", []int{4 * H}, 0, 0, 1, 0) // gates i, f, g, o
	bHH := value(g, "b_hh", []int{4 * H}, 0, 0, 0, 0)
	out, h, c, err := ops.LSTM(x, h0, c0, wIH, wHH, bIH, bHH)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := run(g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("out %v %.4f\nh %.4f, c %.4f\n", out.Shape(), out.Value().Data(), h.Value().Data(), c.Value().Data())
	// Output:
	// out (1, 3, 1) [0.1817 0.2581 0.2913]
	// h [0.2913], c [0.6664]
}

// Self-attention of two tokens with identity projections and one head: each token
// attends to both, more to the one more like itself.
func ExampleMultiHeadAttention() {
	const B, T, E = 1, 2, 2
	g := gorgonia.NewGraph()
	x := value(g, "x", []int{B, T, E}, 1, 0, 0, 1)
	inW := value(g, "in_proj_weight", []int{3 * E, E}, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1) // W_q, W_k, W_v = I
	outW := value(g, "out_proj_weight", []int{E, E}, 1, 0, 0, 1)
	y, err := ops.MultiHeadAttention(x, x, x, inW, nil, outW, nil, nil, ops.MultiHeadAttentionOptions{Heads: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := run(g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v %.4f\n", y.Shape(), y.Value().Data())
	// Output: (1, 2, 2) [0.6698 0.3302 0.3302 0.6698]
}

// Add is a residual connection's sum, one node of the inputs' shape.
func ExampleAdd() {
	g := gorgonia.NewGraph()
	x := value(g, "x", []int{2, 2}, 1, 2, 3, 4)
	f := value(g, "f", []int{2, 2}, 10, 20, 30, 40)
	y, err := ops.Add(x, f)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := run(g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Value().Data())
	// Output: [11 22 33 44]
}

// An Elman RNN with h' = tanh(x·w_ih + h·w_hh): each step adds the input to half the
// previous state before the tanh.
func ExampleRNN() {
	g := gorgonia.NewGraph()
	x := value(g, "x", []int{1, 3, 1}, 1, 0, 0) // (B, T, In)
	h0 := value(g, "h0", []int{1, 1}, 0)
	wIH := value(g, "w_ih", []int{1, 1}, 1)
	wHH := value(g, "w_hh", []int{1, 1}, 0.5)
	out, h, err := ops.RNN(x, h0, wIH, wHH, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := run(g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("out %.4f, h %.4f\n", out.Value().Data(), h.Value().Data())
	// Output: out [0.7616 0.3634 0.1797], h [0.1797]
}

// A GRU with zero weights and biases: r = z = 0.5 and n = tanh(0) = 0, so each step
// halves the state, h' = (1-z)·n + z·h.
func ExampleGRU() {
	g := gorgonia.NewGraph()
	x := value(g, "x", []int{1, 2, 1}, 3, -3)
	h0 := value(g, "h0", []int{1, 1}, 1)
	w := value(g, "w", []int{3, 1}, 0, 0, 0)
	out, h, err := ops.GRU(x, h0, w, w, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := run(g); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Value().Data(), h.Value().Data())
	// Output: [0.5 0.25] [0.25]
}
