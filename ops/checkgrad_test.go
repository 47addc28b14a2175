package ops

import (
	"fmt"
	"hash"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// squareOp is y = x*x elementwise, with a backward of 2*scale*x*dy: correct for
// scale 1, deliberately wrong otherwise. It exercises CheckGrad on a custom op whose
// backward is composed from gorgonia nodes.
type squareOp struct{ scale float64 }

func (op squareOp) Arity() int    { return 1 }
func (op squareOp) Type() hm.Type { a := hm.TypeVariable('a'); return hm.NewFnType(a, a) }
func (op squareOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (op squareOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	x := in[0].(*tensor.Dense)
	return x.Mul(x)
}
func (op squareOp) ReturnsPtr() bool      { return false }
func (op squareOp) CallsExtern() bool     { return false }
func (op squareOp) OverwritesInput() int  { return -1 }
func (op squareOp) WriteHash(h hash.Hash) { io.WriteString(h, op.String()) }
func (op squareOp) Hashcode() uint32      { return hash32(op.String()) }
func (op squareOp) String() string        { return fmt.Sprintf("test.square{scale=%g}", op.scale) }
func (op squareOp) DiffWRT(int) []bool    { return []bool{true} }
func (op squareOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	p, err := gorgonia.HadamardProd(grad, in[0])
	if err != nil {
		return nil, err
	}
	c := gorgonia.NewConstant(2 * op.scale)
	if in[0].Dtype() == tensor.Float32 {
		c = gorgonia.NewConstant(float32(2 * op.scale))
	}
	dx, err := gorgonia.Mul(p, c)
	return gorgonia.Nodes{dx}, err
}

// failOp is the identity, but its Do fails once its input's first element is no
// longer 1: on the first perturbed run of CheckGrad. (A Do that panics cannot be
// tested: gorgonia's TapeMachine runs the tape in its own goroutine, where a panic
// kills the process before any recover at our boundary.)
type failOp struct{ squareOp }

func (op failOp) String() string   { return "test.failing" }
func (op failOp) Hashcode() uint32 { return hash32(op.String()) }
func (op failOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	x := in[0].(*tensor.Dense)
	if x.Data().([]float64)[0] != 1 {
		return nil, errors.New("test: perturbed")
	}
	return x.Clone().(*tensor.Dense), nil
}

// unary builds f(x) for x of the given shape, with seeded values in [-2, 2].
func unary(dt tensor.Dtype, shape []int, f func(x *gorgonia.Node) (*gorgonia.Node, error)) func() (*gorgonia.Node, []*gorgonia.Node, error) {
	return func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := gorgonia.NewGraph()
		x := newInput(g, dt, "x", shape, uniform(3, size(shape), -2, 2))
		y, err := f(x)
		return y, []*gorgonia.Node{x}, err
	}
}

func TestCheckGradPassesCorrectOps(t *testing.T) {
	matmul := func(dt tensor.Dtype) func() (*gorgonia.Node, []*gorgonia.Node, error) {
		return func() (*gorgonia.Node, []*gorgonia.Node, error) {
			g := gorgonia.NewGraph()
			a := newInput(g, dt, "a", []int{3, 4}, uniform(1, 12, -1, 1))
			b := newInput(g, dt, "b", []int{4, 2}, uniform(2, 8, -1, 1))
			y, err := gorgonia.Mul(a, b)
			return y, []*gorgonia.Node{a, b}, err
		}
	}
	square := func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.ApplyOp(squareOp{scale: 1}, x) }
	gsoftmax := func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.SoftMax(x) }
	sum := func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.Sum(x) } // scalar output
	for _, dt := range dtypes {
		cases := []struct {
			name  string
			build func() (*gorgonia.Node, []*gorgonia.Node, error)
		}{
			{"Tanh", unary(dt, []int{3, 4}, gorgonia.Tanh)},
			{"Sigmoid", unary(dt, []int{5}, gorgonia.Sigmoid)},
			{"Mul matmul", matmul(dt)},
			{"gorgonia SoftMax 2-D", unary(dt, []int{3, 4}, gsoftmax)},
			{"Sum to scalar", unary(dt, []int{2, 3}, sum)},
			{"custom square op", unary(dt, []int{2, 2}, square)},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				rep, err := CheckGrad(c.build, CheckConfig{})
				if err != nil {
					t.Fatal(err)
				}
				if !rep.Passed || rep.Checked == 0 {
					t.Fatalf("report %v: want passed with elements checked", rep)
				}
			})
		}
	}
}

func TestCheckGradCatchesWrongGradients(t *testing.T) {
	gsoftmax := func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.SoftMax(x) }
	scaled := func(s float64) func(x *gorgonia.Node) (*gorgonia.Node, error) {
		return func(x *gorgonia.Node) (*gorgonia.Node, error) { return gorgonia.ApplyOp(squareOp{scale: s}, x) }
	}
	for _, dt := range dtypes {
		cases := []struct {
			name  string
			build func() (*gorgonia.Node, []*gorgonia.Node, error)
			want  string // in the error
		}{
			// GORGONIA.md: forward normalises axis 0, backward axis 1.
			{"gorgonia SoftMax column vector", unary(dt, []int{5, 1}, gsoftmax), "gradient mismatch"},
			{"square, gradient 10% off", unary(dt, []int{2, 3}, scaled(1.1)), "gradient mismatch"},
			{"square, gradient NaN", unary(dt, []int{2, 3}, scaled(math.NaN())), "gradient not finite"},
		}
		if dt == tensor.Float64 {
			cases = append(cases, struct {
				name  string
				build func() (*gorgonia.Node, []*gorgonia.Node, error)
				want  string
			}{"square, gradient 0.01% off", unary(dt, []int{2, 3}, scaled(1.0001)), "gradient mismatch"})
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				rep, err := CheckGrad(c.build, CheckConfig{})
				if err == nil {
					t.Fatalf("CheckGrad passed a wrong gradient: %v", rep)
				}
				if rep == nil || rep.Passed {
					t.Fatalf("report %v: want a failed report with the error", rep)
				}
				t.Log(err)
				msg := err.Error()
				for _, want := range []string{c.want, `input 0 "x" element`, "analytic", "numeric", "abs err", "rel err", "elements checked"} {
					if !strings.Contains(msg, want) {
						t.Errorf("error %q does not say %q", msg, want)
					}
				}
				if strings.Contains(msg, "\n") {
					t.Errorf("error %q is not one line", msg)
				}
			})
		}
	}
}

// TestCheckGradRestoresInputs binds an input to a tensor owned by the test, as
// gradflow Params are bound, and checks it is bit for bit unchanged after a pass, a
// failure and an error inside the graph.
func TestCheckGradRestoresInputs(t *testing.T) {
	cases := []struct {
		name    string
		op      gorgonia.Op
		wantErr string
	}{
		{"pass", squareOp{scale: 1}, ""},
		{"wrong gradient", squareOp{scale: 2}, "gradient mismatch"},
		{"error from Do", failOp{}, "test: perturbed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vals := []float64{1, 0.1, 1.0 / 3, -7e-5}
			owned := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking(append([]float64(nil), vals...)))
			_, err := CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) {
				g := gorgonia.NewGraph()
				x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("w"), gorgonia.WithValue(owned))
				y, err := gorgonia.ApplyOp(c.op, x)
				return y, []*gorgonia.Node{x}, err
			}, CheckConfig{})
			if c.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("error %v, want one saying %q", err, c.wantErr)
			}
			got := owned.Data().([]float64)
			for i := range vals {
				if math.Float64bits(got[i]) != math.Float64bits(vals[i]) {
					t.Fatalf("input after CheckGrad = %v, want %v restored exactly", got, vals)
				}
			}
		})
	}
}

func TestCheckGradErrors(t *testing.T) {
	g0 := gorgonia.NewGraph()
	elsewhere := newInput(g0, tensor.Float64, "elsewhere", []int{2}, []float64{1, 2})
	cases := []struct {
		name  string
		build func() (*gorgonia.Node, []*gorgonia.Node, error)
		cfg   CheckConfig
		want  string
	}{
		{"nil build", nil, CheckConfig{}, "nil build"},
		{"build error", func() (*gorgonia.Node, []*gorgonia.Node, error) {
			return nil, nil, errors.New("no luck")
		}, CheckConfig{}, "no luck"},
		{"build panics", func() (*gorgonia.Node, []*gorgonia.Node, error) {
			panic("boom")
		}, CheckConfig{}, "boom"},
		{"nil output", func() (*gorgonia.Node, []*gorgonia.Node, error) {
			return nil, nil, nil
		}, CheckConfig{}, "nil output"},
		{"no wrt", func() (*gorgonia.Node, []*gorgonia.Node, error) {
			y, _, err := unary(tensor.Float64, []int{2}, gorgonia.Tanh)()
			return y, nil, err
		}, CheckConfig{}, "no wrt"},
		{"wrt not an input", func() (*gorgonia.Node, []*gorgonia.Node, error) {
			y, _, err := unary(tensor.Float64, []int{2}, gorgonia.Tanh)()
			return y, []*gorgonia.Node{y}, err
		}, CheckConfig{}, "want an input node"},
		{"wrt without value", func() (*gorgonia.Node, []*gorgonia.Node, error) {
			g := gorgonia.NewGraph()
			x := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(3), gorgonia.WithName("x"))
			y, err := gorgonia.Tanh(x)
			return y, []*gorgonia.Node{x}, err
		}, CheckConfig{}, "want a bound *tensor.Dense"},
		{"wrt in another graph", func() (*gorgonia.Node, []*gorgonia.Node, error) {
			y, _, err := unary(tensor.Float64, []int{2}, gorgonia.Tanh)()
			return y, []*gorgonia.Node{elsewhere}, err
		}, CheckConfig{}, "not in the output's graph"},
		{"wrt twice", func() (*gorgonia.Node, []*gorgonia.Node, error) {
			y, wrt, err := unary(tensor.Float64, []int{2}, gorgonia.Tanh)()
			return y, []*gorgonia.Node{wrt[0], wrt[0]}, err
		}, CheckConfig{}, "also wrt node 0"},
		{"wrt not reaching the output", func() (*gorgonia.Node, []*gorgonia.Node, error) {
			y, wrt, err := unary(tensor.Float64, []int{2}, gorgonia.Tanh)()
			z := newInput(y.Graph(), tensor.Float64, "unused", []int{2}, []float64{1, 2})
			return y, []*gorgonia.Node{wrt[0], z}, err
		}, CheckConfig{}, "differentiating"},
		{"negative Eps", unary(tensor.Float64, []int{2}, gorgonia.Tanh), CheckConfig{Eps: -1}, "want finite Eps > 0"},
		{"step vanishes in float32", unary(tensor.Float32, []int{2}, gorgonia.Tanh), CheckConfig{Eps: 1e-12}, "raise Eps"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := CheckGrad(c.build, c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CheckGrad = %v, %v; want an error saying %q", rep, err, c.want)
			}
		})
	}
}

func TestCheckGradReport(t *testing.T) {
	rep, err := CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := gorgonia.NewGraph()
		a := newInput(g, tensor.Float64, "a", []int{3, 4}, uniform(1, 12, -1, 1))
		b := newInput(g, tensor.Float64, "b", []int{4, 2}, uniform(2, 8, -1, 1))
		y, err := gorgonia.Mul(a, b)
		return y, []*gorgonia.Node{a, b}, err
	}, CheckConfig{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != 12+8 {
		t.Errorf("Checked = %d, want 20", rep.Checked)
	}
	want := CheckConfig{Eps: DefaultEps64, RTol: DefaultRTol64, ATol: DefaultATol64, Seed: 9}
	if rep.Config != want {
		t.Errorf("Config = %+v, want %+v", rep.Config, want)
	}
	w := rep.Worst
	if w.Input < 0 || w.Input > 1 || w.Name != []string{"a", "b"}[w.Input] || w.Index < 0 ||
		w.AbsErr != math.Abs(w.Analytic-w.Numeric) || w.Analytic == 0 {
		t.Errorf("Worst = %+v: inconsistent", w)
	}
	if !strings.HasPrefix(rep.String(), "ok: input ") {
		t.Errorf("String() = %q, want it to start with %q", rep.String(), "ok: input ")
	}
}
