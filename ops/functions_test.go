package ops

import (
	"fmt"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Gradient checks and argument errors of the public functions over the ops that moved
// here from nn (the ops themselves are checked in their own files).

// TestRecurrentFunctionsGrad checks LSTM, GRU and RNN numerically with respect to every
// input, with and without biases, reading every state and the last ones.
func TestRecurrentFunctionsGrad(t *testing.T) {
	const B, T, In, H = 2, 3, 2, 3
	for _, dt := range dtypes {
		for _, kind := range []string{"lstm", "gru", "rnn"} {
			gates := map[string]int{"lstm": 4, "gru": 3, "rnn": 1}[kind]
			for _, bias := range []bool{true, false} {
				t.Run(fmt.Sprintf("%v/%s/bias=%t", dt, kind, bias), func(t *testing.T) {
					ins := []*tensor.Dense{randTensor(dt, 1, B, T, In), randTensor(dt, 2, B, H)}
					if kind == "lstm" {
						ins = append(ins, randTensor(dt, 3, B, H))
					}
					ins = append(ins, randTensor(dt, 4, gates*H, In), randTensor(dt, 5, gates*H, H))
					if bias {
						ins = append(ins, randTensor(dt, 6, gates*H), randTensor(dt, 7, gates*H))
					}
					for _, v := range ins {
						if err := scaleTensor(v, 0.5); err != nil {
							t.Fatal(err)
						}
					}
					checkGradInputs(t, func(n []*gorgonia.Node) (*gorgonia.Node, error) {
						var bih, bhh *gorgonia.Node
						if bias {
							bih, bhh = n[len(n)-2], n[len(n)-1]
						}
						var out, h, c *gorgonia.Node
						var err error
						switch kind {
						case "lstm":
							out, h, c, err = LSTM(n[0], n[1], n[2], n[3], n[4], bih, bhh)
						case "gru":
							out, h, err = GRU(n[0], n[1], n[2], n[3], bih, bhh)
						default:
							out, h, err = RNN(n[0], n[1], n[2], n[3], bih, bhh)
						}
						if err != nil {
							return nil, err
						}
						sum, err := gorgonia.Sum(out)
						if err != nil {
							return nil, err
						}
						last := []*gorgonia.Node{h}
						if c != nil {
							last = append(last, c)
						}
						for _, s := range last {
							sq, err := gorgonia.Sum(gorgonia.Must(gorgonia.Square(s)))
							if err != nil {
								return nil, err
							}
							if sum, err = gorgonia.Add(sum, sq); err != nil {
								return nil, err
							}
						}
						return sum, nil
					}, ins...)
				})
			}
		}
	}
}

// TestMultiHeadAttentionGrad checks MultiHeadAttention numerically with respect to the
// inputs and the four projection weights and biases: self-attention (one node for q, k
// and v) and cross-attention with a key padding mask.
func TestMultiHeadAttentionGrad(t *testing.T) {
	const B, T, S, E = 2, 3, 4, 4
	for _, dt := range dtypes {
		for _, self := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/self=%t", dt, self), func(t *testing.T) {
				build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					q := valueNode(g, "q", randTensor(dt, 1, B, T, E))
					k, v, mask := q, q, (*gorgonia.Node)(nil)
					wrt := []*gorgonia.Node{q}
					if !self {
						k = valueNode(g, "k", randTensor(dt, 2, B, S, E))
						v = valueNode(g, "v", randTensor(dt, 3, B, S, E))
						mask = valueNode(g, "mask", attnMask(dt, B, S))
						wrt = append(wrt, k, v)
					}
					w := []*gorgonia.Node{valueNode(g, "in_w", randTensor(dt, 4, 3*E, E)), valueNode(g, "in_b", randTensor(dt, 5, 3*E)),
						valueNode(g, "out_w", randTensor(dt, 6, E, E)), valueNode(g, "out_b", randTensor(dt, 7, E))}
					y, err := MultiHeadAttention(q, k, v, w[0], w[1], w[2], w[3], mask, MultiHeadAttentionOptions{Heads: 2, Causal: self})
					return y, append(wrt, w...), err
				}
				if _, err := CheckGrad(build, CheckConfig{Seed: 3}); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestMaxPool2DAndAddGrad checks MaxPool2D (distinct values, so that no window ties)
// and Add numerically.
func TestMaxPool2DAndAddGrad(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			// Distinct values 0.05 apart, more than the finite difference moves them.
			v := make([]float64, 100)
			for i := range v {
				v[i] = float64((i*37)%100) * 0.05
			}
			x := fromF64(dt, v, 2, 2, 5, 5)
			checkGradInputs(t, func(n []*gorgonia.Node) (*gorgonia.Node, error) {
				return MaxPool2D(n[0], Pool2DOptions{Kernel: [2]int{3, 2}, Stride: [2]int{2, 1}, Padding: [2]int{1, 1}})
			}, x)
			checkGradInputs(t, func(n []*gorgonia.Node) (*gorgonia.Node, error) {
				return Add(n[0], n[1])
			}, randTensor(dt, 2, 3, 4), randTensor(dt, 3, 3, 4))
		})
	}
}

// TestMovedFunctionErrors gives each function bad arguments and wants an error naming
// the function and what is wrong.
func TestMovedFunctionErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	dt := tensor.Float64
	node := func(name string, shape ...int) *gorgonia.Node { return valueNode(g, name, randTensor(dt, 1, shape...)) }
	x4, w4, b3 := node("x4", 2, 3, 5, 5), node("w4", 4, 3, 3, 3), node("b3", 3)
	x3, w3 := node("x3", 2, 3, 6), node("w3", 4, 3, 2)
	seq, h0, c0 := node("seq", 2, 4, 3), node("h0", 2, 5), node("c0", 2, 5)
	wih, whh, wbad := node("wih", 20, 3), node("whh", 20, 5), node("wbad", 19, 5)
	bias := node("bias", 20)
	q, k, inw, outw := node("q", 2, 3, 4), node("k", 2, 5, 4), node("inw", 12, 4), node("outw", 4, 4)
	cases := []struct {
		name string
		f    func() error
		want string
	}{
		{"conv2d nil x", func() error { _, err := Conv2D(nil, w4, nil, Conv2DOptions{}); return err }, "ops: Conv2D: x is nil"},
		{"conv2d channels", func() error { _, err := Conv2D(x4, node("wc", 4, 2, 3, 3), nil, Conv2DOptions{}); return err }, "ops: Conv2D: x (2, 3, 5, 5) and w"},
		{"conv2d bias", func() error { _, err := Conv2D(x4, w4, b3, Conv2DOptions{}); return err }, "ops: Conv2D: b has shape (3), want (4)"},
		{"conv2d stride", func() error { _, err := Conv2D(x4, w4, nil, Conv2DOptions{Stride: [2]int{-1, 1}}); return err }, "Stride = [-1 1]"},
		{"conv2d too small", func() error { _, err := Conv2D(x4, node("wbig", 4, 3, 6, 3), nil, Conv2DOptions{}); return err }, "empty output"},
		{"conv1d rank", func() error { _, err := Conv1D(x4, w3, nil, Conv1DOptions{}); return err }, "ops: Conv1D: x (2, 3, 5, 5)"},
		{"conv1d dilation", func() error { _, err := Conv1D(x3, w3, nil, Conv1DOptions{Dilation: -2}); return err }, "Dilation = -2"},
		{"maxpool kernel", func() error { _, err := MaxPool2D(x4, Pool2DOptions{}); return err }, "Kernel = [0 0]"},
		{"maxpool too small", func() error { _, err := MaxPool2D(x4, Pool2DOptions{Kernel: [2]int{6, 1}}); return err }, "smaller than the kernel"},
		{"lstm wih", func() error { _, _, _, err := LSTM(seq, h0, c0, node("wih2", 20, 2), whh, nil, nil); return err }, "ops: LSTM: wIH has shape (20, 2)"},
		{"lstm whh", func() error { _, _, _, err := LSTM(seq, h0, c0, wih, wbad, nil, nil); return err }, "ops: LSTM: wHH has shape (19, 5)"},
		{"lstm c0", func() error { _, _, _, err := LSTM(seq, h0, node("c0b", 2, 4), wih, whh, nil, nil); return err }, "ops: LSTM: c0 has shape (2, 4)"},
		{"lstm nil h0", func() error { _, _, _, err := LSTM(seq, nil, c0, wih, whh, nil, nil); return err }, "ops: LSTM: h0 is nil"},
		{"lstm one bias", func() error { _, _, _, err := LSTM(seq, h0, c0, wih, whh, bias, nil); return err }, "want both or neither"},
		{"gru gates", func() error { _, _, err := GRU(seq, h0, wih, whh, nil, nil); return err }, "ops: GRU: wHH has shape (20, 5), want (3·H, H)"},
		{"rnn x", func() error { _, _, err := RNN(x4, h0, wih, whh, nil, nil); return err }, "ops: RNN: x has shape (2, 3, 5, 5)"},
		{"mha heads", func() error {
			_, err := MultiHeadAttention(q, q, q, inw, nil, outw, nil, nil, MultiHeadAttentionOptions{})
			return err
		}, "Heads = 0"},
		{"mha heads divide", func() error {
			_, err := MultiHeadAttention(q, q, q, inw, nil, outw, nil, nil, MultiHeadAttentionOptions{Heads: 3})
			return err
		}, "not a multiple of 3 heads"},
		{"mha dropout rand", func() error {
			_, err := MultiHeadAttention(q, q, q, inw, nil, outw, nil, nil, MultiHeadAttentionOptions{Heads: 2, Dropout: 0.1})
			return err
		}, "nil Rand"},
		{"mha key", func() error {
			_, err := MultiHeadAttention(q, node("kb", 2, 5, 3), k, inw, nil, outw, nil, nil, MultiHeadAttentionOptions{Heads: 2})
			return err
		}, "query, key, value shapes"},
		{"mha mask", func() error {
			_, err := MultiHeadAttention(q, k, k, inw, nil, outw, nil, node("m", 2, 3), MultiHeadAttentionOptions{Heads: 2})
			return err
		}, "keyPadding has shape (2, 3), want (2, 5)"},
		{"mha in weight", func() error {
			_, err := MultiHeadAttention(q, q, q, outw, nil, outw, nil, nil, MultiHeadAttentionOptions{Heads: 2})
			return err
		}, "inProjWeight has shape (4, 4), want (12, 4)"},
		{"add shapes", func() error { _, err := Add(h0, node("h1", 5, 2)); return err }, "want one shape"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.f(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}
