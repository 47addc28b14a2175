package ops

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/ops/blas"
	"github.com/gradflow/gradflow/ops/kern"
)

// linearFn builds Linear or LinearReLU; b may be nil.
func linearFn(relu bool) func(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	if relu {
		return LinearReLU
	}
	return Linear
}

// composedLinear is the same layer from gorgonia's ops and ours: Mul, BroadcastAdd,
// then ReLU.
func composedLinear(relu bool) func(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	return func(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
		y, err := gorgonia.Mul(x, w)
		if err != nil {
			return nil, err
		}
		if b != nil {
			if y, err = gorgonia.BroadcastAdd(y, b, nil, []byte{0}); err != nil {
				return nil, err
			}
		}
		if relu {
			return ReLU(y)
		}
		return y, nil
	}
}

// linearShapes are (n, in, out): batch 1, a column-vector input (in = 1), one output,
// odd sizes.
var linearShapes = [][3]int{{4, 3, 5}, {1, 7, 3}, {6, 1, 4}, {5, 3, 1}, {9, 13, 11}, {1, 1, 1}}

func TestLinearGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, sh := range linearShapes {
			for _, bias := range []bool{true, false} {
				for _, relu := range []bool{false, true} {
					name := fmt.Sprintf("%v/%v/bias=%t/relu=%t", dt, sh, bias, relu)
					t.Run(name, func(t *testing.T) {
						n, in, out := sh[0], sh[1], sh[2]
						xv := uniform(31, n*in, -2, 2)
						wv := uniform(32, in*out, -1, 1)
						bv := uniform(33, out, -1, 1)
						if relu {
							nudgeLinear(xv, wv, bv, n, in, out, bias)
						}
						checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
							g := gorgonia.NewGraph()
							x := newInput(g, dt, "x", []int{n, in}, xv)
							w := newInput(g, dt, "w", []int{in, out}, wv)
							wrt := []*gorgonia.Node{x, w}
							var b *gorgonia.Node
							if bias {
								b = newInput(g, dt, "b", []int{out}, bv)
								wrt = append(wrt, b)
							}
							y, err := linearFn(relu)(x, w, b)
							return y, wrt, err
						})
					})
				}
			}
		}
	}
}

// nudgeLinear shifts the bias (or, without one, the inputs' scale is left alone and
// the weights are shifted) so that no pre-activation lies within 0.3 of ReLU's kink,
// where the float32 finite difference (step 1e-2) would straddle it.
func nudgeLinear(x, w, b []float64, n, in, out int, bias bool) {
	for j := 0; j < out; j++ {
		for iter := 0; iter < 100; iter++ {
			near := false
			for i := 0; i < n; i++ {
				s := 0.0
				for k := 0; k < in; k++ {
					s += x[i*in+k] * w[k*out+j]
				}
				if bias {
					s += b[j]
				}
				if math.Abs(s) < 0.3 {
					near = true
				}
			}
			if !near {
				break
			}
			if bias {
				b[j] += 0.37
			} else {
				for k := 0; k < in; k++ {
					w[k*out+j] *= 1.3
					w[k*out+j] += 0.05
				}
			}
		}
	}
}

// TestLinearBitIdenticalToComposition: the fused op's output and its gradients equal
// those of gorgonia.Mul, gorgonia.BroadcastAdd (and ReLU) with the same BLAS bit for bit.
func TestLinearBitIdenticalToComposition(t *testing.T) {
	// Linear calls ops/blas; so must gorgonia's Mul here (graph installs it into
	// gorgonia by default, but this package's tests do not import graph).
	prev := blas.Install()
	defer gorgonia.Use(prev)
	for _, dt := range dtypes {
		for _, sh := range append(linearShapes, [3]int{128, 784, 512}, [3]int{33, 70, 257}) {
			for _, bias := range []bool{true, false} {
				for _, relu := range []bool{false, true} {
					name := fmt.Sprintf("%v/%v/bias=%t/relu=%t", dt, sh, bias, relu)
					t.Run(name, func(t *testing.T) {
						n, in, out := sh[0], sh[1], sh[2]
						vals := map[string][]float64{
							"x": uniform(41, n*in, -2, 2), "w": uniform(42, in*out, -1, 1),
							"b": uniform(43, out, -1, 1), "r": uniform(44, n*out, -1, 1),
						}
						run := func(f func(x, w, b *gorgonia.Node) (*gorgonia.Node, error)) [][]float64 {
							got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
								x := newInput(g, dt, "x", []int{n, in}, vals["x"])
								w := newInput(g, dt, "w", []int{in, out}, vals["w"])
								r := newInput(g, dt, "r", []int{n, out}, vals["r"])
								wrt := []*gorgonia.Node{x, w}
								var b *gorgonia.Node
								if bias {
									b = newInput(g, dt, "b", []int{out}, vals["b"])
									wrt = append(wrt, b)
								}
								y, err := f(x, w, b)
								if err != nil {
									return nil, err
								}
								loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, r))))
								grads, err := gorgonia.Grad(loss, wrt...)
								if err != nil {
									return nil, err
								}
								return append([]*gorgonia.Node{y}, grads...), nil
							})
							if err != nil {
								t.Fatal(err)
							}
							return got
						}
						fused, composed := run(linearFn(relu)), run(composedLinear(relu))
						for k, what := range []string{"y", "dx", "dw", "db"}[:len(fused)] {
							for i := range fused[k] {
								if math.Float64bits(fused[k][i]) != math.Float64bits(composed[k][i]) &&
									!(fused[k][i] == 0 && composed[k][i] == 0) {
									t.Fatalf("%s[%d] = %.17g, composed ops give %.17g", what, i, fused[k][i], composed[k][i])
								}
							}
						}
					})
				}
			}
		}
	}
}

func TestGoldenLinear(t *testing.T) {
	var cases []struct {
		Name  string    `json:"name"`
		N     int       `json:"n"`
		In    int       `json:"in"`
		Out   int       `json:"out"`
		Bias  bool      `json:"bias"`
		ReLU  bool      `json:"relu"`
		X     []float64 `json:"x"`
		W     []float64 `json:"w"`
		B     []float64 `json:"b"`
		R     []float64 `json:"r"`
		Y     []float64 `json:"y"`
		GradX []float64 `json:"grad_x"`
		GradW []float64 `json:"grad_w"`
		GradB []float64 `json:"grad_b"`
	}
	readGolden(t, "linear.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
				ins := []goldenInput{{"x", []int{c.N, c.In}, c.X, c.GradX}, {"w", []int{c.In, c.Out}, c.W, c.GradW}}
				if c.Bias {
					ins = append(ins, goldenInput{"b", []int{c.Out}, c.B, c.GradB})
				}
				checkGolden(t, dt, ins, c.R, c.Y, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
					var b *gorgonia.Node
					if c.Bias {
						b = in[2]
					}
					return linearFn(c.ReLU)(in[0], in[1], b)
				})
			})
		}
	}
}

// TestLinearNodesDoNotMerge: gorgonia merges nodes whose ops hash alike; Linear and
// LinearReLU on the same inputs, and ReLU of Linear, must be three nodes.
func TestLinearNodesDoNotMerge(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2, 3}, uniform(1, 6, -1, 1))
	w := newInput(g, tensor.Float64, "w", []int{3, 4}, uniform(2, 12, -1, 1))
	b := newInput(g, tensor.Float64, "b", []int{4}, uniform(3, 4, -1, 1))
	y1, err1 := Linear(x, w, b)
	y2, err2 := LinearReLU(x, w, b)
	y3, err3 := Linear(x, w, nil)
	y4, err4 := LinearReLU(x, w, nil)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			t.Fatal(err)
		}
	}
	nodes := []*gorgonia.Node{y1, y2, y3, y4}
	for i := range nodes {
		for j := range i {
			if nodes[i] == nodes[j] {
				t.Errorf("nodes %d (%v) and %d (%v) merged", i, nodes[i].Op(), j, nodes[j].Op())
			}
		}
	}
	if again, _ := Linear(x, w, b); again != y1 {
		t.Errorf("Linear twice on the same inputs gave two nodes, want one (gorgonia's hash-consing)")
	}
}

func TestLinearErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	f64 := func(name string, shape ...int) *gorgonia.Node {
		return gorgonia.NewTensor(g, tensor.Float64, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name))
	}
	x, w, b := f64("x", 4, 3), f64("w", 3, 5), f64("b", 5)
	x32 := gorgonia.NewMatrix(g, tensor.Float32, gorgonia.WithShape(4, 3), gorgonia.WithName("x32"))
	xi := gorgonia.NewMatrix(g, tensor.Int, gorgonia.WithShape(4, 3), gorgonia.WithName("xi"))
	for _, c := range []struct {
		name    string
		x, w, b *gorgonia.Node
		want    string
	}{
		{"nil x", nil, w, b, "x is nil"},
		{"nil w", x, nil, b, "w is nil"},
		{"int x", xi, w, b, "dtype int"},
		{"mixed dtypes", x32, w, b, "w has dtype float64, x float32"},
		{"vector x", f64("xv", 3), w, b, "want (N, In) and (In, Out)"},
		{"3-D x, in mismatch", f64("x3", 2, 4, 2), w, b, "x (2, 4, 2) and w (3, 5)"},
		{"in mismatch", f64("x4", 4, 2), w, b, "x (4, 2) and w (3, 5)"},
		{"bias size", x, w, f64("b4", 4), "b (4), want (5)"},
		{"bias matrix", x, w, f64("bm", 1, 5), "want (5)"},
	} {
		for _, relu := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/relu=%t", c.name, relu), func(t *testing.T) {
				_, err := linearFn(relu)(c.x, c.w, c.b)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error = %v, want one containing %q", err, c.want)
				}
			})
		}
	}
}

// TestLinearRunErrors: a value of the wrong shape bound at run time is an error from
// the run, not a panic.
func TestLinearRunErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2, 3}, uniform(1, 6, -1, 1))
	w := newInput(g, tensor.Float64, "w", []int{3, 4}, uniform(2, 12, -1, 1))
	y, err := Linear(x, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := y.Op().Do(newDense(tensor.Float64, []int{2, 2}, uniform(3, 4, -1, 1)), w.Value()); err == nil {
		t.Error("Do with x (2, 2) and w (3, 4): no error")
	}
	if _, err := y.Op().Do(x.Value()); err == nil {
		t.Error("Do with one input: no error")
	}
	if _, err := y.Op().Do(x.Value(), newDense(tensor.Float32, []int{3, 4}, uniform(2, 12, -1, 1))); err == nil {
		t.Error("Do with float64 x and float32 w: no error")
	}
}

// TestLinearRerun: the ops keep their output memory from one run to the next (outBuf);
// a second run on new data must give what a fresh graph gives, bit for bit, with two
// layers and their gradients live at once.
func TestLinearRerun(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			build := func(xv []float64) (*gorgonia.ExprGraph, *gorgonia.Node, []gorgonia.Value) {
				g := gorgonia.NewGraph()
				x := newInput(g, dt, "x", []int{5, 4}, xv)
				w1 := newInput(g, dt, "w1", []int{4, 6}, uniform(52, 24, -1, 1))
				b1 := newInput(g, dt, "b1", []int{6}, uniform(53, 6, -1, 1))
				w2 := newInput(g, dt, "w2", []int{6, 3}, uniform(54, 18, -1, 1))
				r := newInput(g, dt, "r", []int{5, 3}, uniform(55, 15, -1, 1))
				h := gorgonia.Must(LinearReLU(x, w1, b1))
				h2 := gorgonia.Must(ReLU(h))
				y := gorgonia.Must(Linear(h2, w2, nil))
				loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, r))))
				grads, err := gorgonia.Grad(loss, x, w1, b1, w2)
				if err != nil {
					t.Fatal(err)
				}
				vals := make([]gorgonia.Value, 1+len(grads))
				gorgonia.Read(y, &vals[0])
				for i, gn := range grads {
					gorgonia.Read(gn, &vals[i+1])
				}
				return g, x, vals
			}
			run := func(g *gorgonia.ExprGraph, vm gorgonia.VM, vals []gorgonia.Value) [][]float64 {
				vm.Reset()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				out := make([][]float64, len(vals))
				for i, v := range vals {
					f, err := toFloat64s(v)
					if err != nil {
						t.Fatal(err)
					}
					out[i] = f
				}
				return out
			}
			x1, x2 := uniform(50, 20, -2, 2), uniform(51, 20, -2, 2)
			g, x, vals := build(x1)
			vm := gorgonia.NewTapeMachine(g)
			defer vm.Close()
			first := run(g, vm, vals)
			if err := gorgonia.Let(x, newDense(dt, []int{5, 4}, x2)); err != nil {
				t.Fatal(err)
			}
			second := run(g, vm, vals)
			fg, _, fvals := build(x2)
			fvm := gorgonia.NewTapeMachine(fg)
			defer fvm.Close()
			fresh := run(fg, fvm, fvals)
			for k := range fresh {
				for i := range fresh[k] {
					if math.Float64bits(second[k][i]) != math.Float64bits(fresh[k][i]) {
						t.Fatalf("value %d element %d: second run %g, fresh graph %g", k, i, second[k][i], fresh[k][i])
					}
				}
			}
			if first[0][0] == second[0][0] {
				t.Errorf("the two runs gave the same output: the new input was not used")
			}
		})
	}
}

// TestAddTo: the bias pass (kern.Add) and the column sums add with AVX2 or in Go, bit for bit the
// scalar loop's additions.
func TestAddTo(t *testing.T) {
	kernelPaths(t, func(t *testing.T) {
		for _, n := range []int{1, 3, 4, 7, 8, 9, 31, 32, 33, 100} {
			a, b := uniform(uint64(n), n, -1e3, 1e3), uniform(uint64(n)+1, n, -1, 1)
			d64 := append([]float64(nil), a...)
			kern.Add(d64, b)
			d32, s32 := make([]float32, n), make([]float32, n)
			for i := range a {
				d32[i], s32[i] = float32(a[i]), float32(b[i])
			}
			want32 := make([]float32, n)
			for i := range want32 {
				want32[i] = d32[i] + s32[i]
			}
			kern.Add(d32, s32)
			for i := range a {
				if d64[i] != a[i]+b[i] || d32[i] != want32[i] {
					t.Fatalf("n %d element %d: %g, %g; want %g, %g", n, i, d64[i], d32[i], a[i]+b[i], want32[i])
				}
			}
		}
	})
}

// TestLinear3D: a (N, T, In) input is transformed row by row: the values equal, bit
// for bit, those of the (N·T, In) matrix; gradients pass the numeric check.
func TestLinear3D(t *testing.T) {
	for _, dt := range dtypes {
		for _, relu := range []bool{false, true} {
			xs, ws, bs := uniform(1, 2*3*4, -1, 1), uniform(2, 4*5, -1, 1), uniform(3, 5, -1, 1)
			run := func(shape []int) [][]float64 {
				vals, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "x", shape, xs)
					w := newInput(g, dt, "w", []int{4, 5}, ws)
					b := newInput(g, dt, "b", []int{5}, bs)
					y, err := linearFn(relu)(x, w, b)
					if err != nil {
						return nil, err
					}
					s, err := gorgonia.Sum(y)
					if err != nil {
						return nil, err
					}
					gr, err := gorgonia.Grad(s, x, w, b)
					if err != nil {
						return nil, err
					}
					return append([]*gorgonia.Node{y}, gr...), nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return vals
			}
			a, b := run([]int{2, 3, 4}), run([]int{6, 4})
			for i := range a {
				if fmt.Sprint(a[i]) != fmt.Sprint(b[i]) {
					t.Errorf("%v relu=%v: output %d of the 3-D input differs from the 2-D one", dt, relu, i)
				}
			}
			checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
				g := gorgonia.NewGraph()
				x := newInput(g, dt, "x", []int{2, 3, 4}, xs)
				w := newInput(g, dt, "w", []int{4, 5}, ws)
				b := newInput(g, dt, "b", []int{5}, bs)
				y, err := linearFn(relu)(x, w, b)
				return y, []*gorgonia.Node{x, w, b}, err
			})
		}
	}
}
