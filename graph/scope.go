package graph

import (
	"hash/fnv"
	"math/rand/v2"
	"strings"

	"github.com/pkg/errors"
)

// Scope creates Params with unique hierarchical names and seeded initial values.
//
// A root Scope (NewScope) owns a registry of every name created below it; Sub returns a
// child scope that shares the registry and prefixes names with its own ("mlp/fc1/").
// Creating a name that already exists is an error, never a silent merge.
//
// Each Param's initial values are drawn from a generator seeded by the scope's seed and
// the Param's full name, so the same seed gives the same weights, and adding a layer
// does not change the initial values of the others. A Scope is not safe for concurrent
// use.
type Scope struct {
	root   *registry
	prefix string // "" or "a/b/"
	err    error  // a bad Sub name, reported by the next Param call
}

type registry struct {
	dtype  DType
	seed   uint64
	params map[string]*Param
	order  []*Param
}

// ScopeOption configures NewScope.
type ScopeOption func(*registry)

// Seed sets the seed from which every initial value in the scope is drawn. The default
// seed is 0.
func Seed(seed uint64) ScopeOption { return func(r *registry) { r.seed = seed } }

// NewScope returns a root scope whose Params have dtype dt (Float32 or Float64).
// An unsupported dtype is reported by the first Param call.
func NewScope(dt DType, opts ...ScopeOption) *Scope {
	r := &registry{dtype: dt, params: map[string]*Param{}}
	for _, o := range opts {
		o(r)
	}
	s := &Scope{root: r}
	if err := checkDType(dt); err != nil {
		s.err = err
	}
	return s
}

// DType returns the element type of the scope's Params.
func (s *Scope) DType() DType { return s.root.dtype }

// Seed returns the root scope's seed.
func (s *Scope) Seed() uint64 { return s.root.seed }

// Name returns the scope's path without the trailing slash ("" for the root).
func (s *Scope) Name() string { return strings.TrimSuffix(s.prefix, "/") }

// Sub returns a child scope named name. Its Params are named "<scope>/<name>/<param>".
// A name that is empty or holds a '/' makes every Param call on the child fail.
func (s *Scope) Sub(name string) *Scope {
	c := &Scope{root: s.root, prefix: s.prefix + name + "/", err: s.err}
	if c.err == nil {
		if err := checkName(name); err != nil {
			c.err = errors.Wrapf(err, "graph: scope %q: sub scope", s.Name())
		}
	}
	return c
}

// ParamOption configures one Param.
type ParamOption func(*paramConfig)

type paramConfig struct {
	fans    Fans
	hasFans bool
}

// WithFans overrides the fans that variance-scaling initialisers use (the default is
// DefaultFans(shape)).
func WithFans(f Fans) ParamOption {
	return func(c *paramConfig) { c.fans, c.hasFans = f, true }
}

// Param creates a Param named "<scope>/<name>" of the given kind and shape, filled by
// init. It returns an error if the name exists, the shape has a non-positive
// dimension, or init fails.
func (s *Scope) Param(name string, kind Kind, shape []int, init Initializer, opts ...ParamOption) (*Param, error) {
	full := s.prefix + name
	if s.err != nil {
		return nil, errors.Wrapf(s.err, "graph: param %q", full)
	}
	if err := checkName(name); err != nil {
		return nil, errors.Wrapf(err, "graph: param %q", full)
	}
	if _, dup := s.root.params[full]; dup {
		return nil, errors.Errorf("graph: param %q already exists; names must be unique", full)
	}
	if kind < Weight || kind > State {
		return nil, errors.Errorf("graph: param %q: unknown kind %v", full, kind)
	}
	size := 1
	for _, d := range shape {
		if d <= 0 {
			return nil, errors.Errorf("graph: param %q: shape %v has a dimension <= 0", full, shape)
		}
		size *= d
	}
	if init == nil {
		return nil, errors.Errorf("graph: param %q: nil initializer", full)
	}
	var cfg paramConfig
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.hasFans {
		cfg.fans = DefaultFans(shape)
	}
	vals := make([]float64, size)
	if err := init.Fill(paramRand(s.root.seed, full), cfg.fans, vals); err != nil {
		return nil, errors.Wrapf(err, "graph: param %q", full)
	}
	p := newParam(full, kind, s.root.dtype, shape)
	if err := p.SetValues(vals); err != nil {
		return nil, err
	}
	s.root.params[full] = p
	s.root.order = append(s.root.order, p)
	return p, nil
}

// Params returns every Param created in the whole tree of scopes (not only below s),
// in creation order.
func (s *Scope) Params() []*Param { return append([]*Param(nil), s.root.order...) }

// Lookup returns the Param with this full name, or nil.
func (s *Scope) Lookup(fullName string) *Param { return s.root.params[fullName] }

// Rand returns a generator seeded by the scope's seed and key, for seeded randomness
// outside initialisers (data shuffling, dropout masks). The same key gives the same
// stream.
func (s *Scope) Rand(key string) *rand.Rand { return paramRand(s.root.seed, s.prefix+key) }

func paramRand(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

func checkName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if strings.ContainsAny(name, "/") {
		return errors.Errorf("name %q holds '/'", name)
	}
	return nil
}
