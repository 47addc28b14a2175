package optim_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
)

// optimProblem is a function to minimise with its gradient and its minimiser.
type optimProblem struct {
	start, min []float64
	grad       func(x, g []float64)
}

var (
	// optimQuadratic is f(p) = sum (p_i - c_i)^2, minimised at c.
	optimQuadratic = optimProblem{
		start: []float64{0, 0, 0, 0, 0},
		min:   []float64{1, -2, 3, 0.5, -0.25},
		grad: func(x, g []float64) {
			c := []float64{1, -2, 3, 0.5, -0.25}
			for i := range x {
				g[i] = 2 * (x[i] - c[i])
			}
		},
	}
	// optimRosenbrock is f(x, y) = (1-x)^2 + 100 (y-x^2)^2 from the customary start
	// (-1.2, 1), minimised at (1, 1) at the end of a long curved valley.
	optimRosenbrock = optimProblem{
		start: []float64{-1.2, 1},
		min:   []float64{1, 1},
		grad: func(x, g []float64) {
			g[0] = -2*(1-x[0]) - 400*x[0]*(x[1]-x[0]*x[0])
			g[1] = 200 * (x[1] - x[0]*x[0])
		},
	}
)

// minimise runs steps steps of opt on problem p in dtype dt and returns the final
// point.
func minimise(t *testing.T, cfg optim.Config, p optimProblem, dt graph.DType, steps int) []float64 {
	t.Helper()
	s := graph.NewScope(dt, graph.Seed(1))
	x := newOptimParam(t, s, "x", []int{len(p.start)}, p.start)
	opt, err := cfg.NewOptimizer()
	if err != nil {
		t.Fatal(err)
	}
	g := make([]float64, len(p.start))
	for k := 0; k < steps; k++ {
		p.grad(optimValues(x), g)
		setOptimGrad(t, x, g)
		if err := opt.Step([]*graph.Param{x}); err != nil {
			t.Fatalf("step %d: %v", k+1, err)
		}
	}
	return optimValues(x)
}

// TestOptimizerConformance checks that every optimizer minimises a quadratic and the
// 2-D Rosenbrock function. Learning rates and step counts are chosen per optimizer
// (plain SGD needs a small rate in Rosenbrock's valley; Adam's steps are about lr in
// size); tol bounds max_i |x_i - min_i| at the end.
func TestOptimizerConformance(t *testing.T) {
	tests := []struct {
		name    string
		cfg     optim.Config
		problem optimProblem
		pname   string
		dt      graph.DType
		steps   int
		tol     float64
	}{
		{"SGD", optim.SGD{LR: 0.1}, optimQuadratic, "quadratic", graph.Float64, 100, 1e-6},
		{"SGD", optim.SGD{LR: 0.1}, optimQuadratic, "quadratic", graph.Float32, 100, 1e-5},
		{"SGD/momentum", optim.SGD{LR: 0.05, Momentum: 0.9}, optimQuadratic, "quadratic", graph.Float64, 400, 1e-6},
		{"SGD/dampening", optim.SGD{LR: 0.05, Momentum: 0.9, Dampening: 0.5}, optimQuadratic, "quadratic", graph.Float64, 400, 1e-6},
		{"SGD/nesterov", optim.SGD{LR: 0.05, Momentum: 0.9, Nesterov: true}, optimQuadratic, "quadratic", graph.Float64, 400, 1e-6},
		{"Adam", optim.Adam{LR: 0.05}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-4},
		{"Adam", optim.Adam{LR: 0.05}, optimQuadratic, "quadratic", graph.Float32, 2000, 1e-4},
		{"Adam/amsgrad", optim.Adam{LR: 0.05, AMSGrad: true}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-4},
		{"AdamW", optim.AdamW{LR: 0.05}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-4},
		{"AdamW/amsgrad", optim.AdamW{LR: 0.05, AMSGrad: true}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-4},
		{"RMSProp", optim.RMSProp{LR: 0.01}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-2},
		{"RMSProp", optim.RMSProp{LR: 0.01}, optimQuadratic, "quadratic", graph.Float32, 2000, 1e-2},
		{"RMSProp/momentum", optim.RMSProp{LR: 0.001, Momentum: 0.9}, optimQuadratic, "quadratic", graph.Float64, 3000, 1e-3},
		{"RMSProp/centered", optim.RMSProp{LR: 0.001, Momentum: 0.9, Centered: true}, optimQuadratic, "quadratic", graph.Float64, 3000, 1e-3},
		{"Adagrad", optim.Adagrad{LR: 0.5}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-6},
		{"Adagrad", optim.Adagrad{LR: 0.5}, optimQuadratic, "quadratic", graph.Float32, 2000, 1e-5},
		{"Adagrad/lr-decay", optim.Adagrad{LR: 1, LRDecay: 1e-3, InitialAccumulator: 0.1}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-6},

		{"SGD", optim.SGD{LR: 1e-3}, optimRosenbrock, "rosenbrock", graph.Float64, 20000, 1e-3},
		{"SGD/momentum", optim.SGD{LR: 1e-3, Momentum: 0.9}, optimRosenbrock, "rosenbrock", graph.Float64, 5000, 1e-3},
		{"SGD/nesterov", optim.SGD{LR: 1e-3, Momentum: 0.9, Nesterov: true}, optimRosenbrock, "rosenbrock", graph.Float64, 5000, 1e-3},
		{"Adam", optim.Adam{LR: 0.01}, optimRosenbrock, "rosenbrock", graph.Float64, 5000, 1e-3},
		{"Adam/amsgrad", optim.Adam{LR: 0.01, AMSGrad: true}, optimRosenbrock, "rosenbrock", graph.Float64, 20000, 1e-3},
		{"AdamW", optim.AdamW{LR: 0.01}, optimRosenbrock, "rosenbrock", graph.Float64, 5000, 1e-3},
		{"RMSProp/momentum", optim.RMSProp{LR: 1e-4, Momentum: 0.9}, optimRosenbrock, "rosenbrock", graph.Float64, 20000, 1e-2},
		{"RMSProp/centered", optim.RMSProp{LR: 1e-4, Momentum: 0.9, Centered: true}, optimRosenbrock, "rosenbrock", graph.Float64, 20000, 1e-2},
		{"Adagrad", optim.Adagrad{LR: 0.5}, optimRosenbrock, "rosenbrock", graph.Float64, 20000, 1e-3},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s/%v", tc.name, tc.pname, tc.dt), func(t *testing.T) {
			got := minimise(t, tc.cfg, tc.problem, tc.dt, tc.steps)
			worst := 0.0
			for i := range got {
				worst = max(worst, math.Abs(got[i]-tc.problem.min[i]))
			}
			if !(worst <= tc.tol) {
				t.Errorf("after %d steps x = %v, want %v within %g (off by %.3g)", tc.steps, got, tc.problem.min, tc.tol, worst)
			}
			t.Logf("after %d steps off by %.3g", tc.steps, worst)
		})
	}
}

// TestOptimizerWeightDecayFixedPoint checks the weight decay terms against the
// minimiser they imply on the quadratic sum (p-c)^2: the coupled L2 decay of SGD and
// Adam adds lambda*p to the gradient 2(p-c), which vanishes at p = 2c/(2+lambda).
func TestOptimizerWeightDecayFixedPoint(t *testing.T) {
	const lambda = 0.5
	want := make([]float64, len(optimQuadratic.min))
	for i, c := range optimQuadratic.min {
		want[i] = 2 * c / (2 + lambda)
	}
	for _, tc := range []struct {
		name  string
		cfg   optim.Config
		steps int
		tol   float64
	}{
		{"SGD", optim.SGD{LR: 0.1, WeightDecay: lambda}, 200, 1e-9},
		{"SGD/momentum", optim.SGD{LR: 0.05, Momentum: 0.9, WeightDecay: lambda}, 500, 1e-9},
		{"Adam", optim.Adam{LR: 0.05, WeightDecay: lambda}, 3000, 1e-4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := minimise(t, tc.cfg, optimQuadratic, graph.Float64, tc.steps)
			for i := range got {
				if math.Abs(got[i]-want[i]) > tc.tol {
					t.Fatalf("after %d steps x = %v, want %v within %g", tc.steps, got, want, tc.tol)
				}
			}
		})
	}
}

// TestAdamWDecoupledDecay checks AdamW's decay on its own: with a zero gradient the
// moments stay zero, so the Adam term is 0 and each step multiplies the weights by
// exactly 1 - lr*WeightDecay. Adam's coupled decay instead feeds lambda*p through
// the moments, giving a step of about lr regardless of lambda.
func TestAdamWDecoupledDecay(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	p := newOptimParam(t, s, "p", []int{2}, []float64{2, -4})
	opt, err := optim.AdamW{LR: 0.1, WeightDecay: 0.5}.NewOptimizer()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := opt.Step([]*graph.Param{p}); err != nil { // the gradient is zero
			t.Fatal(err)
		}
	}
	f := math.Pow(1-0.1*0.5, 3)
	got := p.Float64s()
	if got[0] != 2*f || got[1] != -4*f {
		t.Errorf("AdamW with zero gradient: p = %v, want %v", got, []float64{2 * f, -4 * f})
	}
}
