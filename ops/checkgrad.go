package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"unsafe"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CheckConfig configures CheckGrad. The zero value uses the defaults below, chosen by
// dtype: float32 when the output or any input is float32, float64 otherwise.
type CheckConfig struct {
	// Eps is the finite-difference step added to and subtracted from each input
	// element. 0 means 1e-6 for float64 and 1e-2 for float32. The float32 step is large
	// because the rounding of the output (relative 6e-8) is divided by 2*Eps, while the
	// truncation error of central differences only grows as Eps².
	Eps float64

	// RTol and ATol are the tolerances: an element passes when
	//
	//	|analytic - numeric| <= ATol + RTol * max(|analytic|, |numeric|)
	//
	// 0 means RTol 1e-6, ATol 1e-8 for float64 and RTol 1e-2, ATol 2e-3 for float32:
	// in this package's tests the worst element of a correct op is about 20 times
	// inside them in float64 and 100 times in float32, while a gradient 10% off fails
	// in float32 and one 0.01% off fails in float64.
	RTol, ATol float64

	// Seed seeds the random weights R that the output is multiplied by (see
	// CheckGrad). The default is 0.
	Seed uint64
}

// The defaults of CheckConfig.
const (
	DefaultEps64  = 1e-6
	DefaultRTol64 = 1e-6
	DefaultATol64 = 1e-8
	DefaultEps32  = 1e-2
	DefaultRTol32 = 1e-2
	DefaultATol32 = 2e-3
)

// GradElement is one element of one input whose analytic gradient was compared with
// its finite-difference estimate.
type GradElement struct {
	Input    int     // index of the input in the wrt slice
	Name     string  // the input node's name
	Index    int     // flat (row-major) index of the element in the input
	Analytic float64 // gradient computed by gorgonia.Grad
	Numeric  float64 // central finite difference
	AbsErr   float64 // |Analytic - Numeric|
	RelErr   float64 // AbsErr / max(|Analytic|, |Numeric|); 0 when both are 0
}

// GradReport is the result of CheckGrad.
type GradReport struct {
	// Worst is the element whose error is largest compared with its tolerance
	// (AbsErr / (ATol + RTol*max(|Analytic|, |Numeric|))); a non-finite gradient is
	// always the worst.
	Worst GradElement
	// Checked is the number of input elements compared.
	Checked int
	// Config is the configuration used, defaults filled in.
	Config CheckConfig
	// Passed reports whether every element is within tolerance.
	Passed bool
}

// String describes the worst element in one line.
func (r *GradReport) String() string {
	w := r.Worst
	verdict := "ok"
	if !r.Passed {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s: input %d %q element %d: analytic %.6g, numeric %.6g, abs err %.3g, rel err %.3g (rtol %g, atol %g, eps %g; %d elements checked)",
		verdict, w.Input, w.Name, w.Index, w.Analytic, w.Numeric, w.AbsErr, w.RelErr,
		r.Config.RTol, r.Config.ATol, r.Config.Eps, r.Checked)
}

// CheckGrad compares the symbolic gradient of an op or a layer with central finite
// differences. It is the first thing to run on a new op.
//
// build constructs a graph and returns its output node out (any shape) and the nodes
// to differentiate, wrt. Each wrt node must be an input node (no op) of out's graph
// with a bound value (gorgonia.WithValue or gorgonia.Let): a *tensor.Dense, or a
// *gorgonia.F64 or *gorgonia.F32 for a scalar (as graph binds scalar Params). The
// value may be owned elsewhere (a gradflow Param binds its tensor by reference): CheckGrad
// perturbs it in place and restores it bit for bit before returning, on success, on
// error and on panic. build is called once; the graph is consumed (CheckGrad adds
// nodes to it and compiles its own TapeMachine), so build a fresh graph each time.
//
// The output is weighted by a fixed random tensor R of out's shape, uniform in
// [-1, 1) and seeded by cfg.Seed, and reduced to loss = Sum(out * R). The weighting
// matters: the plain sum of a softmax is always 1, so its gradient is 0 whatever the
// op's backward says. CheckGrad differentiates loss with gorgonia.Grad, runs a
// gorgonia TapeMachine, and then for every element x of every wrt tensor computes
// (loss(x+Eps) - loss(x-Eps)) / (2*Eps), with loss summed in float64 from the output
// values (float32 outputs too; the step actually taken after rounding x±Eps to
// float32 is used). Randomness inside the graph (dropout) must be fixed across runs
// or the differences are noise.
//
// The report is returned whenever the gradients could be computed. The error is
// non-nil when build fails, the graph cannot be differentiated or run, an analytic or
// numeric gradient is NaN or infinite, or any element is out of tolerance; it then
// names the worst element in one line. CheckGrad does not panic: panics while building,
// differentiating and compiling are returned as errors. One exception is out of its
// reach: gorgonia's TapeMachine runs ops in a goroutine of its own, so an op whose Do
// panics (rather than returning an error) crashes the program.
func CheckGrad(build func() (out *gorgonia.Node, wrt []*gorgonia.Node, err error), cfg CheckConfig) (rep *GradReport, err error) {
	defer recoverInto(&err, "ops: CheckGrad")
	if build == nil {
		return nil, errors.New("ops: CheckGrad: nil build function")
	}
	out, wrt, err := callBuild(build)
	if err != nil {
		return nil, err
	}
	ins, err := checkWRT(out, wrt)
	if err != nil {
		return nil, err
	}
	// Save every input first, so that the deferred restore is exact whatever fails.
	defer func() {
		for _, in := range ins {
			in.restore()
		}
	}()
	if cfg, err = cfg.withDefaults(out, ins); err != nil {
		return nil, err
	}

	c, err := newChecker(out, wrt, cfg.Seed)
	if err != nil {
		return nil, err
	}
	defer c.vm.Close()

	// Analytic gradients at the unperturbed point.
	if _, err := c.run(); err != nil {
		return nil, err
	}
	analytic := make([][]float64, len(ins))
	for i, gv := range c.gradVals {
		g, err := toFloat64s(gv)
		if err != nil {
			return nil, errors.Wrapf(err, "ops: CheckGrad: gradient of input %d %q", i, ins[i].name)
		}
		if len(g) != ins[i].size() {
			return nil, errors.Errorf("ops: CheckGrad: gradient of input %d %q has %d elements, want %d", i, ins[i].name, len(g), ins[i].size())
		}
		analytic[i] = g
	}

	rep = &GradReport{Config: cfg, Passed: true}
	worst := -1.0
	for i, in := range ins {
		for j := 0; j < in.size(); j++ {
			num, err := c.numeric(in, j, cfg.Eps)
			if err != nil {
				return nil, errors.Wrapf(err, "ops: CheckGrad: input %d %q element %d", i, in.name, j)
			}
			e := compare(analytic[i][j], num)
			e.Input, e.Name, e.Index = i, in.name, j
			score := e.AbsErr / (cfg.ATol + cfg.RTol*math.Max(math.Abs(e.Analytic), math.Abs(e.Numeric)))
			if !isFinite(e.Analytic) || !isFinite(e.Numeric) || math.IsNaN(score) {
				score = math.Inf(1)
			}
			if score > 1 {
				rep.Passed = false
			}
			if score > worst {
				worst, rep.Worst = score, e
			}
			rep.Checked++
		}
	}
	if !rep.Passed {
		what := "gradient mismatch"
		if !isFinite(rep.Worst.Analytic) || !isFinite(rep.Worst.Numeric) {
			what = "gradient not finite"
		}
		return rep, errors.Errorf("ops: CheckGrad: %s: %v", what, rep)
	}
	return rep, nil
}

// callBuild calls build, turning a panic into an error.
func callBuild(build func() (*gorgonia.Node, []*gorgonia.Node, error)) (out *gorgonia.Node, wrt []*gorgonia.Node, err error) {
	defer recoverInto(&err, "ops: CheckGrad: build")
	out, wrt, err = build()
	if err != nil {
		return nil, nil, errors.Wrap(err, "ops: CheckGrad: build")
	}
	return out, wrt, nil
}

// input is a wrt node's value tensor and a copy of its original data.
type input struct {
	name string
	f64  []float64 // exactly one of f64, f32 is set: the live backing slice
	f32  []float32
	orig []float64 // float32 values convert to float64 and back exactly
}

func (in *input) size() int { return max(len(in.f64), len(in.f32)) }

func (in *input) get(j int) float64 {
	if in.f64 != nil {
		return in.f64[j]
	}
	return float64(in.f32[j])
}

// set stores v at j and returns the value actually stored (rounded for float32).
func (in *input) set(j int, v float64) float64 {
	if in.f64 != nil {
		in.f64[j] = v
		return v
	}
	in.f32[j] = float32(v)
	return float64(in.f32[j])
}

func (in *input) restore() {
	for j, v := range in.orig {
		in.set(j, v)
	}
}

// checkWRT validates out and wrt and returns the inputs with their data saved.
func checkWRT(out *gorgonia.Node, wrt []*gorgonia.Node) ([]*input, error) {
	if out == nil {
		return nil, errors.New("ops: CheckGrad: build returned a nil output")
	}
	if len(wrt) == 0 {
		return nil, errors.New("ops: CheckGrad: build returned no wrt nodes")
	}
	if dt := out.Dtype(); dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, errors.Errorf("ops: CheckGrad: output has dtype %v, want float32 or float64", dt)
	}
	ins := make([]*input, len(wrt))
	for i, n := range wrt {
		if n == nil {
			return nil, errors.Errorf("ops: CheckGrad: wrt node %d is nil", i)
		}
		if n.Graph() != out.Graph() {
			return nil, errors.Errorf("ops: CheckGrad: wrt node %d %q is not in the output's graph", i, n.Name())
		}
		if n.Op() != nil {
			return nil, errors.Errorf("ops: CheckGrad: wrt node %d %q is the result of op %v, want an input node", i, n.Name(), n.Op())
		}
		for k := range i {
			if wrt[k] == n {
				return nil, errors.Errorf("ops: CheckGrad: wrt node %d %q is also wrt node %d", i, n.Name(), k)
			}
		}
		in := &input{name: n.Name()}
		switch v := n.Value().(type) {
		case *gorgonia.F64: // a scalar bound by reference, as graph binds scalar Params
			if v != nil {
				in.f64 = unsafe.Slice((*float64)(v), 1)
			}
		case *gorgonia.F32:
			if v != nil {
				in.f32 = unsafe.Slice((*float32)(v), 1)
			}
		case *tensor.Dense:
			if v == nil {
				break
			}
			if v.IsMaterializable() {
				return nil, errors.Errorf("ops: CheckGrad: wrt node %d %q is bound to a view; bind a contiguous tensor", i, n.Name())
			}
			switch data := v.Data().(type) {
			case []float64:
				in.f64 = data[:v.Size()]
			case []float32:
				in.f32 = data[:v.Size()]
			case float64, float32: // a 0-d tensor
				if v.Dtype() == tensor.Float64 {
					in.f64 = v.Float64s()[:1]
				} else {
					in.f32 = v.Float32s()[:1]
				}
			default:
				return nil, errors.Errorf("ops: CheckGrad: wrt node %d %q has dtype %v, want float32 or float64", i, n.Name(), v.Dtype())
			}
		}
		if in.size() == 0 {
			return nil, errors.Errorf("ops: CheckGrad: wrt node %d %q has value %T, want a bound *tensor.Dense (or a *gorgonia.F64 or *gorgonia.F32 scalar)", i, n.Name(), n.Value())
		}
		in.orig = make([]float64, in.size())
		for j := range in.orig {
			in.orig[j] = in.get(j)
		}
		ins[i] = in
	}
	return ins, nil
}

// withDefaults fills the zero fields of cfg and validates it.
func (cfg CheckConfig) withDefaults(out *gorgonia.Node, ins []*input) (CheckConfig, error) {
	f32 := out.Dtype() == tensor.Float32
	for _, in := range ins {
		f32 = f32 || in.f32 != nil
	}
	eps, rtol, atol := DefaultEps64, DefaultRTol64, DefaultATol64
	if f32 {
		eps, rtol, atol = DefaultEps32, DefaultRTol32, DefaultATol32
	}
	if cfg.Eps == 0 {
		cfg.Eps = eps
	}
	if cfg.RTol == 0 {
		cfg.RTol = rtol
	}
	if cfg.ATol == 0 {
		cfg.ATol = atol
	}
	if !(cfg.Eps > 0) || !(cfg.RTol >= 0) || !(cfg.ATol >= 0) || math.IsInf(cfg.Eps+cfg.RTol+cfg.ATol, 0) {
		return cfg, errors.Errorf("ops: CheckGrad: Eps %g, RTol %g, ATol %g: want finite Eps > 0, RTol >= 0, ATol >= 0", cfg.Eps, cfg.RTol, cfg.ATol)
	}
	return cfg, nil
}

// checker holds the compiled loss graph.
type checker struct {
	vm       gorgonia.VM
	outVal   gorgonia.Value
	gradVals []gorgonia.Value
	r        []float64 // the weights R, flat
}

// newChecker adds loss = Sum(out * R) and its gradients to out's graph and compiles
// it.
func newChecker(out *gorgonia.Node, wrt []*gorgonia.Node, seed uint64) (*checker, error) {
	g := out.Graph()
	dt := out.Dtype()
	shape := out.Shape()
	size := shape.TotalSize()
	if shape.IsScalar() {
		size = 1
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	c := &checker{r: make([]float64, size)}
	for i := range c.r {
		c.r[i] = 2*rng.Float64() - 1
		if dt == tensor.Float32 {
			c.r[i] = float64(float32(c.r[i]))
		}
	}

	// R is an input node whose name holds the seed and shape, so that two checks on
	// one graph never merge two different weightings into one node.
	name := fmt.Sprintf("ops.CheckGrad.R{seed=%d, shape=%v}", seed, shape)
	var rn *gorgonia.Node
	if shape.IsScalar() {
		rn = gorgonia.NewScalar(g, dt, gorgonia.WithName(name), gorgonia.WithValue(scalarOf(dt, c.r[0])))
	} else {
		var back any = c.r
		if dt == tensor.Float32 {
			r32 := make([]float32, size)
			for i, v := range c.r {
				r32[i] = float32(v)
			}
			back = r32
		}
		rt := tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(back))
		rn = gorgonia.NewTensor(g, dt, shape.Dims(), gorgonia.WithShape(shape.Clone()...), gorgonia.WithName(name), gorgonia.WithValue(rt))
	}

	var loss *gorgonia.Node
	var err error
	if shape.IsScalar() {
		loss, err = gorgonia.Mul(out, rn)
	} else {
		var prod *gorgonia.Node
		if prod, err = gorgonia.HadamardProd(out, rn); err == nil {
			loss, err = gorgonia.Sum(prod)
		}
	}
	if err != nil {
		return nil, errors.Wrap(err, "ops: CheckGrad: building Sum(out * R)")
	}
	grads, err := gorgonia.Grad(loss, wrt...)
	if err != nil {
		return nil, errors.Wrap(err, "ops: CheckGrad: differentiating")
	}
	c.gradVals = make([]gorgonia.Value, len(grads))
	for i, gn := range grads {
		gorgonia.Read(gn, &c.gradVals[i])
	}
	gorgonia.Read(out, &c.outVal)
	c.vm, err = newTapeMachine(g)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// newTapeMachine compiles g, turning gorgonia's panic on a compile error into an
// error.
func newTapeMachine(g *gorgonia.ExprGraph) (vm gorgonia.VM, err error) {
	defer recoverInto(&err, "ops: CheckGrad: compiling")
	prog, locs, err := gorgonia.Compile(g)
	if err != nil {
		return nil, errors.Wrap(err, "ops: CheckGrad: compiling")
	}
	return gorgonia.NewTapeMachine(g, gorgonia.WithPrecompiled(prog, locs)), nil
}

// run runs the graph once and returns loss = Sum(out * R) in float64.
func (c *checker) run() (loss float64, err error) {
	defer recoverInto(&err, "ops: CheckGrad: running")
	c.vm.Reset() // without Reset, RunAll after the first run does nothing
	defer c.vm.Reset()
	if err := c.vm.RunAll(); err != nil {
		return 0, errors.Wrap(err, "ops: CheckGrad: running")
	}
	out, err := toFloat64s(c.outVal)
	if err != nil {
		return 0, errors.Wrap(err, "ops: CheckGrad: output")
	}
	if len(out) != len(c.r) {
		return 0, errors.Errorf("ops: CheckGrad: output has %d elements, want %d", len(out), len(c.r))
	}
	for i, v := range out {
		loss += v * c.r[i]
	}
	return loss, nil
}

// numeric returns the central difference of the loss in element j of in.
func (c *checker) numeric(in *input, j int, eps float64) (float64, error) {
	x := in.orig[j]
	defer in.set(j, x)
	xp := in.set(j, x+eps)
	lp, err := c.run()
	if err != nil {
		return 0, err
	}
	xm := in.set(j, x-eps)
	lm, err := c.run()
	if err != nil {
		return 0, err
	}
	if xp == xm {
		return 0, errors.Errorf("step %g vanishes in the input's precision at %g; raise Eps", eps, x)
	}
	return (lp - lm) / (xp - xm), nil
}

// compare fills the error fields of a GradElement.
func compare(analytic, numeric float64) GradElement {
	e := GradElement{Analytic: analytic, Numeric: numeric, AbsErr: math.Abs(analytic - numeric)}
	if m := math.Max(math.Abs(analytic), math.Abs(numeric)); m > 0 || math.IsNaN(m) {
		e.RelErr = e.AbsErr / m
	}
	return e
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// toFloat64s copies the elements of v (a tensor or a scalar) into a new []float64.
func toFloat64s(v gorgonia.Value) ([]float64, error) {
	if v == nil {
		return nil, errors.New("no value (the node was not computed)")
	}
	if d, ok := v.(*tensor.Dense); ok && d.IsMaterializable() {
		if m, ok := d.Materialize().(*tensor.Dense); ok {
			v = m
		}
	}
	switch d := v.Data().(type) {
	case float64:
		return []float64{d}, nil
	case float32:
		return []float64{float64(d)}, nil
	case []float64:
		return append([]float64(nil), d[:v.Size()]...), nil
	case []float32:
		out := make([]float64, v.Size())
		for i := range out {
			out[i] = float64(d[i])
		}
		return out, nil
	}
	return nil, errors.Errorf("value holds %T, want float32 or float64", v.Data())
}
