package train_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train"
)

// optimFixture is one file written by testdata/optim/gen.py: a PyTorch optimizer run
// on a fixed problem, with the gradients torch used at each step and the parameters
// after it.
type optimFixture struct {
	TorchVersion string `json:"torch_version"`
	Config       struct {
		Optimizer   string    `json:"optimizer"`
		LR          float64   `json:"lr"`
		Momentum    float64   `json:"momentum"`
		Dampening   float64   `json:"dampening"`
		WeightDecay float64   `json:"weight_decay"`
		Nesterov    bool      `json:"nesterov"`
		Betas       []float64 `json:"betas"`
		Eps         float64   `json:"eps"`
		AMSGrad     bool      `json:"amsgrad"`
		Alpha       float64   `json:"alpha"`
		Centered    bool      `json:"centered"`
		LRDecay     float64   `json:"lr_decay"`
		InitAcc     float64   `json:"initial_accumulator_value"`
	} `json:"config"`
	Shapes map[string][]int `json:"shapes"`
	Runs   map[string]struct {
		Init  map[string][]float64 `json:"init"`
		Steps []struct {
			Grads  map[string][]float64 `json:"grads"`
			Params map[string][]float64 `json:"params"`
		} `json:"steps"`
	} `json:"runs"`
}

// optimizerConfig returns the gradflow config equal to the fixture's torch.optim
// arguments.
func (f *optimFixture) optimizerConfig() (train.OptimizerConfig, error) {
	c := f.Config
	var b1, b2 float64
	if len(c.Betas) == 2 {
		b1, b2 = c.Betas[0], c.Betas[1]
	}
	switch c.Optimizer {
	case "sgd":
		return train.SGD{LR: c.LR, Momentum: c.Momentum, Dampening: c.Dampening, WeightDecay: c.WeightDecay, Nesterov: c.Nesterov}, nil
	case "adam":
		return train.Adam{LR: c.LR, Beta1: b1, Beta2: b2, Eps: c.Eps, WeightDecay: c.WeightDecay, AMSGrad: c.AMSGrad}, nil
	case "adamw":
		return train.AdamW{LR: c.LR, Beta1: b1, Beta2: b2, Eps: c.Eps, WeightDecay: c.WeightDecay, AMSGrad: c.AMSGrad}, nil
	case "rmsprop":
		return train.RMSProp{LR: c.LR, Alpha: c.Alpha, Eps: c.Eps, Momentum: c.Momentum, WeightDecay: c.WeightDecay, Centered: c.Centered}, nil
	case "adagrad":
		return train.Adagrad{LR: c.LR, LRDecay: c.LRDecay, WeightDecay: c.WeightDecay, InitialAccumulator: c.InitAcc, Eps: c.Eps}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q", c.Optimizer)
}

// newOptimParam returns a trainable weight named name holding vals.
func newOptimParam(t testing.TB, s *graph.Scope, name string, shape []int, vals []float64) *graph.Param {
	t.Helper()
	p, err := s.Param(name, graph.Weight, shape, graph.Zeros{})
	if err != nil {
		t.Fatal(err)
	}
	if vals != nil {
		if err := p.SetValues(vals); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// setOptimGrad copies g into p's gradient, converting to p's dtype.
func setOptimGrad(t testing.TB, p *graph.Param, g []float64) {
	t.Helper()
	switch d := p.Grad().Data().(type) {
	case []float64:
		copy(d, g)
	case []float32:
		for i, v := range g {
			d[i] = float32(v)
		}
	default:
		t.Fatalf("param %s: gradient data is %T", p.Name(), d)
	}
}

// optimValues returns p's values as float64s.
func optimValues(p *graph.Param) []float64 {
	if v := p.Float64s(); v != nil {
		return append([]float64(nil), v...)
	}
	v32 := p.Float32s()
	v := make([]float64, len(v32))
	for i, x := range v32 {
		v[i] = float64(x)
	}
	return v
}

// TestOptimizerMatchesPyTorch replays PyTorch 1.13 runs of every optimizer
// configuration (testdata/optim/gen.py): each step gets torch's gradient, and the
// parameters must then match torch's. The tolerance is relative to max(1, |want|),
// as parameters pass near zero: 1e-10 in float64, where only the rounding of a few
// operations per step differs, and 1e-5 in float32 (machine epsilon 1.2e-7, over 20
// steps; the float32 fixtures are torch's own float32 runs).
func TestOptimizerMatchesPyTorch(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "optim", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 14 {
		t.Fatalf("found %d fixtures in testdata/optim, want 14; run testdata/optim/gen.py", len(files))
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var f optimFixture
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		cfg, err := f.optimizerConfig()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, tc := range []struct {
			dtype graph.DType
			run   string
			tol   float64
		}{
			{graph.Float64, "float64", 1e-10},
			{graph.Float32, "float32", 1e-5},
		} {
			name := strings.TrimSuffix(filepath.Base(file), ".json") + "/" + tc.run
			t.Run(name, func(t *testing.T) {
				run, ok := f.Runs[tc.run]
				if !ok || len(run.Steps) == 0 {
					t.Fatalf("fixture has no %s run", tc.run)
				}
				s := graph.NewScope(tc.dtype, graph.Seed(1))
				names := []string{"w", "b"}
				var params []*graph.Param
				for _, n := range names {
					params = append(params, newOptimParam(t, s, n, f.Shapes[n], run.Init[n]))
				}
				opt, err := cfg.NewOptimizer()
				if err != nil {
					t.Fatal(err)
				}
				worst := 0.0
				for step, st := range run.Steps {
					for i, n := range names {
						setOptimGrad(t, params[i], st.Grads[n])
					}
					if err := opt.Step(params); err != nil {
						t.Fatalf("step %d: %v", step+1, err)
					}
					for i, n := range names {
						got, want := optimValues(params[i]), st.Params[n]
						for j := range want {
							e := math.Abs(got[j]-want[j]) / math.Max(1, math.Abs(want[j]))
							worst = max(worst, e)
							if !(e <= tc.tol) {
								t.Fatalf("%v: step %d: %s[%d] = %.17g, want %.17g (torch %s), error %.3g > %g",
									opt, step+1, n, j, got[j], want[j], f.TorchVersion, e, tc.tol)
							}
						}
					}
				}
				t.Logf("%v: %d steps, worst error %.3g", opt, len(run.Steps), worst)
			})
		}
	}
}

// optimConfigs are the configurations that the order, allocation and frozen-param
// tests run.
var optimConfigs = []struct {
	name string
	cfg  train.OptimizerConfig
}{
	{"SGD", train.SGD{LR: 0.1}},
	{"SGD/weight-decay", train.SGD{LR: 0.1, WeightDecay: 0.01}},
	{"SGD/momentum", train.SGD{LR: 0.1, Momentum: 0.9, Dampening: 0.1, WeightDecay: 0.01}},
	{"SGD/nesterov", train.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}},
	{"Adam", train.Adam{LR: 0.01}},
	{"Adam/weight-decay", train.Adam{LR: 0.01, WeightDecay: 0.1}},
	{"Adam/amsgrad", train.Adam{LR: 0.01, AMSGrad: true}},
	{"AdamW", train.AdamW{LR: 0.01, WeightDecay: 0.01}},
	{"AdamW/amsgrad", train.AdamW{LR: 0.01, WeightDecay: 0.01, AMSGrad: true}},
	{"RMSProp", train.RMSProp{LR: 0.01}},
	{"RMSProp/centered-momentum", train.RMSProp{LR: 0.01, Momentum: 0.9, Centered: true, WeightDecay: 0.01}},
	{"Adagrad", train.Adagrad{LR: 0.1, LRDecay: 0.01, WeightDecay: 0.01, InitialAccumulator: 0.1}},
}

// optimGrad is a deterministic gradient for step k and element i.
func optimGrad(k, i int, salt float64) float64 {
	return math.Sin(0.7*float64(k)+1.3*float64(i)+salt) + 0.1*float64(i%3)
}

// TestOptimizerStateKeyedByName checks that state follows a param's name, not its
// position: stepping the params in a different order each step, and adding a param
// after a few steps, gives the same values, bit for bit, as a fixed order.
func TestOptimizerStateKeyedByName(t *testing.T) {
	for _, oc := range optimConfigs {
		t.Run(oc.name, func(t *testing.T) {
			shapes := map[string][]int{"a": {3}, "b": {2, 2}, "c": {3}}
			build := func() (map[string]*graph.Param, train.Optimizer) {
				s := graph.NewScope(graph.Float64, graph.Seed(1))
				ps := map[string]*graph.Param{}
				for _, n := range []string{"a", "b", "c"} {
					ps[n] = newOptimParam(t, s, n, shapes[n], nil)
				}
				opt, err := oc.cfg.NewOptimizer()
				if err != nil {
					t.Fatal(err)
				}
				return ps, opt
			}
			fixed, optFixed := build()
			shuffled, optShuffled := build()
			salts := map[string]float64{"a": 0, "b": 0.5, "c": 1}
			for k := range 10 {
				orderFixed := []string{"a", "b", "c"}
				orderShuffled := [][]string{{"c", "b", "a"}, {"b", "a", "c"}, {"a", "c", "b"}}[k%3]
				if k < 4 { // c joins at step 5: it must get fresh state, not a's or b's
					orderFixed, orderShuffled = []string{"a", "b"}, [][]string{{"b", "a"}, {"a", "b"}}[k%2]
				}
				for _, run := range []struct {
					ps    map[string]*graph.Param
					opt   train.Optimizer
					order []string
				}{{fixed, optFixed, orderFixed}, {shuffled, optShuffled, orderShuffled}} {
					var list []*graph.Param
					for _, n := range run.order {
						p := run.ps[n]
						g := make([]float64, p.Size())
						for i := range g {
							g[i] = optimGrad(k, i, salts[n])
						}
						setOptimGrad(t, p, g)
						list = append(list, p)
					}
					if err := run.opt.Step(list); err != nil {
						t.Fatalf("step %d: %v", k+1, err)
					}
				}
			}
			for _, n := range []string{"a", "b", "c"} {
				got, want := shuffled[n].Float64s(), fixed[n].Float64s()
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("%s[%d] = %v after shuffled steps, want %v as in a fixed order", n, i, got[i], want[i])
					}
				}
			}
		})
	}
}

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
func minimise(t *testing.T, cfg train.OptimizerConfig, p optimProblem, dt graph.DType, steps int) []float64 {
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
		cfg     train.OptimizerConfig
		problem optimProblem
		pname   string
		dt      graph.DType
		steps   int
		tol     float64
	}{
		{"SGD", train.SGD{LR: 0.1}, optimQuadratic, "quadratic", graph.Float64, 100, 1e-6},
		{"SGD", train.SGD{LR: 0.1}, optimQuadratic, "quadratic", graph.Float32, 100, 1e-5},
		{"SGD/momentum", train.SGD{LR: 0.05, Momentum: 0.9}, optimQuadratic, "quadratic", graph.Float64, 400, 1e-6},
		{"SGD/dampening", train.SGD{LR: 0.05, Momentum: 0.9, Dampening: 0.5}, optimQuadratic, "quadratic", graph.Float64, 400, 1e-6},
		{"SGD/nesterov", train.SGD{LR: 0.05, Momentum: 0.9, Nesterov: true}, optimQuadratic, "quadratic", graph.Float64, 400, 1e-6},
		{"Adam", train.Adam{LR: 0.05}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-4},
		{"Adam", train.Adam{LR: 0.05}, optimQuadratic, "quadratic", graph.Float32, 2000, 1e-4},
		{"Adam/amsgrad", train.Adam{LR: 0.05, AMSGrad: true}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-4},
		{"AdamW", train.AdamW{LR: 0.05}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-4},
		{"AdamW/amsgrad", train.AdamW{LR: 0.05, AMSGrad: true}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-4},
		{"RMSProp", train.RMSProp{LR: 0.01}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-2},
		{"RMSProp", train.RMSProp{LR: 0.01}, optimQuadratic, "quadratic", graph.Float32, 2000, 1e-2},
		{"RMSProp/momentum", train.RMSProp{LR: 0.001, Momentum: 0.9}, optimQuadratic, "quadratic", graph.Float64, 3000, 1e-3},
		{"RMSProp/centered", train.RMSProp{LR: 0.001, Momentum: 0.9, Centered: true}, optimQuadratic, "quadratic", graph.Float64, 3000, 1e-3},
		{"Adagrad", train.Adagrad{LR: 0.5}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-6},
		{"Adagrad", train.Adagrad{LR: 0.5}, optimQuadratic, "quadratic", graph.Float32, 2000, 1e-5},
		{"Adagrad/lr-decay", train.Adagrad{LR: 1, LRDecay: 1e-3, InitialAccumulator: 0.1}, optimQuadratic, "quadratic", graph.Float64, 2000, 1e-6},

		{"SGD", train.SGD{LR: 1e-3}, optimRosenbrock, "rosenbrock", graph.Float64, 20000, 1e-3},
		{"SGD/momentum", train.SGD{LR: 1e-3, Momentum: 0.9}, optimRosenbrock, "rosenbrock", graph.Float64, 5000, 1e-3},
		{"SGD/nesterov", train.SGD{LR: 1e-3, Momentum: 0.9, Nesterov: true}, optimRosenbrock, "rosenbrock", graph.Float64, 5000, 1e-3},
		{"Adam", train.Adam{LR: 0.01}, optimRosenbrock, "rosenbrock", graph.Float64, 5000, 1e-3},
		{"Adam/amsgrad", train.Adam{LR: 0.01, AMSGrad: true}, optimRosenbrock, "rosenbrock", graph.Float64, 20000, 1e-3},
		{"AdamW", train.AdamW{LR: 0.01}, optimRosenbrock, "rosenbrock", graph.Float64, 5000, 1e-3},
		{"RMSProp/momentum", train.RMSProp{LR: 1e-4, Momentum: 0.9}, optimRosenbrock, "rosenbrock", graph.Float64, 20000, 1e-2},
		{"RMSProp/centered", train.RMSProp{LR: 1e-4, Momentum: 0.9, Centered: true}, optimRosenbrock, "rosenbrock", graph.Float64, 20000, 1e-2},
		{"Adagrad", train.Adagrad{LR: 0.5}, optimRosenbrock, "rosenbrock", graph.Float64, 20000, 1e-3},
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
		cfg   train.OptimizerConfig
		steps int
		tol   float64
	}{
		{"SGD", train.SGD{LR: 0.1, WeightDecay: lambda}, 200, 1e-9},
		{"SGD/momentum", train.SGD{LR: 0.05, Momentum: 0.9, WeightDecay: lambda}, 500, 1e-9},
		{"Adam", train.Adam{LR: 0.05, WeightDecay: lambda}, 3000, 1e-4},
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
	opt, err := train.AdamW{LR: 0.1, WeightDecay: 0.5}.NewOptimizer()
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

// TestOptimizerBadHyperparameters checks that NewOptimizer rejects every invalid
// value with an error naming the field.
func TestOptimizerBadHyperparameters(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		cfg  train.OptimizerConfig
		want string
	}{
		{train.SGD{}, "train: sgd: LR = 0, want > 0"},
		{train.SGD{LR: -1}, "train: sgd: LR = -1, want > 0"},
		{train.SGD{LR: nan}, "train: sgd: LR = NaN, want > 0"},
		{train.SGD{LR: inf}, "train: sgd: LR = +Inf, want > 0"},
		{train.SGD{LR: 0.1, Momentum: -1}, "train: sgd: Momentum = -1, want >= 0"},
		{train.SGD{LR: 0.1, Momentum: nan}, "train: sgd: Momentum = NaN, want >= 0"},
		{train.SGD{LR: 0.1, Dampening: -0.1}, "train: sgd: Dampening = -0.1, want in [0, 1]"},
		{train.SGD{LR: 0.1, Dampening: 1.5}, "train: sgd: Dampening = 1.5, want in [0, 1]"},
		{train.SGD{LR: 0.1, WeightDecay: -1e-4}, "train: sgd: WeightDecay = -0.0001, want >= 0"},
		{train.SGD{LR: 0.1, WeightDecay: nan}, "train: sgd: WeightDecay = NaN, want >= 0"},
		{train.SGD{LR: 0.1, Nesterov: true}, "train: sgd: Nesterov needs Momentum > 0 and Dampening = 0, have Momentum = 0, Dampening = 0"},
		{train.SGD{LR: 0.1, Momentum: 0.9, Dampening: 0.1, Nesterov: true}, "Nesterov needs Momentum > 0 and Dampening = 0"},

		{train.Adam{LR: -1}, "train: adam: LR = -1, want > 0 (0 means 1e-3)"},
		{train.Adam{LR: nan}, "train: adam: LR = NaN"},
		{train.Adam{Beta1: -0.1}, "train: adam: Beta1 = -0.1, want in [0, 1)"},
		{train.Adam{Beta1: 1}, "train: adam: Beta1 = 1, want in [0, 1)"},
		{train.Adam{Beta2: 1}, "train: adam: Beta2 = 1, want in [0, 1)"},
		{train.Adam{Beta2: nan}, "train: adam: Beta2 = NaN, want in [0, 1)"},
		{train.Adam{Eps: -1e-8}, "train: adam: Eps = -1e-08, want > 0"},
		{train.Adam{Eps: inf}, "train: adam: Eps = +Inf, want > 0"},
		{train.Adam{WeightDecay: -1}, "train: adam: WeightDecay = -1, want >= 0"},

		{train.AdamW{LR: -1}, "train: adamw: LR = -1"},
		{train.AdamW{Beta1: 1.5}, "train: adamw: Beta1 = 1.5, want in [0, 1)"},
		{train.AdamW{Beta2: -1}, "train: adamw: Beta2 = -1, want in [0, 1)"},
		{train.AdamW{Eps: nan}, "train: adamw: Eps = NaN, want > 0"},
		{train.AdamW{WeightDecay: -0.01}, "train: adamw: WeightDecay = -0.01, want >= 0"},
		{train.AdamW{WeightDecay: inf}, "train: adamw: WeightDecay = +Inf, want >= 0"},

		{train.RMSProp{LR: -1}, "train: rmsprop: LR = -1, want > 0 (0 means 1e-2)"},
		{train.RMSProp{Alpha: 1}, "train: rmsprop: Alpha = 1, want in (0, 1)"},
		{train.RMSProp{Alpha: -0.5}, "train: rmsprop: Alpha = -0.5, want in (0, 1)"},
		{train.RMSProp{Eps: -1}, "train: rmsprop: Eps = -1, want > 0"},
		{train.RMSProp{Momentum: -0.9}, "train: rmsprop: Momentum = -0.9, want >= 0"},
		{train.RMSProp{WeightDecay: nan}, "train: rmsprop: WeightDecay = NaN, want >= 0"},

		{train.Adagrad{LR: inf}, "train: adagrad: LR = +Inf, want > 0 (0 means 1e-2)"},
		{train.Adagrad{LRDecay: -1}, "train: adagrad: LRDecay = -1, want >= 0"},
		{train.Adagrad{WeightDecay: -1}, "train: adagrad: WeightDecay = -1, want >= 0"},
		{train.Adagrad{InitialAccumulator: -0.1}, "train: adagrad: InitialAccumulator = -0.1, want >= 0"},
		{train.Adagrad{Eps: nan}, "train: adagrad: Eps = NaN, want > 0"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%T%+v", tc.cfg, tc.cfg), func(t *testing.T) {
			opt, err := tc.cfg.NewOptimizer()
			if err == nil {
				t.Fatalf("NewOptimizer() = %v, nil; want error %q", opt, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewOptimizer() error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestOptimizerDefaultsAndString checks the zero-value defaults and String.
func TestOptimizerDefaultsAndString(t *testing.T) {
	tests := []struct {
		cfg    train.OptimizerConfig
		lr     float64
		string string
	}{
		{train.SGD{LR: 0.1}, 0.1, "SGD(lr=0.1, momentum=0, dampening=0, weight_decay=0, nesterov=false)"},
		{train.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4}, 0.1,
			"SGD(lr=0.1, momentum=0.9, dampening=0, weight_decay=0.0001, nesterov=true)"},
		{train.Adam{}, 1e-3, "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=false)"},
		{train.Adam{LR: 0.01, Beta1: 0.5, Beta2: 0.9, Eps: 1e-6, WeightDecay: 0.1, AMSGrad: true}, 0.01,
			"Adam(lr=0.01, betas=(0.5, 0.9), eps=1e-06, weight_decay=0.1, amsgrad=true)"},
		{train.AdamW{}, 1e-3, "AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, amsgrad=false)"},
		{train.AdamW{WeightDecay: 1e-2}, 1e-3, "AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=false)"},
		{train.RMSProp{}, 1e-2, "RMSprop(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0, centered=false)"},
		{train.Adagrad{}, 1e-2, "Adagrad(lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10)"},
	}
	for _, tc := range tests {
		opt, err := tc.cfg.NewOptimizer()
		if err != nil {
			t.Fatalf("%#v: %v", tc.cfg, err)
		}
		if opt.LR() != tc.lr {
			t.Errorf("%#v: LR() = %g, want %g", tc.cfg, opt.LR(), tc.lr)
		}
		if got := opt.String(); got != tc.string {
			t.Errorf("%#v: String() = %q, want %q", tc.cfg, got, tc.string)
		}
		opt.SetLR(0.5)
		if opt.LR() != 0.5 || !strings.Contains(opt.String(), "lr=0.5,") {
			t.Errorf("%#v: after SetLR(0.5), LR() = %g, String() = %q", tc.cfg, opt.LR(), opt.String())
		}
	}
}

// TestSGDSetLR checks that a new learning rate is used from the next step: plain SGD
// moves p by exactly -lr*g.
func TestSGDSetLR(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	p := newOptimParam(t, s, "p", []int{1}, []float64{1})
	opt, err := train.SGD{LR: 0.5}.NewOptimizer()
	if err != nil {
		t.Fatal(err)
	}
	setOptimGrad(t, p, []float64{1})
	for _, lr := range []float64{0.5, 0.25, 0} {
		opt.SetLR(lr)
		if err := opt.Step([]*graph.Param{p}); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.Float64s()[0]; got != 0.25 {
		t.Errorf("p = %v after steps at lr 0.5, 0.25, 0 with gradient 1, want 0.25", got)
	}
}

// TestOptimizerStepErrors checks that Step rejects bad params and leaves every param
// unchanged when it does.
func TestOptimizerStepErrors(t *testing.T) {
	for _, oc := range optimConfigs {
		t.Run(oc.name, func(t *testing.T) {
			s := graph.NewScope(graph.Float64, graph.Seed(1))
			a := newOptimParam(t, s, "a", []int{2}, []float64{1, 2})
			setOptimGrad(t, a, []float64{0.5, -0.5})
			// Another model whose param reuses the name "a" with another shape or dtype.
			other := newOptimParam(t, graph.NewScope(graph.Float64), "a", []int{3}, nil)
			other32 := newOptimParam(t, graph.NewScope(graph.Float32), "a", []int{2}, nil)

			cases := []struct {
				name   string
				params []*graph.Param
				lr     float64
				want   string
			}{
				{"duplicate", []*graph.Param{a, a}, 0.1, `param "a" appears more than once`},
				{"nil", []*graph.Param{a, nil}, 0.1, "params[1] is nil"},
				{"negative-lr", []*graph.Param{a}, -0.1, "learning rate = -0.1"},
				{"nan-lr", []*graph.Param{a}, math.NaN(), "learning rate = NaN"},
				{"reused-name-shape", []*graph.Param{other}, 0.1, `param "a" is float64 [3], but its optimizer state is float64 [2]`},
				{"reused-name-dtype", []*graph.Param{other32}, 0.1, `param "a" is float32 [2], but its optimizer state is float64 [2]`},
			}
			opt, err := oc.cfg.NewOptimizer()
			if err != nil {
				t.Fatal(err)
			}
			lr := opt.LR()
			if err := opt.Step([]*graph.Param{a}); err != nil { // a's state now has shape (2)
				t.Fatal(err)
			}
			for _, c := range cases {
				before := optimValues(a)
				opt.SetLR(c.lr)
				err := opt.Step(c.params)
				opt.SetLR(lr)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: Step error = %v, want it to contain %q", c.name, err, c.want)
				}
				if got := optimValues(a); fmt.Sprint(got) != fmt.Sprint(before) {
					t.Errorf("%s: failed Step changed a from %v to %v", c.name, before, got)
				}
			}
			// The optimizer still works after the errors.
			if err := opt.Step([]*graph.Param{a}); err != nil {
				t.Errorf("Step after errors: %v", err)
			}
		})
	}
}

// TestOptimizerSkipsFrozen checks that params that are not trainable (frozen weights,
// state such as running statistics) are left alone and need no gradient.
func TestOptimizerSkipsFrozen(t *testing.T) {
	for _, oc := range optimConfigs {
		t.Run(oc.name, func(t *testing.T) {
			s := graph.NewScope(graph.Float32, graph.Seed(1))
			frozen := newOptimParam(t, s, "frozen", []int{2}, []float64{1, 2})
			setOptimGrad(t, frozen, []float64{1, 1})
			if err := frozen.SetTrainable(false); err != nil {
				t.Fatal(err)
			}
			stats, err := s.Param("stats", graph.State, []int{2}, graph.Constant{Value: 3})
			if err != nil {
				t.Fatal(err)
			}
			live := newOptimParam(t, s, "live", []int{2}, []float64{1, 2})
			setOptimGrad(t, live, []float64{1, 1})
			opt, err := oc.cfg.NewOptimizer()
			if err != nil {
				t.Fatal(err)
			}
			if err := opt.Step([]*graph.Param{frozen, stats, live}); err != nil {
				t.Fatal(err)
			}
			if got := frozen.Float32s(); got[0] != 1 || got[1] != 2 {
				t.Errorf("frozen param changed to %v", got)
			}
			if got := stats.Float32s(); got[0] != 3 || got[1] != 3 {
				t.Errorf("state param changed to %v", got)
			}
			if got := live.Float32s(); got[0] >= 1 || got[1] >= 2 {
				t.Errorf("trainable param = %v, want it to decrease from [1 2] (gradient 1)", got)
			}
		})
	}
}

// TestOptimizerStepAllocs checks that Step allocates nothing once it has seen the
// params, for both dtypes.
func TestOptimizerStepAllocs(t *testing.T) {
	for _, oc := range optimConfigs {
		for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
			t.Run(fmt.Sprintf("%s/%v", oc.name, dt), func(t *testing.T) {
				s := graph.NewScope(dt, graph.Seed(1))
				var params []*graph.Param
				for i, shape := range [][]int{{16, 8}, {8}, {4, 3, 2}} {
					p := newOptimParam(t, s, fmt.Sprintf("p%d", i), shape, nil)
					g := make([]float64, p.Size())
					for j := range g {
						g[j] = optimGrad(1, j, float64(i))
					}
					setOptimGrad(t, p, g)
					params = append(params, p)
				}
				opt, err := oc.cfg.NewOptimizer()
				if err != nil {
					t.Fatal(err)
				}
				if err := opt.Step(params); err != nil { // the first Step allocates the state
					t.Fatal(err)
				}
				allocs := testing.AllocsPerRun(100, func() {
					if err := opt.Step(params); err != nil {
						t.Fatal(err)
					}
				})
				if allocs != 0 {
					t.Errorf("Step allocates %v times per call after the first, want 0", allocs)
				}
			})
		}
	}
}

// BenchmarkOptimizerStep measures one Step over 1M float32 elements.
func BenchmarkOptimizerStep(b *testing.B) {
	for _, oc := range optimConfigs {
		b.Run(oc.name, func(b *testing.B) {
			s := graph.NewScope(graph.Float32, graph.Seed(1))
			p := newOptimParam(b, s, "w", []int{1024, 1024}, nil)
			g := make([]float64, p.Size())
			for j := range g {
				g[j] = optimGrad(1, j, 0)
			}
			setOptimGrad(b, p, g)
			opt, err := oc.cfg.NewOptimizer()
			if err != nil {
				b.Fatal(err)
			}
			params := []*graph.Param{p}
			if err := opt.Step(params); err != nil { // allocate the state outside the timing
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(4 * p.Size()))
			for b.Loop() {
				if err := opt.Step(params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
