package graph

import (
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Feeds maps input nodes to the tensors they take in one Run. Tensors are bound by
// reference; Run does not copy them.
type Feeds map[*gorgonia.Node]tensor.Tensor

// CompileOption configures Compile.
type CompileOption func(*compileConfig)

type compileConfig struct {
	loss        *gorgonia.Node
	outputs     []*gorgonia.Node
	forwardOnly bool
}

// Loss makes Compile differentiate the scalar node n with respect to every trainable
// Param in the graph that n depends on. Machine.Run then fills those Params' gradients
// and Machine.Loss returns n's value.
func Loss(n *gorgonia.Node) CompileOption { return func(c *compileConfig) { c.loss = n } }

// ForwardOnly makes Compile skip the backward pass: Machine.Loss still reports the
// loss given with Loss, but no gradient is computed (evaluation, inference).
func ForwardOnly() CompileOption { return func(c *compileConfig) { c.forwardOnly = true } }

// Outputs makes Machine.Run copy the values of these nodes into buffers that
// Machine.Output returns.
func Outputs(ns ...*gorgonia.Node) CompileOption {
	return func(c *compileConfig) { c.outputs = append(c.outputs, ns...) }
}

// Machine runs a compiled Graph: a gorgonia TapeMachine plus the bookkeeping that
// gorgonia leaves to its caller. Each Run resets the tape (gorgonia's RunAll does
// nothing without it), overwrites the gradients of the differentiated Params (they
// never accumulate across runs), and returns gorgonia panics as errors.
//
// One Machine per Graph: a second gorgonia machine on the same ExprGraph would reset
// op state of the first. A Machine is not safe for concurrent use.
type Machine struct {
	g        *Graph
	vm       gorgonia.VM
	errc     chan error // runTape's channels, buffered, empty between runs
	done     chan struct{}
	loss     *gorgonia.Node
	lossVal  gorgonia.Value
	wrt      []*Param // differentiated params, their grads read into p.grad
	frozen   []*Param // trainable params in the graph that the loss does not reach
	outputs  map[*gorgonia.Node]*tensor.Dense
	outOrder []*gorgonia.Node
	gradVals []gorgonia.Value
	outVals  []gorgonia.Value
	runs     int
}

// Compile builds a Machine for g. With Loss, it adds the backward pass
// (gorgonia.Grad) for the trainable Params the loss depends on. Only the nodes that
// the loss, those gradients and the Outputs depend on run (see liveInputs): the
// gradient with respect to the data, which gorgonia.Grad builds too, does not. A
// Graph can be compiled once: a second Compile is an error.
func Compile(g *Graph, opts ...CompileOption) (m *Machine, err error) {
	defer Recover(&err)
	if g == nil {
		return nil, errors.New("graph: Compile of a nil Graph")
	}
	if g.err != nil {
		return nil, g.err
	}
	if g.compiled {
		// A second machine on one ExprGraph would reset the first one's op state,
		// and a second Grad adds a second backward pass to the graph.
		return nil, errors.New("graph: Compile: this Graph is already compiled (one Machine per Graph): trace a new Graph")
	}
	g.compiled = true // even if compiling fails below, Grad may have changed the graph
	var cfg compileConfig
	for _, o := range opts {
		o(&cfg)
	}
	m = &Machine{g: g, loss: cfg.loss, outputs: map[*gorgonia.Node]*tensor.Dense{}}

	buildMu.Lock()
	defer buildMu.Unlock()
	var roots gorgonia.Nodes // the reads: what Run hands back
	if cfg.loss != nil {
		if cfg.loss.Graph() != g.expr {
			return nil, errors.New("graph: Compile: loss node is not in this graph")
		}
		if !cfg.loss.IsScalar() {
			return nil, errors.Errorf("graph: Compile: loss has shape %v, want a scalar", cfg.loss.Shape())
		}
		reach := reachable(g.expr, cfg.loss)
		var wrtNodes []*gorgonia.Node
		for _, p := range g.params {
			if !p.trainable || cfg.forwardOnly {
				continue // a forward-only machine never touches gradients
			}
			if reach[g.nodes[p]] {
				m.wrt = append(m.wrt, p)
				wrtNodes = append(wrtNodes, g.nodes[p])
			} else {
				m.frozen = append(m.frozen, p)
			}
		}
		if len(wrtNodes) > 0 {
			grads, err := gorgonia.Grad(cfg.loss, wrtNodes...)
			if err != nil {
				return nil, errors.Wrap(err, "graph: Compile: differentiating the loss")
			}
			m.gradVals = make([]gorgonia.Value, len(grads))
			for i, gn := range grads {
				// Read copies into an existing value: the gradient lands in p.grad
				// with no allocation.
				if !gn.IsScalar() {
					m.gradVals[i] = m.wrt[i].grad
				} // a scalar arrives as *F32/*F64; Run copies it over
				roots = append(roots, gorgonia.Read(gn, &m.gradVals[i]))
			}
		}
		roots = append(roots, gorgonia.Read(cfg.loss, &m.lossVal))
	}
	for _, n := range cfg.outputs {
		if n == nil || n.Graph() != g.expr {
			return nil, errors.New("graph: Compile: an output node is nil or not in this graph")
		}
		if _, dup := m.outputs[n]; dup {
			continue
		}
		buf := tensor.New(tensor.WithShape(n.Shape()...), tensor.Of(n.Dtype()))
		m.outputs[n] = buf
		m.outOrder = append(m.outOrder, n)
	}
	m.outVals = make([]gorgonia.Value, len(m.outOrder))
	for i, n := range m.outOrder {
		if !n.IsScalar() {
			m.outVals[i] = m.outputs[n]
		} // a scalar arrives as *F32/*F64; Run copies it over
		roots = append(roots, gorgonia.Read(n, &m.outVals[i]))
	}
	var vmOpt gorgonia.VMOpt
	if len(roots) == 0 { // neither loss nor outputs: run everything
		prog, locMap, err := gorgonia.Compile(g.expr)
		if err != nil {
			return nil, errors.Wrap(err, "graph: Compile")
		}
		vmOpt = gorgonia.WithPrecompiled(prog, locMap)
	} else {
		prog, locMap, err := gorgonia.CompileFunction(g.expr, liveInputs(g.expr, roots), roots)
		if err != nil {
			return nil, errors.Wrap(err, "graph: Compile")
		}
		vmOpt = gorgonia.WithPrecompiled(prog, locMap)
	}
	m.vm = gorgonia.NewTapeMachine(g.expr, vmOpt)
	m.errc, m.done = make(chan error, 1), make(chan struct{}, 1)
	return m, nil
}

// liveInputs returns the input nodes of eg that roots depend on.
//
// Compile compiles only the part of the graph that the loss, the gradients and the
// outputs depend on (gorgonia.CompileFunction), not every node (gorgonia.Compile).
// gorgonia.Grad differentiates an op with respect to all of its inputs, so with
// gorgonia.Compile the gradients that nothing reads would run on every step: the first
// layer's gradient with respect to the data (dy·Wᵀ, a quarter of an MLP's GEMM work),
// or a convolution's input gradient. PyTorch's autograd likewise computes only the
// gradients asked for. gradflow's ops run for their values only (BatchNorm updates its
// running statistics in the node whose output is used), so leaving out the rest
// changes no result.
func liveInputs(eg *gorgonia.ExprGraph, roots gorgonia.Nodes) gorgonia.Nodes {
	live := map[*gorgonia.Node]bool{}
	for _, r := range roots {
		for n := range reachable(eg, r) {
			live[n] = true
		}
	}
	var inputs gorgonia.Nodes
	for _, n := range eg.Inputs() {
		if live[n] {
			inputs = append(inputs, n)
		}
	}
	return inputs
}

// reachable returns the nodes that root depends on (root included).
func reachable(eg *gorgonia.ExprGraph, root *gorgonia.Node) map[*gorgonia.Node]bool {
	seen := map[*gorgonia.Node]bool{}
	stack := []*gorgonia.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		it := eg.From(n.ID())
		for it.Next() {
			stack = append(stack, it.Node().(*gorgonia.Node))
		}
	}
	return seen
}

// Graph returns the graph the machine runs.
func (m *Machine) Graph() *Graph { return m.g }

// WRT returns the Params whose gradients Run computes, in graph order.
func (m *Machine) WRT() []*Param { return append([]*Param(nil), m.wrt...) }

// Run binds the feeds to their input nodes, runs the forward pass (and the backward
// pass if the machine was compiled with a Loss), and writes the gradients and outputs.
// Every input of the graph must be fed, with its exact shape and dtype.
//
// Gradients of differentiated Params are overwritten, never accumulated; a trainable
// Param of the graph that the loss does not reach gets a zero gradient.
func (m *Machine) Run(feeds Feeds) (err error) {
	defer Recover(&err)
	if m == nil || m.vm == nil {
		return errors.New("graph: Run on a nil or closed Machine")
	}
	for _, in := range m.g.inOrder {
		v, ok := feeds[in]
		if !ok || v == nil {
			return errors.Errorf("graph: Run: input %q not fed", inputName(in))
		}
		if !v.Shape().Eq(in.Shape()) {
			return errors.Errorf("graph: Run: input %q got shape %v, want %v", inputName(in), v.Shape(), in.Shape())
		}
		if v.Dtype() != in.Dtype() {
			return errors.Errorf("graph: Run: input %q got dtype %v, want %v", inputName(in), v.Dtype(), in.Dtype())
		}
		if err := gorgonia.Let(in, v); err != nil {
			return errors.Wrapf(err, "graph: Run: input %q", inputName(in))
		}
	}
	if len(feeds) > len(m.g.inOrder) {
		for n := range feeds {
			if _, ok := m.g.inputs[inputName(n)]; !ok || m.g.inputs[inputName(n)] != n {
				return errors.Errorf("graph: Run: fed node %v is not an input of this graph", n)
			}
		}
	}
	m.vm.Reset()
	defer m.vm.Reset() // release intermediates; also leaves the tape runnable after an error
	if err := m.runTape(); err != nil {
		return err
	}
	for i, p := range m.wrt {
		if err := syncScalar(p.grad, m.gradVals[i]); err != nil {
			return errors.Wrapf(err, "graph: Run: gradient of %q", p.name)
		}
	}
	for i, n := range m.outOrder {
		if err := syncScalar(m.outputs[n], m.outVals[i]); err != nil {
			return errors.Wrapf(err, "graph: Run: output %v", n)
		}
	}
	for _, p := range m.frozen { // trainable params the loss does not reach: zero, not stale
		p.ZeroGrad()
	}
	m.runs++
	return nil
}

// runTape runs the tape. A panic inside an op (in its Do) becomes an error that names
// the op and says whose code panicked (PanicError); it is recovered here, before Run's
// deferred Reset moves the tape back to its start, so that the tape still points at
// the op.
func (m *Machine) runTape() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Wrapf(panicked(r), "graph: Run: %s", describeNode(tapeNode(m.vm, m.g.expr)))
		}
	}()
	if err := runTape(m.vm, m.errc, m.done); err != nil {
		return errors.Wrap(err, "graph: Run")
	}
	return nil
}

// describeNode names an op node for an error: its op and its output shape.
func describeNode(n *gorgonia.Node) string {
	if n == nil || n.Op() == nil {
		return "running the tape"
	}
	return fmt.Sprintf("op %v (output shape %v)", n.Op(), n.Shape())
}

// syncScalar copies v into dst when v is a separate scalar value (non-scalar values are
// read straight into dst).
func syncScalar(dst *tensor.Dense, v gorgonia.Value) error {
	if v == nil || v == gorgonia.Value(dst) {
		return nil
	}
	f := scalarOf(v)
	if math.IsNaN(f) && !isNaNValue(v) {
		return errors.Errorf("unexpected value %T", v)
	}
	switch d := dst.Data().(type) {
	case []float64:
		d[0] = f
	case []float32:
		d[0] = float32(f)
	case float64, float32:
		dst.Set(0, convertTo(dst.Dtype(), f))
	}
	return nil
}

func convertTo(dt tensor.Dtype, f float64) any {
	if dt == tensor.Float32 {
		return float32(f)
	}
	return f
}

func isNaNValue(v gorgonia.Value) bool {
	switch x := v.(type) {
	case *gorgonia.F64:
		return math.IsNaN(float64(*x))
	case *gorgonia.F32:
		return math.IsNaN(float64(*x))
	}
	return false
}

// Loss returns the loss computed by the last Run (NaN before the first Run or without
// a Loss).
func (m *Machine) Loss() float64 { return scalarOf(m.lossVal) }

// scalarOf returns the value of a scalar (or one-element) Value as a float64, NaN if
// it has none.
func scalarOf(v gorgonia.Value) float64 {
	switch v := v.(type) {
	case *gorgonia.F64:
		return float64(*v)
	case *gorgonia.F32:
		return float64(*v)
	case tensor.Tensor:
		switch d := v.Data().(type) {
		case float64:
			return d
		case float32:
			return float64(d)
		case []float64:
			return d[0]
		case []float32:
			return float64(d[0])
		}
	}
	return math.NaN()
}

// Output returns the buffer that holds node n's value after each Run. It is reused by
// the next Run: copy it to keep it. n must have been passed to Outputs.
func (m *Machine) Output(n *gorgonia.Node) (*tensor.Dense, error) {
	buf, ok := m.outputs[n]
	if !ok {
		return nil, errors.Errorf("graph: Output: node %v was not compiled as an output", n)
	}
	return buf, nil
}

// Close releases the machine. A closed machine cannot Run.
func (m *Machine) Close() error {
	if m == nil || m.vm == nil {
		return nil
	}
	err := m.vm.Close()
	m.vm = nil
	return err
}

func inputName(n *gorgonia.Node) string { return strings.TrimPrefix(n.Name(), "input:") }
