package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// cycleSource is a rand.Source that repeats a fixed sequence. Dropout draws one
// Uint64 per element per run, so a cycle of the input's size gives the same mask at
// every run: what CheckGrad needs (it runs the graph twice per element).
type cycleSource struct {
	vals []uint64
	i    int
}

func (c *cycleSource) Uint64() uint64 {
	v := c.vals[c.i%len(c.vals)]
	c.i++
	return v
}

func newCycleRand(seed uint64, n int) *rand.Rand {
	r := rand.New(rand.NewPCG(seed, 3))
	c := &cycleSource{vals: make([]uint64, n)}
	for i := range c.vals {
		c.vals[i] = r.Uint64()
	}
	return rand.New(c)
}

func TestDropoutGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, shape := range [][]int{nil, {1}, {8}, {5, 1}, {1, 6}, {3, 4}, {2, 3, 2}} {
			for _, p := range []float64{0.25, 0.5, 0.9} {
				t.Run(fmt.Sprintf("%v/%v/p%g", dt, shape, p), func(t *testing.T) {
					checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
						g := gorgonia.NewGraph()
						x := newInput(g, dt, "x", shape, uniform(2, size(shape), -2, 2))
						y, err := Dropout(x, p, newCycleRand(1, size(shape)))
						return y, []*gorgonia.Node{x}, err
					})
				})
			}
		}
	}
}

// dropoutRuns builds y = Dropout(x, p, rng) with dx = d Sum(y)/dx and returns the
// values of x, y and dx over several runs of one machine.
func dropoutRuns(t *testing.T, dt tensor.Dtype, x []float64, p float64, rng *rand.Rand, runs int) (ys, dxs [][]float64) {
	t.Helper()
	g := gorgonia.NewGraph()
	xn := newInput(g, dt, "x", []int{len(x)}, x)
	y, err := Dropout(xn, p, rng)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gorgonia.Sum(y)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := gorgonia.Grad(s, xn)
	if err != nil {
		t.Fatal(err)
	}
	var yv, dv gorgonia.Value
	gorgonia.Read(y, &yv)
	gorgonia.Read(grads[0], &dv)
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	for range runs {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		yf, err := toFloat64s(yv)
		if err != nil {
			t.Fatal(err)
		}
		df, err := toFloat64s(dv)
		if err != nil {
			t.Fatal(err)
		}
		ys, dxs = append(ys, yf), append(dxs, df)
	}
	return ys, dxs
}

// TestDropoutMask checks the mask's statistics and scale, that the gradient is
// mask/(1-p) with the forward's mask, that each run draws a new mask, and that a
// generator with the same seed draws the same sequence of masks.
func TestDropoutMask(t *testing.T) {
	const n = 20000
	x := uniform(4, n, 0.5, 2) // no zeros: y = 0 exactly where dropped
	for _, dt := range dtypes {
		for _, p := range []float64{0.1, 0.5, 0.8} {
			t.Run(fmt.Sprintf("%v/p%g", dt, p), func(t *testing.T) {
				ys, dxs := dropoutRuns(t, dt, x, p, rand.New(rand.NewPCG(7, 7)), 3)
				keep := 1 / (1 - p)
				if dt == tensor.Float32 {
					keep = float64(float32(keep))
				}
				for r := range ys {
					dropped := 0
					for i, y := range ys[r] {
						d := dxs[r][i]
						switch {
						case y == 0 && d == 0:
							dropped++
						case y != 0 && d == keep:
						default:
							t.Fatalf("run %d element %d: x %g, y %g, dx %g; want y = 0 and dx = 0, or dx = 1/(1-p) = %g", r, i, x[i], y, d, keep)
						}
					}
					// The dropped fraction is binomial: within 5 standard deviations.
					if frac, sd := float64(dropped)/n, math.Sqrt(p*(1-p)/n); math.Abs(frac-p) > 5*sd {
						t.Errorf("run %d dropped %.4f of the elements, want %g ± %.4f", r, frac, p, 5*sd)
					}
				}
				if ok, _ := closeTo(ys[0], ys[1], 0, 0); ok {
					t.Errorf("runs 0 and 1 drew the same mask; want a new mask per run")
				}
				again, _ := dropoutRuns(t, dt, x, p, rand.New(rand.NewPCG(7, 7)), 3)
				for r := range ys {
					if ok, msg := closeTo(again[r], ys[r], 0, 0); !ok {
						t.Errorf("run %d with the same seed differs: %s", r, msg)
					}
				}
			})
		}
	}
}

// TestDropoutDistinct checks that two dropouts of one input with the same p and
// generator are two nodes with independent masks, and that p = 0 is the identity.
func TestDropoutDistinct(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var a, b, x *gorgonia.Node
	vals, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
		x = newInput(g, tensor.Float64, "x", []int{64}, uniform(1, 64, 1, 2))
		var err error
		if a, err = Dropout(x, 0.5, rng); err != nil {
			return nil, err
		}
		b, err = Dropout(x, 0.5, rng)
		return []*gorgonia.Node{a, b}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two Dropout calls gave one node")
	}
	if ok, _ := closeTo(vals[0], vals[1], 0, 0); ok {
		t.Errorf("two dropouts drew the same mask")
	}
	if id, err := Dropout(x, 0, rng); err != nil || id != x {
		t.Errorf("Dropout(x, 0) = %v, %v; want x itself", id, err)
	}
}

func TestDropoutErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{3}, make([]float64, 3))
	ints := gorgonia.NewVector(g, tensor.Int, gorgonia.WithShape(3), gorgonia.WithName("ints"))
	rng := rand.New(rand.NewPCG(1, 1))
	cases := []struct {
		name string
		x    *gorgonia.Node
		p    float64
		rng  *rand.Rand
		want string
	}{
		{"nil x", nil, 0.5, rng, "x is nil"},
		{"int dtype", ints, 0.5, rng, "want float32 or float64"},
		{"p = 1", x, 1, rng, "p = 1, want in [0, 1)"},
		{"negative p", x, -0.1, rng, "p = -0.1"},
		{"NaN p", x, math.NaN(), rng, "p = NaN"},
		{"nil rng", x, 0.5, nil, "nil rng"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if y, err := Dropout(c.x, c.p, c.rng); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Dropout = %v, %v; want an error saying %q", y, err, c.want)
			}
		})
	}
}
