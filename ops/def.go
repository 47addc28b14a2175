package ops

import (
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Variadic is the Def.Arity of an op that takes any number (at least one) of inputs;
// its Shape rule checks the count.
const Variadic = -1

// Def declares a differentiable op without writing gorgonia's twelve Op methods. Fill
// in a Def once (a package-level variable), then build nodes with Apply; nodes keep a
// pointer to their Def, so do not change it afterwards. A Def for
// y = k·x³ whose backward is a second Def:
//
//	type cubeParams struct{ K float64 }
//
//	var cubeGrad = &ops.Def[cubeParams]{ // (x, dy) -> 3k·x²·dy
//		Name: "CubeGrad", Arity: 2,
//		Shape: func(_ cubeParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
//		Forward: func(p cubeParams, in []*tensor.Dense, out *tensor.Dense) error {
//			x, dy, dx := in[0].Float64s(), in[1].Float64s(), out.Float64s() // float64 only, for brevity
//			for i := range x {
//				dx[i] = 3 * p.K * x[i] * x[i] * dy[i]
//			}
//			return nil
//		},
//	}
//
//	var cube = &ops.Def[cubeParams]{
//		Name: "Cube", Arity: 1,
//		Shape: func(_ cubeParams, in []tensor.Shape) (tensor.Shape, error) { return in[0], nil },
//		Forward: func(p cubeParams, in []*tensor.Dense, out *tensor.Dense) error { ... },
//		Backward: func(p cubeParams, in []*gorgonia.Node, out, dy *gorgonia.Node) ([]*gorgonia.Node, error) {
//			dx, err := cubeGrad.Apply(p, in[0], dy)
//			return []*gorgonia.Node{dx}, err
//		},
//	}
//
//	y, err := cube.Apply(cubeParams{K: 0.5}, x)
//
// (A Backward that applies its own Def, as a scaling op's would, must be assigned in
// an init function: Go rejects the initialisation cycle of a variable that refers to
// itself.)
//
// P holds the op's parameters (struct{} for none). Every field of P, exported or
// not, goes into the node's hash, so two applications with parameters that differ in
// any field are two nodes (gorgonia merges nodes whose op hashes are equal). Pass
// every setting through P, never through variables captured by Forward: a captured
// value is not hashed, and two ops differing only in it would silently merge. P may
// not contain funcs (closures cannot be compared); pointers are hashed by address.
// Two Defs never merge, even with the same Name.
//
// All inputs must have one dtype, float32 or float64; the output has it too. Apply
// checks the arity, the dtypes and the Shape rule while building; before each call of
// Forward the op checks the arity, dtype and shape of the values again. Every failure,
// a panic in Forward or Shape included, is returned as an error: the graph's run fails
// with it instead of crashing the program.
type Def[P any] struct {
	// Name names the op in errors, String and graph dumps ("ops.Name{params}").
	Name string

	// Arity is the number of inputs (>= 1), or Variadic.
	Arity int

	// NoGrad lists the inputs that get no gradient (integer ids, masks, shapes).
	// Backward's results for them are ignored.
	NoGrad []int

	// Mutates lists the inputs that Forward updates in place (BatchNorm's running
	// statistics), a subset of NoGrad. Forward gets the bound tensors themselves for
	// them, and the run fails if one is a view (it would update a copy).
	Mutates []int

	// Shape returns the output shape for the input shapes (an empty shape is a
	// scalar), or an error saying what it wants. Required. in holds copies. It is
	// called while building, and again by gorgonia.
	Shape func(p P, in []tensor.Shape) (tensor.Shape, error)

	// Forward computes the output from the input values into out. Required. Inputs
	// are contiguous *tensor.Dense of the shapes given to Shape (a scalar is a 0-d
	// Dense: read it with Float64s()[0]); out has the shape Shape returned and the
	// inputs' dtype. out's memory belongs to the node and is kept from one run of the
	// machine to the next (gorgonia's tape drops every intermediate value before a run,
	// so a new tensor per run would be allocated and zeroed afresh): it holds the
	// previous run's values, so Forward must write every element. Forward must not
	// modify its inputs, except those in Mutates.
	Forward func(p P, in []*tensor.Dense, out *tensor.Dense) error

	// Backward returns the gradient of the loss with respect to each input, given
	// the inputs, the op's output and dy, the gradient with respect to the output (of
	// the output's shape). It is symbolic: it builds nodes, from gorgonia's ops, from
	// other Defs (the usual way: a second Def whose Forward is the backward kernel)
	// or both. It returns one node per input, each of that input's shape and dtype,
	// nil for the inputs in NoGrad. A nil Backward makes the op not differentiable:
	// Grad through it is an error, which suits backward ops themselves (gradflow has
	// no second-order gradients).
	Backward func(p P, in []*gorgonia.Node, out, dy *gorgonia.Node) ([]*gorgonia.Node, error)
}

// Apply adds the op with parameters p on inputs in to their graph and returns the
// output node. Errors name the op and give the shapes.
func (d *Def[P]) Apply(p P, in ...*gorgonia.Node) (n *gorgonia.Node, err error) {
	if d == nil {
		return nil, errors.New("ops: Apply of a nil Def")
	}
	name := d.Name
	if name == "" {
		name = "<unnamed Def>"
	}
	defer recoverInto(&err, "ops: "+name)
	if err := d.validate(); err != nil {
		return nil, err
	}
	if d.Arity != Variadic && len(in) != d.Arity {
		return nil, errors.Errorf("ops: %s: got %d inputs, want %d", name, len(in), d.Arity)
	}
	if len(in) == 0 {
		return nil, errors.Errorf("ops: %s: got no inputs, want at least 1", name)
	}
	for i, x := range in {
		if err := checkFloat(name, "input "+strconv.Itoa(i), x); err != nil {
			return nil, err
		}
		if x.Dtype() != in[0].Dtype() {
			return nil, errors.Errorf("ops: %s: input %d has dtype %v, input 0 %v, want the same", name, i, x.Dtype(), in[0].Dtype())
		}
	}
	key, err := paramKey(p)
	if err != nil {
		return nil, errors.Wrapf(err, "ops: %s: params", name)
	}
	op := &defOp[P]{def: d, p: p, key: key, dtype: in[0].Dtype()}
	for _, x := range in {
		op.in = append(op.in, x.Shape().Clone())
	}
	if op.out, err = op.shape(op.in); err != nil {
		return nil, err
	}
	return apply(name, op, in...)
}

// validate reports a Def that cannot work.
func (d *Def[P]) validate() error {
	switch {
	case d.Name == "":
		return errors.New("ops: Def has no Name")
	case d.Arity < 1 && d.Arity != Variadic:
		return errors.Errorf("ops: %s: Arity %d, want >= 1 or Variadic", d.Name, d.Arity)
	case d.Shape == nil:
		return errors.Errorf("ops: %s: Def has no Shape rule", d.Name)
	case d.Forward == nil:
		return errors.Errorf("ops: %s: Def has no Forward", d.Name)
	}
	for _, i := range d.NoGrad {
		if i < 0 || (d.Arity != Variadic && i >= d.Arity) {
			return errors.Errorf("ops: %s: NoGrad input %d out of range for arity %d", d.Name, i, d.Arity)
		}
	}
	for _, i := range d.Mutates {
		if !slices.Contains(d.NoGrad, i) {
			return errors.Errorf("ops: %s: Mutates input %d, which is not in NoGrad", d.Name, i)
		}
	}
	return nil
}

// defOp is one application of a Def: its parameters and the input shapes and dtype
// it was built for.
type defOp[P any] struct {
	def   *Def[P]
	p     P
	key   string // the parameters, every field printed
	dtype tensor.Dtype
	in    []tensor.Shape
	out   tensor.Shape
	buf   outBuf // the output's memory, kept across runs
}

var (
	_ gorgonia.Op   = (*defOp[struct{}])(nil)
	_ gorgonia.SDOp = (*defOp[struct{}])(nil)
)

func (op *defOp[P]) Arity() int { return len(op.in) }

func (op *defOp[P]) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, 0, len(op.in)+1)
	for _, s := range op.in {
		ts = append(ts, tensorType(s.Dims(), a))
	}
	ts = append(ts, tensorType(op.out.Dims(), a))
	return hm.NewFnType(ts...)
}

func (op *defOp[P]) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	shapes := make([]tensor.Shape, len(in))
	for i := range in {
		s, err := shapeArg(op, in, i)
		if err != nil {
			return nil, err
		}
		shapes[i] = s.Clone()
	}
	return op.shape(shapes)
}

// shape calls the Shape rule, turning a panic into an error, and checks its result.
func (op *defOp[P]) shape(in []tensor.Shape) (s tensor.Shape, err error) {
	defer recoverInto(&err, "ops: "+op.def.Name+": Shape")
	if s, err = op.def.Shape(op.p, in); err != nil {
		return nil, errors.Wrapf(err, "ops: %s: input shapes %v", op.def.Name, in)
	}
	for _, d := range s {
		if d <= 0 {
			return nil, errors.Errorf("ops: %s: Shape returned %v for inputs %v, want every dimension > 0", op.def.Name, s, in)
		}
	}
	return s.Clone(), nil
}

func (op *defOp[P]) Do(in ...gorgonia.Value) (v gorgonia.Value, err error) {
	defer recoverInto(&err, "ops: "+op.String()+": Forward")
	if err := checkArity(op, in); err != nil {
		return nil, err
	}
	ds := make([]*tensor.Dense, len(in))
	for i, x := range in {
		if ds[i], err = op.value(x, i); err != nil {
			return nil, err
		}
		if gorgonia.Value(ds[i]) != x && slices.Contains(op.def.Mutates, i) {
			return nil, errors.Errorf("ops: %v: input %d, which Forward updates in place, is a view; bind a contiguous tensor", op, i)
		}
	}
	if op.out.IsScalar() {
		y := scalarDense(op.dtype, 0)
		if err := op.def.Forward(op.p, ds, y); err != nil {
			return nil, errors.Wrapf(err, "ops: %v", op)
		}
		return scalarOf(op.dtype, firstElem(y)), nil
	}
	y := op.buf.newOut(op.dtype, op.out)
	if err := op.def.Forward(op.p, ds, y); err != nil {
		return nil, errors.Wrapf(err, "ops: %v", op)
	}
	return y, nil
}

// value converts input i to a contiguous Dense and checks its dtype and shape.
func (op *defOp[P]) value(x gorgonia.Value, i int) (*tensor.Dense, error) {
	var d *tensor.Dense
	if s, ok := x.(gorgonia.Scalar); ok {
		d = tensor.New(tensor.FromScalar(s.Data()))
	} else {
		var err error
		if d, err = denseArg(op, x, i); err != nil {
			return nil, err
		}
	}
	want := op.in[i]
	if want.IsScalar() && !d.IsScalar() && d.Size() == 1 && d.Dtype() == op.dtype {
		// A one-element tensor for a scalar input: give Forward a 0-d Dense.
		d = scalarDense(op.dtype, firstElem(d))
	}
	if d.Dtype() != op.dtype || !sameShape(d.Shape(), want) {
		return nil, errors.Errorf("ops: %v: input %d is %v %v, want %v %v", op, i, d.Shape(), d.Dtype(), want, op.dtype)
	}
	return d, nil
}

// scalarDense returns a 0-d Dense of dtype dt holding v.
func scalarDense(dt tensor.Dtype, v float64) *tensor.Dense {
	if dt == tensor.Float32 {
		return tensor.New(tensor.FromScalar(float32(v)))
	}
	return tensor.New(tensor.FromScalar(v))
}

// firstElem returns the first element of a float tensor as a float64.
func firstElem(d *tensor.Dense) float64 {
	if d.Dtype() == tensor.Float32 {
		return float64(d.Float32s()[0])
	}
	return d.Float64s()[0]
}

func (op *defOp[P]) ReturnsPtr() bool     { return false }
func (op *defOp[P]) CallsExtern() bool    { return false }
func (op *defOp[P]) OverwritesInput() int { return -1 }

// WriteHash writes String and the Def's address: two Defs never merge, and two
// applications of one Def merge only when every parameter is equal.
func (op *defOp[P]) WriteHash(h hash.Hash) { io.WriteString(h, op.hashKey()) }
func (op *defOp[P]) Hashcode() uint32      { return hash32(op.hashKey()) }
func (op *defOp[P]) hashKey() string       { return fmt.Sprintf("%s@%p", op.String(), op.def) }

// String prints the Def's name and every parameter.
func (op *defOp[P]) String() string { return "ops." + op.def.Name + op.key }

func (op *defOp[P]) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	if op.def.Backward == nil {
		return d
	}
	for i := range d {
		d[i] = !slices.Contains(op.def.NoGrad, i)
	}
	return d
}

func (op *defOp[P]) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gs gorgonia.Nodes, err error) {
	defer recoverInto(&err, "ops: "+op.String()+": Backward")
	if op.def.Backward == nil {
		return nil, errors.Errorf("ops: %v has no Backward: it is not differentiable", op)
	}
	if len(inputs) != len(op.in) {
		return nil, errors.Errorf("ops: %v: SymDiff got %d inputs, want %d", op, len(inputs), len(op.in))
	}
	grads, err := op.def.Backward(op.p, inputs, output, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "ops: %v: Backward", op)
	}
	if len(grads) != len(inputs) {
		return nil, errors.Errorf("ops: %v: Backward returned %d gradients, want %d (one per input, nil for NoGrad)", op, len(grads), len(inputs))
	}
	diff := op.DiffWRT(len(inputs))
	gs = make(gorgonia.Nodes, len(inputs))
	for i, g := range grads {
		if !diff[i] {
			continue
		}
		if g == nil {
			return nil, errors.Errorf("ops: %v: Backward returned no gradient for input %d (list it in NoGrad if it has none)", op, i)
		}
		if g.Dtype() != inputs[i].Dtype() || !sameShape(g.Shape(), inputs[i].Shape()) {
			return nil, errors.Errorf("ops: %v: gradient of input %d is %v %v, want %v %v", op, i, g.Shape(), g.Dtype(), inputs[i].Shape(), inputs[i].Dtype())
		}
		gs[i] = g
	}
	return gs, nil
}
