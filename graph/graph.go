package graph

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// buildMu serialises the parts of graph building that touch gorgonia's package-level
// state (its shared constant nodes race when graphs are built concurrently; GORGONIA.md).
var buildMu sync.Mutex

// Mode says whether a Graph is traced for training or for evaluation. Layers whose
// behaviour differs (Dropout, BatchNorm) read it from the Graph while they build it,
// so the mode is fixed per graph and never stored in a VM.
type Mode int

// The modes of a Graph.
const (
	Train Mode = iota // training: dropout active, batch statistics updated
	Eval              // evaluation and inference: deterministic
)

func (m Mode) String() string {
	switch m {
	case Train:
		return "train"
	case Eval:
		return "eval"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Graph is one trace of a model: a gorgonia ExprGraph built for one input shape and
// one Mode. Param nodes bind their Param's value by reference, so every Graph of a
// model shares the same weights.
//
// Build a Graph from one goroutine; gorgonia's graph construction is not safe for
// concurrent use. Separately built graphs may run concurrently.
type Graph struct {
	expr     *gorgonia.ExprGraph
	dtype    DType
	mode     Mode
	seed     uint64
	nodes    map[*Param]*gorgonia.Node
	params   []*Param
	inputs   map[string]*gorgonia.Node
	inOrder  []*gorgonia.Node
	names    map[string]int
	err      error
	compiled bool // by Compile, which may be called once
}

// GraphOption configures New.
type GraphOption func(*Graph)

// GraphSeed seeds the randomness of ops built in the graph (dropout masks). The default
// is 0.
func GraphSeed(seed uint64) GraphOption { return func(g *Graph) { g.seed = seed } }

// New returns an empty Graph of element type dt (Float32 or Float64) in mode m. An
// unsupported dtype is reported by the first Input or Node call.
func New(dt DType, m Mode, opts ...GraphOption) *Graph {
	g := &Graph{
		expr:   gorgonia.NewGraph(),
		dtype:  dt,
		mode:   m,
		nodes:  map[*Param]*gorgonia.Node{},
		inputs: map[string]*gorgonia.Node{},
		names:  map[string]int{},
	}
	for _, o := range opts {
		o(g)
	}
	if err := checkDType(dt); err != nil {
		g.err = err
	}
	return g
}

// Expr returns the underlying gorgonia expression graph.
func (g *Graph) Expr() *gorgonia.ExprGraph { return g.expr }

// DType returns the graph's element type.
func (g *Graph) DType() DType { return g.dtype }

// Mode returns the graph's mode.
func (g *Graph) Mode() Mode { return g.mode }

// Training reports whether the graph is in Train mode.
func (g *Graph) Training() bool { return g.mode == Train }

// Seed returns the graph's seed.
func (g *Graph) Seed() uint64 { return g.seed }

// Rand returns a generator seeded from the graph's seed and key. Ops that need
// randomness at run time (dropout) take one at build time with a key unique in the
// graph (see UniqueName), so that runs are reproducible.
func (g *Graph) Rand(key string) *rand.Rand { return paramRand(g.seed, "graph/"+key) }

// UniqueName returns prefix, or prefix_1, prefix_2, ... the first not yet returned by
// this Graph. Ops whose nodes must never be merged by gorgonia's hash-consing (random
// ops) put it in their hash.
func (g *Graph) UniqueName(prefix string) string {
	n := g.names[prefix]
	g.names[prefix] = n + 1
	if n == 0 {
		return prefix
	}
	return fmt.Sprintf("%s_%d", prefix, n)
}

// Input adds an input node (a batch of data, targets) named name with the given shape.
// Its value is given to Machine.Run in Feeds. Names must be unique in the graph.
func (g *Graph) Input(name string, shape ...int) (*gorgonia.Node, error) {
	if g.err != nil {
		return nil, g.err
	}
	if err := checkName(name); err != nil {
		return nil, errors.Wrap(err, "graph: input")
	}
	if _, dup := g.inputs[name]; dup {
		return nil, errors.Errorf("graph: input %q already exists; names must be unique", name)
	}
	for _, d := range shape {
		if d <= 0 {
			return nil, errors.Errorf("graph: input %q: shape %v has a dimension <= 0", name, shape)
		}
	}
	// Inputs live in their own namespace so that they can never merge with a param.
	n, err := newNode(g.expr, g.dtype, shape, "input:"+name, nil)
	if err != nil {
		return nil, errors.Wrapf(err, "graph: input %q", name)
	}
	g.inputs[name] = n
	g.inOrder = append(g.inOrder, n)
	return n, nil
}

// Inputs returns the input nodes in the order they were added.
func (g *Graph) Inputs() []*gorgonia.Node { return append([]*gorgonia.Node(nil), g.inOrder...) }

// Node returns the node of Param p in this graph, creating it on first use. The node
// is bound to p's value tensor by reference: an update of p is seen by every graph.
func (g *Graph) Node(p *Param) (*gorgonia.Node, error) {
	if g.err != nil {
		return nil, g.err
	}
	if p == nil || p.value == nil {
		return nil, errors.New("graph: Node of a nil or zero Param")
	}
	if n, ok := g.nodes[p]; ok {
		return n, nil
	}
	if p.DType() != g.dtype {
		return nil, errors.Errorf("graph: param %q has dtype %v, graph has %v", p.name, p.DType(), g.dtype)
	}
	var bind gorgonia.Value = p.value
	if p.value.IsScalar() {
		// gorgonia's ops compute wrong values from a 0-d Dense (Sum(x*a) gave 0); they
		// want *F32/*F64. Alias one over the Param's single element, so the binding
		// stays by reference.
		if p.DType() == Float32 {
			bind = (*gorgonia.F32)(&p.value.Float32s()[0])
		} else {
			bind = (*gorgonia.F64)(&p.value.Float64s()[0])
		}
	}
	n, err := newNode(g.expr, g.dtype, p.value.Shape(), p.name, bind)
	if err != nil {
		return nil, errors.Wrapf(err, "graph: param %q", p.name)
	}
	g.nodes[p] = n
	g.params = append(g.params, p)
	return n, nil
}

// Params returns the Params used in this graph, in order of first use.
func (g *Graph) Params() []*Param { return append([]*Param(nil), g.params...) }

// ParamOf returns the Param whose node is n, or nil.
func (g *Graph) ParamOf(n *gorgonia.Node) *Param {
	for p, pn := range g.nodes {
		if pn == n {
			return p
		}
	}
	return nil
}

func newNode(eg *gorgonia.ExprGraph, dt DType, shape []int, name string, value gorgonia.Value) (n *gorgonia.Node, err error) {
	defer Recover(&err)
	buildMu.Lock()
	defer buildMu.Unlock()
	opts := []gorgonia.NodeConsOpt{gorgonia.WithName(name)}
	if value != nil {
		opts = append(opts, gorgonia.WithValue(value))
	}
	if len(shape) == 0 {
		return gorgonia.NewScalar(eg, dt, opts...), nil
	}
	opts = append(opts, gorgonia.WithShape(shape...))
	return gorgonia.NewTensor(eg, dt, len(shape), opts...), nil
}
