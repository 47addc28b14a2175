package graph

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// OptimizerPrefix begins the names of the tensors that hold a trainer checkpoint's
// optimizer state ("optimizer/<param>/<buffer>", see train.Trainer.SaveCheckpoint).
// They are not params: the loaders below neither expect nor report them, so a
// checkpoint's weights load like a SaveParams file.
const OptimizerPrefix = "optimizer/"

// The metadata SaveParams writes, beside the caller's.
const (
	metaFormat     = "format"
	metaFormatName = "gradflow"
	metaKind       = "gradflow.kind"
)

// SaveParams writes the params' values to path as a safetensors file, atomically
// (see WriteFileAtomic), under their names (a state dict other tools can read), with
// optional metadata. Weights saved for inference need nothing but the model's params.
func SaveParams(path string, params []*Param, meta map[string]string) error {
	tensors := map[string]*tensor.Dense{}
	for _, p := range params {
		if _, dup := tensors[p.Name()]; dup {
			return errors.Errorf("graph: SaveParams: param %q appears twice", p.Name())
		}
		tensors[p.Name()] = p.Value()
	}
	m := map[string]string{metaFormat: metaFormatName, metaKind: "params"}
	for k, v := range meta {
		m[k] = v
	}
	if err := WriteFileAtomic(path, func(w io.Writer) error { return WriteTensors(w, tensors, m) }); err != nil {
		return errors.Wrapf(err, "graph: SaveParams %s", path)
	}
	return nil
}

// LoadOption changes what LoadParams, SetParams and CheckParams accept.
type LoadOption func(*loadConfig)

type loadConfig struct {
	partial bool
	match   func(*Param) bool
}

// Partial loads the params that the file has and ignores the rest: params missing
// from the file keep their values and tensors the model lacks are skipped (loading a
// pretrained body into a model with a new head). A shape mismatch is still an error,
// and so is a load that would change no param (a wrong file or a wrong Select).
func Partial() LoadOption { return func(c *loadConfig) { c.partial = true } }

// Select loads only the params that match selects (and expects only those in the
// file, unless Partial is given too). A matcher that selects no param is an error. train/optim's matchers (optim.ByKind,
// optim.ByName) have this type.
func Select(match func(p *Param) bool) LoadOption {
	return func(c *loadConfig) { c.match = match }
}

// LoadError lists every way saved tensors (a file, or the map given to SetParams)
// and a model disagree.
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

// LoadParams reads params saved by SaveParams or by a trainer checkpoint from path
// into params. It is strict by default: params missing from the file, tensors the
// model lacks (other than a checkpoint's optimizer state) and shapes that differ are
// all reported at once in a *LoadError, and no param is changed. Float32 and float64
// convert into the param's dtype. See Partial and Select to load a subset.
func LoadParams(path string, params []*Param, opts ...LoadOption) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return errors.Wrap(err, "graph: LoadParams")
	}
	if err := loadParams(b, params, opts...); err != nil {
		return errors.Wrapf(err, "graph: LoadParams %s", path)
	}
	return nil
}

func loadParams(b []byte, params []*Param, opts ...LoadOption) error {
	f, err := parseSafetensors(b)
	if err != nil {
		return err
	}
	plan, err := planLoad(f.entries, params, newLoadConfig(opts))
	if err != nil {
		return err
	}
	for i, p := range plan.params {
		f.decodeInto(plan.names[i], p.Value())
	}
	return nil
}

// SetParams copies tensors into params by name, with LoadParams's rules: strict by
// default (every problem reported at once in a *LoadError, and no param changed),
// float32 and float64 converted into each param's dtype, Partial and Select for
// subsets. The tensors are not retained. Tensors read by ReadTensors give the same
// values, bit for bit, as LoadParams reading the file.
func SetParams(params []*Param, tensors map[string]*tensor.Dense, opts ...LoadOption) error {
	plan, err := planTensors(params, tensors, opts)
	if err != nil {
		return errors.Wrap(err, "graph: SetParams")
	}
	for i, p := range plan.params {
		convertInto(p.Value(), tensors[plan.names[i]])
	}
	return nil
}

// CheckParams reports what SetParams would report for the same arguments, and
// changes nothing: a caller that must change more than the params (a trainer
// restoring a checkpoint) checks everything before it commits anything.
func CheckParams(params []*Param, tensors map[string]*tensor.Dense, opts ...LoadOption) error {
	_, err := planTensors(params, tensors, opts)
	return errors.Wrap(err, "graph: CheckParams")
}

func planTensors(params []*Param, tensors map[string]*tensor.Dense, opts []LoadOption) (*loadPlan, error) {
	entries := make(map[string]stEntry, len(tensors))
	for name, t := range tensors {
		if t == nil {
			return nil, errors.Errorf("tensor %q is nil", name)
		}
		dt, err := stDTypeName(t.Dtype())
		if err != nil {
			return nil, errors.Wrapf(err, "tensor %q", name)
		}
		entries[name] = stEntry{DType: dt, Shape: []int(t.Shape())}
	}
	return planLoad(entries, params, newLoadConfig(opts))
}

func newLoadConfig(opts []LoadOption) loadConfig {
	var cfg loadConfig
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// loadPlan is a checked load, applied only when every param fits.
type loadPlan struct {
	params []*Param
	names  []string // tensor name for each param
}

// planLoad checks the saved tensors described by entries against params.
func planLoad(entries map[string]stEntry, params []*Param, cfg loadConfig) (*loadPlan, error) {
	plan := &loadPlan{}
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
		e, ok := entries[p.Name()]
		if !ok {
			if !cfg.partial {
				le.Missing = append(le.Missing, p.Name())
			}
			continue
		}
		if !sameShape(e.Shape, p.Shape()) {
			le.Mismatched = append(le.Mismatched, fmt.Sprintf("%q: file has %s %v, model has %v %v",
				p.Name(), e.DType, e.Shape, p.DType(), p.Shape()))
			continue
		}
		plan.params = append(plan.params, p)
		plan.names = append(plan.names, p.Name())
	}
	if !cfg.partial && cfg.match == nil {
		for name := range entries {
			if !wanted[name] && !strings.HasPrefix(name, OptimizerPrefix) {
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
	if len(plan.params) == 0 && len(params) > 0 {
		// Partial or Select that loads nothing is a wrong file or a wrong matcher,
		// never what the caller meant.
		switch {
		case len(wanted) == 0:
			return nil, errors.Errorf("Select matched none of the model's %d params (%s, ...)", len(params), params[0].Name())
		default:
			return nil, errors.Errorf("Partial: none of the %d params wanted (%s, ...) is in the saved tensors (%s): nothing would load",
				len(wanted), firstKey(wanted), describeNames(entries))
		}
	}
	return plan, nil
}

func firstKey(m map[string]bool) string {
	keys := slices.Sorted(maps.Keys(m))
	return keys[0]
}

// describeNames lists up to three of the saved tensors' names, for an error.
func describeNames(entries map[string]stEntry) string {
	names := slices.Sorted(maps.Keys(entries))
	switch {
	case len(names) == 0:
		return "none"
	case len(names) > 3:
		return fmt.Sprintf("%d tensors: %s, ...", len(names), strings.Join(names[:3], ", "))
	}
	return fmt.Sprintf("%d tensors: %s", len(names), strings.Join(names, ", "))
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

// convertInto copies src's elements into dst, of the same element count, converting
// between float32 and float64 as decodeInto does: float64 into float32 is rounded,
// the reverse is exact.
func convertInto(dst, src *tensor.Dense) {
	var s32 []float32
	var s64 []float64
	switch d := src.Data().(type) {
	case []float32:
		s32 = d
	case float32: // a scalar may hold a bare value
		s32 = []float32{d}
	case []float64:
		s64 = d
	case float64:
		s64 = []float64{d}
	}
	if dst.Dtype() == tensor.Float32 {
		d := dst.Float32s()
		copy(d, s32)
		for i, v := range s64 {
			d[i] = float32(v)
		}
		return
	}
	d := dst.Float64s()
	copy(d, s64)
	for i, v := range s32 {
		d[i] = float64(v)
	}
}
