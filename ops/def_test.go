package ops

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// cubeParams scales a cube: y = Scale·x³ + Shift.
type cubeParams struct{ Scale, Shift float64 }

// cubeDef and cubeGradDef are a test op written with the Def API: its backward is a
// second Def.
var (
	cubeGradDef = &Def[cubeParams]{
		Name:  "CubeGrad",
		Arity: 2,
		Shape: equalShapes2[cubeParams],
		Forward: func(p cubeParams, in []*tensor.Dense, out *tensor.Dense) error {
			zipInto(out, in[0], in[1], func(x, dy float64) float64 { return 3 * p.Scale * x * x * dy })
			return nil
		},
	}
	cubeDef = &Def[cubeParams]{
		Name:  "Cube",
		Arity: 1,
		Shape: func(_ cubeParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
		Forward: func(p cubeParams, in []*tensor.Dense, out *tensor.Dense) error {
			mapInto(out, in[0], func(x float64) float64 { return p.Scale*x*x*x + p.Shift })
			return nil
		},
		Backward: func(p cubeParams, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
			dx, err := cubeGradDef.Apply(p, in[0], dy)
			return []*gorgonia.Node{dx}, err
		},
	}
)

func equalShapes2[P any](_ P, in []tensor.Shape) (tensor.Shape, error) {
	return equalShapes(struct{}{}, in)
}

// mulDef is x·a for x of any shape and a scalar a, with a symbolic backward built from
// gorgonia's ops.
var mulDef = &Def[struct{}]{
	Name:  "ScalarMul",
	Arity: 2,
	Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) {
		if !in[1].IsScalar() {
			return nil, errors.Errorf("a has shape %v, want a scalar", in[1])
		}
		return in[0], nil
	},
	Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
		a := firstElem(in[1])
		mapInto(out, in[0], func(x float64) float64 { return x * a })
		return nil
	},
	Backward: func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
		dx, err := gorgonia.Mul(dy, in[1])
		if err != nil {
			return nil, err
		}
		xdy, err := gorgonia.HadamardProd(in[0], dy)
		if err != nil {
			return nil, err
		}
		da, err := gorgonia.Sum(xdy)
		return []*gorgonia.Node{dx, da}, err
	},
}

func TestDefGrad(t *testing.T) {
	shapes := [][]int{nil, {1}, {4}, {5, 1}, {1, 6}, {2, 3, 2}}
	for _, dt := range dtypes {
		for _, shape := range shapes {
			t.Run(fmt.Sprintf("cube/%v/%v", dt, shape), func(t *testing.T) {
				checkGradT(t, unary(dt, shape, func(x *gorgonia.Node) (*gorgonia.Node, error) {
					return cubeDef.Apply(cubeParams{Scale: 0.5, Shift: 1}, x)
				}))
			})
			t.Run(fmt.Sprintf("symbolic backward/%v/%v", dt, shape), func(t *testing.T) {
				checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					x := newInput(g, dt, "x", shape, uniform(4, max(size(shape), 1), -2, 2))
					a := newInput(g, dt, "a", nil, []float64{-1.5})
					y, err := mulDef.Apply(struct{}{}, x, a)
					return y, []*gorgonia.Node{x, a}, err
				})
			})
		}
	}
}

// keyParams has a field of every kind paramKey handles.
type keyParams struct {
	I      int
	F      float64
	F32    float32
	B      bool
	S      string
	Sl     []int
	A      [2]int
	M      map[string]int
	Ptr    *rand.Rand
	Any    any
	Nested struct{ X float64 }
	hidden int
}

// TestDefHashCoversEveryField applies one Def to one input with parameters that
// differ from a base in one field each: every pair must be two nodes, and equal
// parameters one node.
func TestDefHashCoversEveryField(t *testing.T) {
	r1, r2 := rand.New(rand.NewPCG(1, 1)), rand.New(rand.NewPCG(1, 1))
	base := keyParams{I: 1, F: 1e-5, F32: 0.1, S: "a", Sl: []int{1}, M: map[string]int{"a": 1, "b": 2}, Ptr: r1, Any: 1}
	variants := map[string]func(p *keyParams){
		"I":                 func(p *keyParams) { p.I = 2 },
		"F 1e-5 vs 1.1e-5":  func(p *keyParams) { p.F = 1.1e-5 }, // gorgonia's %1.1f prints both as 0.0
		"F32":               func(p *keyParams) { p.F32 = 0.1 + 1e-7 },
		"B":                 func(p *keyParams) { p.B = true },
		"S":                 func(p *keyParams) { p.S = "b" },
		"Sl value":          func(p *keyParams) { p.Sl = []int{2} },
		"Sl nil":            func(p *keyParams) { p.Sl = nil },
		"A":                 func(p *keyParams) { p.A = [2]int{0, 1} },
		"M":                 func(p *keyParams) { p.M = map[string]int{"a": 1, "b": 3} },
		"Ptr equal state":   func(p *keyParams) { p.Ptr = r2 },
		"Any type":          func(p *keyParams) { p.Any = 1.0 },
		"Nested":            func(p *keyParams) { p.Nested.X = 1 },
		"hidden unexported": func(p *keyParams) { p.hidden = 1 },
	}
	def := &Def[keyParams]{
		Name: "Key", Arity: 1,
		Shape: func(_ keyParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
		Forward: func(_ keyParams, in []*tensor.Dense, out *tensor.Dense) error {
			mapInto(out, in[0], func(x float64) float64 { return x })
			return nil
		},
	}
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2}, []float64{1, 2})
	a, err := def.Apply(base, x)
	if err != nil {
		t.Fatal(err)
	}
	same := base
	same.M = map[string]int{"b": 2, "a": 1} // equal map, other insertion order
	if b, err := def.Apply(same, x); err != nil || b != a {
		t.Errorf("equal params: nodes %p and %p (err %v), want one node", a, b, err)
	}
	for name, change := range variants {
		p := base
		change(&p)
		b, err := def.Apply(p, x)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b == a {
			t.Errorf("params differing in %s merged into one node %v", name, a.Op())
		}
	}
	// Two Defs with one name and equal params are two ops.
	twin := *def
	b, err := twin.Apply(base, x)
	if err != nil || b == a {
		t.Errorf("two Defs named %q merged (err %v)", def.Name, err)
	}
}

func TestDefStringPrintsEveryField(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2}, []float64{1, 2})
	y, err := cubeDef.Apply(cubeParams{Scale: 2, Shift: 1e-7}, x)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(y.Op()), "ops.Cube{Scale=2, Shift=1e-07}"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

type funcParams struct{ F func() }

func TestDefBuildErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2, 3}, make([]float64, 6))
	x32 := newInput(g, tensor.Float32, "x32", []int{2, 3}, make([]float64, 6))
	ints := gorgonia.NewMatrix(g, tensor.Int, gorgonia.WithShape(2, 2), gorgonia.WithName("ints"))
	ok := *cubeDef
	noShape, noForward, noName, badArity, badNoGrad := ok, ok, ok, ok, ok
	noShape.Shape, noForward.Forward, noName.Name, badArity.Arity, badNoGrad.NoGrad = nil, nil, "", 0, []int{1}
	shapeErr, shapePanic, zeroDim := ok, ok, ok
	shapeErr.Shape = func(cubeParams, []tensor.Shape) (tensor.Shape, error) { return nil, errors.New("no good") }
	shapePanic.Shape = func(_ cubeParams, in []tensor.Shape) (tensor.Shape, error) { return in[5], nil }
	zeroDim.Shape = func(cubeParams, []tensor.Shape) (tensor.Shape, error) { return tensor.Shape{2, 0}, nil }
	funcDef := &Def[funcParams]{Name: "Func", Arity: 1,
		Shape:   func(_ funcParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
		Forward: func(funcParams, []*tensor.Dense, *tensor.Dense) error { return nil }}
	var nilDef *Def[cubeParams]
	cases := []struct {
		name  string
		apply func() (*gorgonia.Node, error)
		want  string
	}{
		{"nil Def", func() (*gorgonia.Node, error) { return nilDef.Apply(cubeParams{}, x) }, "nil Def"},
		{"no Shape", func() (*gorgonia.Node, error) { return noShape.Apply(cubeParams{}, x) }, "no Shape rule"},
		{"no Forward", func() (*gorgonia.Node, error) { return noForward.Apply(cubeParams{}, x) }, "no Forward"},
		{"no Name", func() (*gorgonia.Node, error) { return noName.Apply(cubeParams{}, x) }, "no Name"},
		{"arity 0", func() (*gorgonia.Node, error) { return badArity.Apply(cubeParams{}, x) }, "Arity 0"},
		{"NoGrad out of range", func() (*gorgonia.Node, error) { return badNoGrad.Apply(cubeParams{}, x) }, "NoGrad input 1 out of range"},
		{"too many inputs", func() (*gorgonia.Node, error) { return cubeDef.Apply(cubeParams{}, x, x) }, "got 2 inputs, want 1"},
		{"no inputs", func() (*gorgonia.Node, error) { return cubeDef.Apply(cubeParams{}) }, "got 0 inputs, want 1"},
		{"nil input", func() (*gorgonia.Node, error) { return cubeDef.Apply(cubeParams{}, nil) }, "input 0 is nil"},
		{"int dtype", func() (*gorgonia.Node, error) { return cubeDef.Apply(cubeParams{}, ints) }, "want float32 or float64"},
		{"mixed dtypes", func() (*gorgonia.Node, error) { return cubeGradDef.Apply(cubeParams{}, x, x32) }, "want the same"},
		{"Shape error", func() (*gorgonia.Node, error) { return shapeErr.Apply(cubeParams{}, x) }, "no good"},
		{"Shape panic", func() (*gorgonia.Node, error) { return shapePanic.Apply(cubeParams{}, x) }, "panic"},
		{"zero dimension", func() (*gorgonia.Node, error) { return zeroDim.Apply(cubeParams{}, x) }, "want every dimension > 0"},
		{"func param", func() (*gorgonia.Node, error) { return funcDef.Apply(funcParams{F: func() {}}, x) }, "P.F is a func()"},
		{"shape mismatch", func() (*gorgonia.Node, error) {
			y := newInput(g, tensor.Float64, "y", []int{3, 2}, make([]float64, 6))
			return cubeGradDef.Apply(cubeParams{}, x, y)
		}, "input 1 has shape (3, 2), input 0 (2, 3)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := c.apply()
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "ops: ") {
				t.Fatalf("Apply = %v, %v; want an error saying %q", n, err, c.want)
			}
		})
	}
}

// TestDefRunErrors checks that failures inside the kernel, including panics, come
// back as errors from the run (a panic in Do would crash the test binary).
func TestDefRunErrors(t *testing.T) {
	ok := *cubeDef
	fwdErr, fwdPanic := ok, ok
	fwdErr.Forward = func(cubeParams, []*tensor.Dense, *tensor.Dense) error { return errors.New("kernel failed") }
	fwdPanic.Forward = func(_ cubeParams, in []*tensor.Dense, _ *tensor.Dense) error { _ = in[3]; return nil }
	cases := []struct {
		name string
		def  *Def[cubeParams]
		want string
	}{
		{"Forward error", &fwdErr, "kernel failed"},
		{"Forward panic", &fwdPanic, "panic"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
				x := newInput(g, tensor.Float64, "x", []int{2, 2}, []float64{1, 2, 3, 4})
				y, err := c.def.Apply(cubeParams{}, x)
				return []*gorgonia.Node{y}, err
			})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("run: %v; want an error saying %q", err, c.want)
			}
		})
	}

	// gorgonia checks the shapes of bound values itself; the op checks again, in case
	// a value reaches Do another way.
	t.Run("input shape changed", func(t *testing.T) {
		g := gorgonia.NewGraph()
		x := newInput(g, tensor.Float64, "x", []int{2, 2}, []float64{1, 2, 3, 4})
		y, err := cubeDef.Apply(cubeParams{}, x)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range [][]gorgonia.Value{
			{newDense(tensor.Float64, []int{4}, []float64{1, 2, 3, 4})},
			{newDense(tensor.Float32, []int{2, 2}, []float64{1, 2, 3, 4})},
			{gorgonia.NewF64(1)},
			{},
		} {
			if v, err := y.Op().Do(in...); err == nil {
				t.Errorf("Do(%v) = %v, want an error", in, v)
			}
		}
	})
}

// TestDefBackwardErrors checks the gradients a Backward returns.
func TestDefBackwardErrors(t *testing.T) {
	ok := *cubeDef
	tooFew, nilGrad, badShape, fails, noBackward := ok, ok, ok, ok, ok
	tooFew.Backward = func(cubeParams, []*gorgonia.Node, *gorgonia.Node, *gorgonia.Node) ([]*gorgonia.Node, error) {
		return nil, nil
	}
	nilGrad.Backward = func(cubeParams, []*gorgonia.Node, *gorgonia.Node, *gorgonia.Node) ([]*gorgonia.Node, error) {
		return []*gorgonia.Node{nil}, nil
	}
	badShape.Backward = func(_ cubeParams, in []*gorgonia.Node, _, _ *gorgonia.Node) ([]*gorgonia.Node, error) {
		s, err := gorgonia.Sum(in[0])
		return []*gorgonia.Node{s}, err
	}
	fails.Backward = func(cubeParams, []*gorgonia.Node, *gorgonia.Node, *gorgonia.Node) ([]*gorgonia.Node, error) {
		return nil, errors.New("cannot")
	}
	noBackward.Backward = nil
	cases := []struct {
		name string
		def  *Def[cubeParams]
		want string
	}{
		{"too few gradients", &tooFew, "returned 0 gradients, want 1"},
		{"nil gradient", &nilGrad, "no gradient for input 0"},
		{"wrong shape", &badShape, "gradient of input 0 is () float64, want (2, 2) float64"},
		{"Backward error", &fails, "cannot"},
		{"no Backward", &noBackward, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := gorgonia.NewGraph()
			x := newInput(g, tensor.Float64, "x", []int{2, 2}, []float64{1, 2, 3, 4})
			y, err := c.def.Apply(cubeParams{}, x)
			if err != nil {
				t.Fatal(err)
			}
			_, err = CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) { return y, []*gorgonia.Node{x}, nil }, CheckConfig{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CheckGrad: %v; want an error saying %q", err, c.want)
			}
		})
	}
}

// TestDefVariadic checks an op whose number of inputs varies by application.
func TestDefVariadic(t *testing.T) {
	sum := &Def[struct{}]{
		Name: "SumAll", Arity: Variadic, Shape: equalShapes,
		Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
			mapInto(out, in[0], func(x float64) float64 { return x })
			for _, x := range in[1:] {
				zipInto(out, out, x, func(a, b float64) float64 { return a + b })
			}
			return nil
		},
		Backward: func(_ struct{}, in []*gorgonia.Node, _, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
			gs := make([]*gorgonia.Node, len(in))
			for i := range gs {
				gs[i] = dy
			}
			return gs, nil
		},
	}
	for _, dt := range dtypes {
		for n := 1; n <= 3; n++ {
			t.Run(fmt.Sprintf("%v/%d inputs", dt, n), func(t *testing.T) {
				checkGradT(t, func() (*gorgonia.Node, []*gorgonia.Node, error) {
					g := gorgonia.NewGraph()
					var in []*gorgonia.Node
					for i := range n {
						in = append(in, newInput(g, dt, fmt.Sprint("x", i), []int{2, 3}, uniform(uint64(i), 6, -1, 1)))
					}
					y, err := sum.Apply(struct{}{}, in...)
					return y, in, err
				})
			})
		}
	}
}

// TestDefOf checks that Def.Of recognises the nodes of its own Def only, and returns
// their parameters and inputs in order.
func TestDefOf(t *testing.T) {
	g := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("x"))
	dy := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("dy"))
	p := cubeParams{Scale: 2, Shift: 1}
	y, err := cubeDef.Apply(p, x)
	if err != nil {
		t.Fatal(err)
	}
	dx, err := cubeGradDef.Apply(p, x, dy)
	if err != nil {
		t.Fatal(err)
	}
	if got, in, ok := cubeGradDef.Of(dx); !ok || got != p || len(in) != 2 || in[0] != x || in[1] != dy {
		t.Errorf("cubeGradDef.Of(dx) = %v, %v, %t, want %v, [x dy], true", got, in, ok, p)
	}
	if got, in, ok := cubeDef.Of(y); !ok || got != p || len(in) != 1 || in[0] != x {
		t.Errorf("cubeDef.Of(y) = %v, %v, %t, want %v, [x], true", got, in, ok, p)
	}
	for _, n := range []*gorgonia.Node{y, x, nil} {
		if _, _, ok := cubeGradDef.Of(n); ok {
			t.Errorf("cubeGradDef.Of(%v) = true, want false", n)
		}
	}
}

// TestDefMutates: an input a Forward updates in place must be in NoGrad, and a view
// bound to it fails the run (the update would go to a copy).
func TestDefMutates(t *testing.T) {
	bump := &Def[struct{}]{
		Name: "Bump", Arity: 2, NoGrad: []int{1}, Mutates: []int{1},
		Shape: func(_ struct{}, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
		Forward: func(_ struct{}, in []*tensor.Dense, out *tensor.Dense) error {
			copy(out.Float64s(), in[0].Float64s())
			in[1].Float64s()[0]++
			return nil
		},
	}
	bad := *bump
	bad.NoGrad = nil
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2}, []float64{1, 2})
	if _, err := bad.Apply(struct{}{}, x, x); err == nil || !strings.Contains(err.Error(), "not in NoGrad") {
		t.Fatalf("Mutates outside NoGrad: %v, want an error", err)
	}
	counter := newDense(tensor.Float64, []int{2}, []float64{0, 0})
	for _, view := range []bool{false, true} {
		_, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
			x := newInput(g, tensor.Float64, "x", []int{2}, []float64{1, 2})
			v := counter
			if view {
				s, err := newDense(tensor.Float64, []int{4}, []float64{0, 0, 0, 0}).Slice(tensor.S(0, 4, 2))
				if err != nil {
					return nil, err
				}
				v = s.(*tensor.Dense)
			}
			c := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(2), gorgonia.WithName("c"), gorgonia.WithValue(v))
			y, err := bump.Apply(struct{}{}, x, c)
			return []*gorgonia.Node{y}, err
		})
		if view {
			if err == nil || !strings.Contains(err.Error(), "is a view") {
				t.Errorf("view: %v, want an error", err)
			}
		} else if err != nil || counter.Float64s()[0] != 1 {
			t.Errorf("contiguous: %v, counter %v, want nil and 1", err, counter.Float64s())
		}
	}
}
