package optim

import (
	"fmt"
	"maps"
	"path"
	"strings"

	"github.com/pkg/errors"

	"github.com/gradflow/gradflow/graph"
)

// Matcher selects parameters, for per-parameter optimizer options. It is the type
// graph.Select takes, so the same matcher picks the params to load from a file.
type Matcher func(p *graph.Param) bool

// ByKind matches params of any of the given kinds (graph.Bias, ...).
func ByKind(kinds ...graph.Kind) Matcher {
	return func(p *graph.Param) bool {
		for _, k := range kinds {
			if p.Kind() == k {
				return true
			}
		}
		return false
	}
}

// ByName matches params whose name matches any of the patterns, in the syntax of
// path.Match ('*' does not cross a '/'). A pattern of k elements is matched against
// the last k elements of the full name, so "bias" matches every ".../bias",
// "norm*/*" matches "enc/norm1/scale", and "enc/*/weight" matches
// "enc/fc1/weight" and "model/enc/fc1/weight". A malformed pattern matches nothing.
func ByName(patterns ...string) Matcher {
	return func(p *graph.Param) bool {
		name := p.Name()
		for _, pat := range patterns {
			k := strings.Count(pat, "/") + 1
			parts := strings.Split(name, "/")
			if len(parts) < k {
				continue
			}
			tail := strings.Join(parts[len(parts)-k:], "/")
			if ok, err := path.Match(pat, tail); ok && err == nil {
				return true
			}
		}
		return false
	}
}

// Group gives the params that Match selects their own optimizer configuration.
type Group struct {
	Match  Matcher
	Config Config
}

// Groups is an optimizer configuration with per-parameter options, like PyTorch's
// parameter groups: each param is updated by the Config of the first Group whose
// Match selects it, or by Default. Each configuration builds its own optimizer, so
// groups may even use different algorithms.
//
// SetLR on the resulting optimizer sets Default's rate and scales every group's rate
// by the same factor, keeping the ratios of the configured rates, as a PyTorch
// schedule does with each group's initial_lr.
type Groups struct {
	Default Config
	Groups  []Group
}

var (
	_ Config   = Groups{}
	_ Stateful = (*groupOptimizer)(nil)
)

// NoWeightDecay returns cfg with weight decay switched off for the params that match
// selects, the usual practice for biases and normalisation parameters:
//
//	optim.NoWeightDecay(optim.AdamW{LR: 1e-3, WeightDecay: 0.01},
//		optim.ByKind(graph.Bias), optim.ByName("*norm*/*"))
//
// Any of the matchers may select a param. cfg must be one of gradflow's optimizer
// configs (SGD, Adam, AdamW, RMSProp, Adagrad).
func NoWeightDecay(cfg Config, match ...Matcher) Config {
	return noDecay{cfg: cfg, match: match}
}

// noDecay builds a Groups when NewOptimizer is called, so an unsupported config is
// reported as an error there.
type noDecay struct {
	cfg   Config
	match []Matcher
}

type weightDecayer interface {
	withWeightDecay(wd float64) Config
}

func (n noDecay) NewOptimizer() (Optimizer, error) {
	wd, ok := n.cfg.(weightDecayer)
	if !ok {
		return nil, errors.Errorf("optim: NoWeightDecay: %T has no weight decay to switch off", n.cfg)
	}
	match := n.match
	selected := func(p *graph.Param) bool {
		for _, m := range match {
			if m != nil && m(p) {
				return true
			}
		}
		return false
	}
	return Groups{Default: n.cfg, Groups: []Group{{Match: selected, Config: wd.withWeightDecay(0)}}}.NewOptimizer()
}

// NewOptimizer builds one optimizer per configuration.
func (c Groups) NewOptimizer() (Optimizer, error) {
	if c.Default == nil {
		return nil, errors.New("optim: groups: Default is nil")
	}
	def, err := c.Default.NewOptimizer()
	if err != nil {
		return nil, errors.Wrap(err, "optim: groups: Default")
	}
	o := &groupOptimizer{opts: []Optimizer{def}, base: []float64{def.LR()}, lr: def.LR()}
	for i, g := range c.Groups {
		if g.Match == nil || g.Config == nil {
			return nil, errors.Errorf("optim: groups: group %d has a nil Match or Config", i)
		}
		opt, err := g.Config.NewOptimizer()
		if err != nil {
			return nil, errors.Wrapf(err, "optim: groups: group %d", i)
		}
		o.opts = append(o.opts, opt)
		o.base = append(o.base, opt.LR())
		o.match = append(o.match, g.Match)
	}
	o.parts = make([][]*graph.Param, len(o.opts))
	return o, nil
}

// groupOptimizer dispatches each param to the optimizer of its group.
type groupOptimizer struct {
	opts  []Optimizer // Default first
	base  []float64   // configured learning rates
	match []Matcher   // of opts[1:]
	lr    float64
	parts [][]*graph.Param // reused by Step
	owner map[string]int   // param name -> index in opts, memoised
	// pending holds restored state of params whose group is not known yet; the
	// first Step that sees such a param hands its state to its group.
	pending map[string]ParamState
}

func (o *groupOptimizer) LR() float64 { return o.lr }

func (o *groupOptimizer) SetLR(lr float64) {
	o.lr = lr
	for i, opt := range o.opts {
		if o.base[0] == 0 {
			opt.SetLR(lr)
			continue
		}
		opt.SetLR(lr * (o.base[i] / o.base[0]))
	}
}

func (o *groupOptimizer) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Groups(default=%v", o.opts[0])
	for i, opt := range o.opts[1:] {
		fmt.Fprintf(&b, ", group%d=%v", i, opt)
	}
	return b.String() + ")"
}

func (o *groupOptimizer) group(p *graph.Param) int {
	if o.owner == nil {
		o.owner = map[string]int{}
	}
	if i, ok := o.owner[p.Name()]; ok {
		return i
	}
	i := 0
	for j, m := range o.match {
		if m(p) {
			i = j + 1
			break
		}
	}
	o.owner[p.Name()] = i
	return i
}

// Step splits params by group and steps each group's optimizer. It checks every
// group before changing any param only as far as each optimizer does: a param
// error in a later group leaves the earlier groups stepped.
func (o *groupOptimizer) Step(params []*graph.Param) error {
	for i := range o.parts {
		clear(o.parts[i])
		o.parts[i] = o.parts[i][:0]
	}
	for i, p := range params {
		if p == nil {
			return errors.Errorf("optim: groups: params[%d] is nil", i)
		}
		g := o.group(p)
		o.parts[g] = append(o.parts[g], p)
		if len(o.pending) > 0 {
			if err := o.settle(p.Name(), g); err != nil {
				return err
			}
		}
	}
	for i, opt := range o.opts {
		if len(o.parts[i]) == 0 {
			continue
		}
		if err := opt.Step(o.parts[i]); err != nil {
			return errors.Wrapf(err, "optim: groups: group %d", i-1)
		}
	}
	return nil
}

// State merges the groups' states; param names are unique across groups.
func (o *groupOptimizer) State() map[string]ParamState {
	out := map[string]ParamState{}
	for _, opt := range o.opts {
		if s, ok := opt.(Stateful); ok {
			maps.Copy(out, s.State())
		}
	}
	maps.Copy(out, o.pending)
	return out
}

// SetState hands each entry to the optimizer of the param's group. The group of a
// param is known once a Step or AssignGroups has seen it (the Trainer assigns all
// its params at once); the state of a param not seen yet is checked against every
// group's buffers and handed over by the first Step that sees the param.
func (o *groupOptimizer) SetState(s map[string]ParamState) error {
	parts := make([]map[string]ParamState, len(o.opts))
	for i := range parts {
		parts[i] = map[string]ParamState{}
	}
	pending := map[string]ParamState{}
	for name, ps := range s {
		g, ok := o.owner[name]
		if !ok {
			if o.acceptor(ps) < 0 {
				return errors.Errorf("optim: groups: state of %q fits no group's optimizer", name)
			}
			pending[name] = ps
			continue
		}
		parts[g][name] = ps
	}
	o.pending = pending
	for i, opt := range o.opts {
		so, ok := opt.(Stateful)
		if !ok {
			if len(parts[i]) > 0 {
				return errors.Errorf("optim: groups: %v cannot restore state", opt)
			}
			continue
		}
		if err := so.SetState(parts[i]); err != nil {
			return errors.Wrap(err, "optim: groups")
		}
	}
	return nil
}

// settle hands the pending state of name, if any, to group g's optimizer.
func (o *groupOptimizer) settle(name string, g int) error {
	ps, ok := o.pending[name]
	if !ok {
		return nil
	}
	delete(o.pending, name)
	so, ok := o.opts[g].(Stateful)
	if !ok {
		return errors.Errorf("optim: groups: %v cannot restore the state of %q", o.opts[g], name)
	}
	st := so.State()
	st[name] = ps
	return errors.Wrap(so.SetState(st), "optim: groups")
}

// acceptor returns the first group whose optimizer uses exactly ps's buffers, or -1.
func (o *groupOptimizer) acceptor(ps ParamState) int {
	for i, opt := range o.opts {
		names, known := slotNames(opt)
		if !known || len(names) != len(ps.Slots) {
			continue
		}
		ok := true
		for _, n := range names {
			ok = ok && ps.Slots[n] != nil
		}
		if ok {
			return i
		}
	}
	return -1
}

// AssignGroups decides now the group of each of params, for an optimizer built by
// Groups or NoWeightDecay, so that SetState can route restored state to the right
// group before the first Step (groups may share buffer names). Call it with the
// params that will be stepped before restoring state; other optimizers ignore it.
func AssignGroups(opt Optimizer, params []*graph.Param) {
	if g, ok := opt.(*groupOptimizer); ok {
		g.assign(params)
	}
}

// assign records the group of each param.
func (o *groupOptimizer) assign(params []*graph.Param) {
	for _, p := range params {
		if p != nil {
			o.group(p)
		}
	}
}

// slotNames returns the buffer names of one of gradflow's optimizers; known is
// false for another optimizer.
func slotNames(o Optimizer) (names []string, known bool) {
	switch o := o.(type) {
	case *sgd:
		return o.state.slots, true
	case *adam:
		return o.state.slots, true
	case *rmsprop:
		return o.state.slots, true
	case *adagrad:
		return o.state.slots, true
	}
	return nil, false
}
