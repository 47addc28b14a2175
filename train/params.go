package train

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
)

// SaveParams writes the params' values to path as a safetensors file, atomically,
// under their names (a state dict other tools can read), with optional metadata.
func SaveParams(path string, params []*graph.Param, meta map[string]string) error {
	tensors := map[string]*tensor.Dense{}
	for _, p := range params {
		if _, dup := tensors[p.Name()]; dup {
			return errors.Errorf("train: SaveParams: param %q appears twice", p.Name())
		}
		tensors[p.Name()] = p.Value()
	}
	m := map[string]string{metaFormat: metaFormatName, metaKind: "params"}
	for k, v := range meta {
		m[k] = v
	}
	if err := writeFileAtomic(path, func(w io.Writer) error { return WriteTensors(w, tensors, m) }); err != nil {
		return errors.Wrapf(err, "train: SaveParams %s", path)
	}
	return nil
}

// LoadOption changes what LoadParams accepts.
type LoadOption func(*loadConfig)

type loadConfig struct {
	partial bool
	match   Matcher
}

// Partial loads the params that the file has and ignores the rest: params missing
// from the file keep their values and tensors the model lacks are skipped (loading a
// pretrained body into a model with a new head). A shape mismatch is still an error.
func Partial() LoadOption { return func(c *loadConfig) { c.partial = true } }

// Select loads only the params that m selects (and expects only those in the file,
// unless Partial is given too).
func Select(m Matcher) LoadOption { return func(c *loadConfig) { c.match = m } }

// LoadError lists every way a file and a model disagree.
type LoadError struct {
	Missing    []string // params of the model that the file lacks
	Unexpected []string // tensors of the file that the model lacks
	Mismatched []string // "name: file has F32 [3 4], model has float32 [4 3]"
}

func (e *LoadError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("missing from the file: %q", e.Missing))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("not in the model: %q", e.Unexpected))
	}
	if len(e.Mismatched) > 0 {
		parts = append(parts, "shapes differ: "+strings.Join(e.Mismatched, "; "))
	}
	return "params do not fit: " + strings.Join(parts, "; ")
}

// LoadParams reads params saved by SaveParams or SaveCheckpoint from path into
// params. It is strict by default: params missing from the file, tensors the model
// lacks (other than a checkpoint's optimizer state) and shapes that differ are all
// reported at once in a *LoadError, and no param is changed. Float32 and float64
// convert into the param's dtype. See Partial and Select to load a subset.
func LoadParams(path string, params []*graph.Param, opts ...LoadOption) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return errors.Wrap(err, "train: LoadParams")
	}
	if err := loadParams(b, params, opts...); err != nil {
		return errors.Wrapf(err, "train: LoadParams %s", path)
	}
	return nil
}

func loadParams(b []byte, params []*graph.Param, opts ...LoadOption) error {
	var cfg loadConfig
	for _, o := range opts {
		o(&cfg)
	}
	f, err := parseSafetensors(b)
	if err != nil {
		return err
	}
	plan, err := planLoad(f, params, cfg)
	if err != nil {
		return err
	}
	plan.apply()
	return nil
}

// loadPlan is a checked load, applied only when every param fits.
type loadPlan struct {
	f      *stFile
	params []*graph.Param
	names  []string // tensor name for each param
}

func planLoad(f *stFile, params []*graph.Param, cfg loadConfig) (*loadPlan, error) {
	plan := &loadPlan{f: f}
	var le LoadError
	wanted := map[string]bool{}
	for _, p := range params {
		if p == nil {
			return nil, errors.New("nil param")
		}
		if cfg.match != nil && !cfg.match(p) {
			continue
		}
		wanted[p.Name()] = true
		e, ok := f.entries[p.Name()]
		if !ok {
			if !cfg.partial {
				le.Missing = append(le.Missing, p.Name())
			}
			continue
		}
		shape, _ := f.shape(p.Name())
		if !sameShape(shape, p.Shape()) {
			le.Mismatched = append(le.Mismatched, fmt.Sprintf("%q: file has %s %v, model has %v %v",
				p.Name(), e.DType, shape, p.DType(), p.Shape()))
			continue
		}
		plan.params = append(plan.params, p)
		plan.names = append(plan.names, p.Name())
	}
	if !cfg.partial && cfg.match == nil {
		for name := range f.entries {
			if !wanted[name] && !strings.HasPrefix(name, optimPrefix) {
				le.Unexpected = append(le.Unexpected, name)
			}
		}
	}
	if len(le.Missing)+len(le.Unexpected)+len(le.Mismatched) > 0 {
		slices.Sort(le.Missing)
		slices.Sort(le.Unexpected)
		slices.Sort(le.Mismatched)
		return nil, &le
	}
	return plan, nil
}

// sameShape compares shapes, taking a scalar as equal to a one-element vector
// (gorgonia stores scalars either way).
func sameShape(file, model []int) bool {
	if slices.Equal(file, model) {
		return true
	}
	return prodInts(file) == 1 && prodInts(model) == 1 && len(file) <= 1 && len(model) <= 1
}

func prodInts(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func (p *loadPlan) apply() {
	for i, param := range p.params {
		p.f.decodeInto(p.names[i], param.Value())
	}
}
