package optim_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
)

// TestOptimizerStateKeyedByName checks that state follows a param's name, not its
// position: stepping the params in a different order each step, and adding a param
// after a few steps, gives the same values, bit for bit, as a fixed order.
func TestOptimizerStateKeyedByName(t *testing.T) {
	for _, oc := range optimConfigs {
		t.Run(oc.name, func(t *testing.T) {
			shapes := map[string][]int{"a": {3}, "b": {2, 2}, "c": {3}}
			build := func() (map[string]*graph.Param, optim.Optimizer) {
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
					opt   optim.Optimizer
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
