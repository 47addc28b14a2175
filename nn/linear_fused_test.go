package nn

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// countFused returns the number of fused Linear+ReLU nodes and of standalone ReLU
// nodes in g.
func countFused(g *graph.Graph) (fused, relus int) {
	for _, n := range g.Expr().AllNodes() {
		if !ops.IsReLU(n) {
			continue
		}
		if strings.HasPrefix(n.Op().String(), "ops.Linear") {
			fused++
		} else {
			relus++
		}
	}
	return fused, relus
}

// TestSequentialFusesLinearReLU: a Linear with Activation ReLU is one node, with the
// values and Param gradients of a Linear and a ReLU as two items of a Sequential, bit
// for bit, and the Param names of those two items.
func TestSequentialFusesLinearReLU(t *testing.T) {
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			fusedModel, err := NewSequential(graph.NewScope(dt, graph.Seed(3)).Sub("mlp"),
				LinearConfig{In: 7, Out: 9, Activation: ReLU},
				LinearConfig{In: 9, Out: 5, NoBias: true, Activation: ReLU},
				LinearConfig{In: 5, Out: 3, Activation: Tanh}, ReLU)
			if err != nil {
				t.Fatal(err)
			}
			apartModel, err := NewSequential(graph.NewScope(dt, graph.Seed(3)).Sub("mlp"),
				LinearConfig{In: 7, Out: 9}, ReLU,
				LinearConfig{In: 9, Out: 5, NoBias: true}, ReLU,
				LinearConfig{In: 5, Out: 3}, Tanh, ReLU)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for i, p := range fusedModel.Params() {
				names = append(names, p.Name())
				if q := apartModel.Params()[i]; q.Name() != p.Name() || !q.Value().Eq(p.Value()) {
					t.Errorf("param %s of the fused model differs from %s apart", p, q)
				}
			}
			if got, want := strings.Join(names, " "), "mlp/0/weight mlp/0/bias mlp/2/weight mlp/4/weight mlp/4/bias"; got != want {
				t.Errorf("params %s, want %s", got, want)
			}
			x := randTensor(dt, 8, 6, 7)
			run := func(model *Sequential, wantFused, wantReLUs int) (float64, []*tensor.Dense) {
				g := graph.New(dt, graph.Train)
				xn, err := g.Input("x", 6, 7)
				if err != nil {
					t.Fatal(err)
				}
				y, err := Forward(model, g, xn)
				if err != nil {
					t.Fatal(err)
				}
				if f, r := countFused(g); f != wantFused || r != wantReLUs {
					t.Errorf("%d fused Linear+ReLU and %d ReLU nodes, want %d and %d", f, r, wantFused, wantReLUs)
				}
				loss, err := gorgonia.Sum(y)
				if err != nil {
					t.Fatal(err)
				}
				m, err := graph.Compile(g, graph.Loss(loss))
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if err := m.Run(graph.Feeds{xn: x}); err != nil {
					t.Fatal(err)
				}
				var grads []*tensor.Dense
				for _, p := range model.Params() {
					grads = append(grads, p.Grad().Clone().(*tensor.Dense))
				}
				return m.Loss(), grads
			}
			fusedLoss, fusedGrads := run(fusedModel, 2, 1)
			apartLoss, apartGrads := run(apartModel, 0, 3)
			if math.Float64bits(fusedLoss) != math.Float64bits(apartLoss) {
				t.Errorf("loss %.17g fused, %.17g apart", fusedLoss, apartLoss)
			}
			for i, g := range fusedGrads {
				if !g.Eq(apartGrads[i]) {
					t.Errorf("gradient of %s differs: fused %v, apart %v", names[i], g, apartGrads[i])
				}
			}
		})
	}
}

// TestLinearActivation: the Linear applies any Activation; only one that declares a
// fused kernel (ReLU) is fused, whatever its position in a Sequential, and a
// user-defined Activation works too.
func TestLinearActivation(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(5))
	for _, c := range []struct {
		act          Activation
		fused, relus int
		scope        string
	}{
		{ReLU, 1, 0, "relu"},
		{LeakyReLU(0.2), 0, 0, "leaky"},
		{GELU, 0, 0, "gelu"},
		{square{}, 0, 0, "square"},
	} {
		t.Run(fmt.Sprint(c.act), func(t *testing.T) {
			l, err := NewLinear(s.Sub(c.scope), LinearConfig{In: 3, Out: 2, Activation: c.act})
			if err != nil {
				t.Fatal(err)
			}
			g := graph.New(graph.Float64, graph.Eval)
			x, _ := g.Input("x", 4, 3)
			y, err := Forward(l, g, x)
			if err != nil {
				t.Fatal(err)
			}
			if f, r := countFused(g); f != c.fused || r != c.relus {
				t.Errorf("%d fused and %d ReLU nodes, want %d and %d", f, r, c.fused, c.relus)
			}
			if op := fmt.Sprint(y.Op()); strings.HasPrefix(op, "ops.Linear") != (c.fused == 1) {
				t.Errorf("output op %s, fused %v", op, c.fused == 1)
			}
			if fmt.Sprint(y.Shape()) != "(4, 2)" {
				t.Errorf("output shape %v, want (4, 2)", y.Shape())
			}
		})
	}
}

// square is a user-defined Activation: x².
type square struct{}

func (square) Forward(_ *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.Square(x)
}
func (square) Params() []*graph.Param              { return nil }
func (s square) Build(*graph.Scope) (Layer, error) { return s, nil }
func (square) String() string                      { return "nn.square" }

func TestSequentialFusedGradient(t *testing.T) {
	for _, dt := range dtypes {
		for _, shape := range [][2]int{{4, 5}, {1, 5}} {
			t.Run(fmt.Sprintf("%v/%v", dt, shape), func(t *testing.T) {
				s := graph.NewScope(dt, graph.Seed(4))
				model, err := NewSequential(s.Sub("m"), LinearConfig{In: shape[1], Out: 6, Activation: ReLU},
					LinearConfig{In: 6, Out: 1, Activation: ReLU})
				if err != nil {
					t.Fatal(err)
				}
				// Shift the biases up so no unit sits within a finite-difference step of
				// the kink at 0.
				for _, p := range model.Params() {
					if strings.HasSuffix(p.Name(), "bias") {
						addTo(p.Value(), 3)
					}
				}
				checkLayerGrad(t, dt, model, randTensor(dt, 6, shape[0], shape[1]))
			})
		}
	}
}

// addTo adds c to every element of a float tensor.
func addTo(v *tensor.Dense, c float64) {
	switch d := v.Data().(type) {
	case []float32:
		for i := range d {
			d[i] += float32(c)
		}
	case []float64:
		for i := range d {
			d[i] += c
		}
	}
}

func TestSequentialFusedErrors(t *testing.T) {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	model, err := NewSequential(s.Sub("mlp"), LinearConfig{In: 4, Out: 3, Activation: ReLU})
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(graph.Float32, graph.Train)
	x, _ := g.Input("x", 2, 5)
	_, err = model.Forward(g, x)
	if err == nil {
		t.Fatal("wrong input width: no error")
	}
	for _, want := range []string{`sequential "mlp": layer 0 (linear "mlp/0")`, `linear "mlp/0"`, "(2, 5)", "want (N, 4)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestLinearActivationGradient: numeric gradient checks of Linear layers whose
// Activation is not fused (a Linear node, then the activation's), float64 and float32.
func TestLinearActivationGradient(t *testing.T) {
	for _, dt := range dtypes {
		for _, act := range []Activation{GELU, GELUTanh, SiLU, Tanh, LeakyReLU(0.1)} {
			t.Run(fmt.Sprintf("%v/%v", dt, act), func(t *testing.T) {
				s := graph.NewScope(dt, graph.Seed(6))
				l, err := NewLinear(s.Sub("fc"), LinearConfig{In: 4, Out: 3, Activation: act})
				if err != nil {
					t.Fatal(err)
				}
				checkLayerGrad(t, dt, l, randTensor(dt, 7, 5, 4))
			})
		}
	}
}
