package bench

import (
	"slices"
	"strings"
	"sync"

	_ "github.com/gradflow/gradflow/graph" // installs gradflow's GEMM
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas/gonum"
	"gorgonia.org/gorgonia"
)

// The systems the harness knows. A workload may be implemented by several of them;
// PyTorch runs once per thread configuration, as "pytorch-1t", "pytorch-2t", ...
const (
	Gradflow = "gradflow" // gradflow's own packages (graph, nn, train)
	Gorgonia = "gorgonia" // the same model written directly with gorgonia's API and solvers
	PyTorch  = "pytorch"  // the reference scripts in bench/reference, one system per thread count
)

// Setup prepares one system's implementation of a workload: it builds the model, loads
// its data, and returns the Instance whose Step the harness times. It is called once per
// worker process (or once in-process), before the first warm-up step.
type Setup func(env *Env) (*Instance, error)

// Instance is a workload set up and ready to run.
type Instance struct {
	// Step runs one step: a training step (batch, forward, backward, optimizer
	// update) or one operation (a GEMM). It is what the harness times. Required.
	Step func() error
	// Check, if not nil, reports the quality of the results after the timed steps
	// (test accuracy, final loss, numeric error), so that speed is never bought with
	// wrong results. It is not timed.
	Check func() (Quality, error)
	// Close, if not nil, releases the instance.
	Close func() error
}

// Workload is one benchmark: a named model or operation that each system implements.
// Register it to make it known to the harness and to gradbench's -workload flag.
type Workload struct {
	// Name identifies the workload: lower case, words joined by '-' ("mlp-f32").
	// The -workload flag selects it by its name or by any prefix that ends before a
	// '-' ("mlp" selects "mlp-f32" and "mlp-f64").
	Name string
	// Description says what the workload is, in one line.
	Description string
	// Samples is the number of samples a step processes (its batch size); 0 when a
	// step is not a batch of samples (GEMM).
	Samples int
	// FLOPs is the number of floating-point operations of a step, 0 if not counted;
	// when set, reports give GFLOP/s.
	FLOPs float64
	// Warmup and Steps are the default number of warm-up and timed steps per round.
	// Zero means 10 and 100.
	Warmup, Steps int
	// Setup builds gradflow's implementation. Required.
	Setup Setup
	// Gorgonia builds the same workload written directly with gorgonia's API (no
	// gradflow package), to show the cost or gain of gradflow's layer. Optional.
	Gorgonia Setup
	// Reference names the workload in bench/reference/worker.py, usually Name; ""
	// means there is no PyTorch reference.
	Reference string
}

// Default step counts of a Workload whose Warmup or Steps is zero.
const (
	DefaultWarmup = 10
	DefaultSteps  = 100
)

func (w *Workload) warmup() int {
	if w.Warmup > 0 {
		return w.Warmup
	}
	return DefaultWarmup
}

func (w *Workload) steps() int {
	if w.Steps > 0 {
		return w.Steps
	}
	return DefaultSteps
}

// setupFor returns the Setup of a Go system, or nil if w has none.
func (w *Workload) setupFor(system string) Setup {
	switch system {
	case Gradflow:
		return withBLAS(gradflowBLAS, w.Setup)
	case Gorgonia:
		return withBLAS(gonum.Implementation{}, w.Gorgonia)
	}
	return nil
}

// gradflowBLAS is the BLAS gradflow installs (graph's init) when it is imported.
var gradflowBLAS = gorgonia.WhichBLAS()

// withBLAS makes each system run with its own BLAS: gradflow with its GEMM, raw
// gorgonia with gorgonia's default (gonum), even when both run in one process. The
// gradbench binary imports graph, which installs gradflow's GEMM for the whole
// process; without this the raw gorgonia peer would silently use it too.
func withBLAS(b gorgonia.BLAS, s Setup) Setup {
	if s == nil {
		return nil
	}
	return func(env *Env) (*Instance, error) {
		gorgonia.Use(b)
		in, err := s(env)
		if err != nil || in == nil {
			return in, err
		}
		if step := in.Step; step != nil {
			in.Step = func() error { gorgonia.Use(b); return step() }
		}
		if check := in.Check; check != nil {
			in.Check = func() (Quality, error) { gorgonia.Use(b); return check() }
		}
		return in, nil
	}
}

// validate checks the fields a Workload must have.
func (w *Workload) validate() error {
	if w.Name == "" {
		return errors.New("bench: workload with an empty name")
	}
	if w.Name != strings.ToLower(w.Name) || strings.ContainsAny(w.Name, " \t/,") {
		return errors.Errorf("bench: workload %q: name must be lower case without spaces, '/' or ','", w.Name)
	}
	if w.Setup == nil {
		return errors.Errorf("bench: workload %q: Setup is nil", w.Name)
	}
	if w.Samples < 0 || w.FLOPs < 0 || w.Warmup < 0 || w.Steps < 0 {
		return errors.Errorf("bench: workload %q: Samples %d, FLOPs %g, Warmup %d, Steps %d: want >= 0",
			w.Name, w.Samples, w.FLOPs, w.Warmup, w.Steps)
	}
	return nil
}

// Registry holds workloads by name. The package-level functions Register, Lookup and
// Select use a default registry that holds the built-in workloads.
type Registry struct {
	mu    sync.Mutex
	m     map[string]*Workload
	order []string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{m: map[string]*Workload{}} }

// Register adds w. It returns an error if w is invalid or its name is taken.
func (r *Registry) Register(w Workload) error {
	if err := w.validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[w.Name]; dup {
		return errors.Errorf("bench: workload %q registered twice", w.Name)
	}
	r.m[w.Name] = &w
	r.order = append(r.order, w.Name)
	return nil
}

// Lookup returns the workload with this exact name, or nil.
func (r *Registry) Lookup(name string) *Workload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[name]
}

// Names returns the registered names in registration order.
func (r *Registry) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.order)
}

// Select returns the workloads that the comma-separated patterns name, each once, in
// registration order. A pattern matches a workload whose name equals it or starts
// with it followed by '-'; "all" matches every workload. A pattern that matches nothing
// is an error that lists the known names.
func (r *Registry) Select(patterns string) ([]*Workload, error) {
	names := r.Names()
	chosen := map[string]bool{}
	for _, p := range strings.Split(patterns, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		found := false
		for _, n := range names {
			if p == "all" || n == p || strings.HasPrefix(n, p+"-") {
				found, chosen[n] = true, true
			}
		}
		if !found {
			return nil, errors.Errorf("bench: no workload matches %q; known: %s", p, strings.Join(names, ", "))
		}
	}
	var out []*Workload
	for _, n := range names {
		if chosen[n] {
			out = append(out, r.Lookup(n))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("bench: no workload selected")
	}
	return out, nil
}

var defaultRegistry = NewRegistry()

// Register adds w to the default registry, which gradbench uses. Call it from an
// init function or before Main. It returns an error if w is invalid or its name is
// taken.
func Register(w Workload) error { return defaultRegistry.Register(w) }

// MustRegister is Register for package-level initialisation; it panics on error.
func MustRegister(w Workload) {
	if err := Register(w); err != nil {
		panic(err)
	}
}

// Lookup returns the workload of the default registry with this exact name, or nil.
func Lookup(name string) *Workload { return defaultRegistry.Lookup(name) }

// Select returns the workloads of the default registry that patterns name (see
// Registry.Select).
func Select(patterns string) ([]*Workload, error) { return defaultRegistry.Select(patterns) }

// Names returns the names of the default registry's workloads, sorted.
func Names() []string { return defaultRegistry.Names() }
