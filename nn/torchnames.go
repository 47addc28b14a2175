package nn

import (
	"reflect"
	"slices"
	"strings"

	"github.com/gradflow/gradflow/graph"
	"github.com/pkg/errors"
)

// This file maps a gradflow model onto the state_dict of the equivalent PyTorch
// module. gradflow names Params as PyTorch names state_dict entries, with "/" for
// "." (a Sequential numbers its layers as nn.Sequential does, a Linear with an
// Activation taking two positions), so most entries map by name alone; the layers
// whose PyTorch layout or names differ declare it through TorchModule (Linear's
// transposed weight, the recurrent layers' "_l0" suffixes, BatchNorm's
// num_batches_tracked). nn/torch loads and saves through it.

// TorchTensor is one entry of a PyTorch state_dict as a layer declares it.
type TorchTensor struct {
	// Key is the entry's name. A TorchModule gives it in gradflow's scoped form: the
	// layer's scope, "/", then PyTorch's attribute name ("mlp/0/weight",
	// "clf/lstm/weight_ih_l0"). TorchState returns PyTorch's key, relative to the
	// model ("0.weight", "lstm.weight_ih_l0").
	Key string
	// Param holds the entry's value. It is nil for an entry that PyTorch keeps and
	// gradflow does not (BatchNorm's num_batches_tracked): a loader checks its dtype
	// and shape and drops its value, a saver writes zeros.
	Param *graph.Param
	// Transpose says PyTorch stores the transpose of the 2-D Param (Linear's weight is
	// (Out, In) in PyTorch, (In, Out) in gradflow).
	Transpose bool
	// Shape is PyTorch's shape of the entry ([] for a scalar). A TorchModule sets it
	// for an entry with no Param; TorchState fills it in for the others.
	Shape []int
	// DType is the safetensors name of PyTorch's dtype for an entry with no Param
	// ("I64"); "" for a Param's entry, which has the model's float dtype.
	DType string
	// Optional marks an entry a strict load does without (num_batches_tracked, which
	// state_dicts of PyTorch before 0.4.1 lack).
	Optional bool
}

// TorchModule is a layer that declares its PyTorch state_dict entries: every Param
// of the layer (its sub-layers' included) exactly once, with PyTorch's name and
// layout, and the entries PyTorch keeps that have no Param. Every nn layer is one.
// A custom layer need not be: TorchState finds its sub-layers in its exported fields
// and maps the Params left over by name.
type TorchModule interface {
	Layer
	TorchState() []TorchTensor
}

// TorchState returns the state_dict entries of the PyTorch module equivalent to
// model, with PyTorch's keys relative to the model (its scope stripped, "/" written
// as "."), in the order of model.Params(), each entry with no Param after its
// layer's Params. The model's scope is the one it was built in for an nn layer, else
// the longest scope that holds all of its Params; use TorchStateIn to give it.
//
// Entries come from TorchModule where a layer implements it; a layer that does not
// is searched for sub-layers in its exported fields (Layer values, slices and arrays
// of them), and the Params of model.Params() that no layer declared map by name with
// gradflow's layout. Entries whose Params are not in model.Params() are dropped.
func TorchState(model Layer) ([]TorchTensor, error) {
	if isNil(model) {
		return nil, errors.New("nn: TorchState of a nil Layer")
	}
	scope, ok := layerScope(model)
	if !ok {
		scope = commonScope(model.Params())
	}
	return TorchStateIn(model, scope)
}

// TorchStateIn is TorchState with the model's scope given: every key must begin with
// scope + "/" (any key, if scope is "").
func TorchStateIn(model Layer, scope string) ([]TorchTensor, error) {
	if isNil(model) {
		return nil, errors.New("nn: TorchState of a nil Layer")
	}
	params := model.Params()
	order := make(map[*graph.Param]int, len(params))
	for i, p := range params {
		if p == nil {
			return nil, errors.Errorf("nn: TorchState: %s: param %d is nil", label(model), i)
		}
		if _, dup := order[p]; !dup {
			order[p] = i
		}
	}
	found := collectTorch(model, map[Layer]bool{})
	byParam := map[*graph.Param]TorchTensor{}
	var extra []TorchTensor // entries with no Param, kept when a sibling is kept
	for _, e := range found {
		if e.Param == nil {
			extra = append(extra, e)
			continue
		}
		if _, in := order[e.Param]; !in {
			continue
		}
		if _, dup := byParam[e.Param]; !dup {
			byParam[e.Param] = e
		}
	}
	out := make([]TorchTensor, 0, len(params)+len(extra))
	dirs := map[string]bool{}
	for _, p := range params {
		e, ok := byParam[p]
		if !ok {
			e = TorchTensor{Key: p.Name(), Param: p}
		}
		if dup := len(out) > 0 && containsParam(out, p); dup {
			continue
		}
		e.Shape = p.Shape()
		if e.Transpose {
			if len(e.Shape) != 2 {
				return nil, errors.Errorf("nn: TorchState: %q: a transposed entry needs a 2-D param, shape %v", p.Name(), e.Shape)
			}
			e.Shape[0], e.Shape[1] = e.Shape[1], e.Shape[0]
		}
		out = append(out, e)
		dirs[dir(e.Key)] = true
	}
	for _, e := range extra { // after its layer's last Param, as PyTorch orders them
		if !dirs[dir(e.Key)] {
			continue
		}
		at := len(out)
		for i := len(out) - 1; i >= 0; i-- {
			if dir(out[i].Key) == dir(e.Key) {
				at = i + 1
				break
			}
		}
		out = slices.Insert(out, at, e)
	}
	seen := map[string]string{}
	for i := range out {
		k, err := torchKey(out[i].Key, scope)
		if err != nil {
			return nil, errors.Wrapf(err, "nn: TorchState of %s", label(model))
		}
		if prev, dup := seen[k]; dup {
			return nil, errors.Errorf("nn: TorchState of %s: %q and %q both map to PyTorch key %q", label(model), prev, out[i].Key, k)
		}
		seen[k] = out[i].Key
		out[i].Key = k
	}
	return out, nil
}

func containsParam(es []TorchTensor, p *graph.Param) bool {
	for _, e := range es {
		if e.Param == p {
			return true
		}
	}
	return false
}

// collectTorch gathers the entries l and its sub-layers declare.
func collectTorch(l Layer, visiting map[Layer]bool) []TorchTensor {
	if isNil(l) || visiting[l] {
		return nil
	}
	if m, ok := l.(TorchModule); ok {
		return m.TorchState()
	}
	visiting[l] = true
	defer delete(visiting, l)
	var out []TorchTensor
	for _, sub := range subLayers(l) {
		out = append(out, collectTorch(sub, visiting)...)
	}
	return out
}

var layerType = reflect.TypeFor[Layer]()

// subLayers returns the Layers held in the exported fields of the struct l points to.
func subLayers(l Layer) []Layer {
	v := reflect.ValueOf(l)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	var out []Layer
	var add func(f reflect.Value)
	add = func(f reflect.Value) {
		switch {
		case f.Kind() == reflect.Slice || f.Kind() == reflect.Array:
			for i := 0; i < f.Len(); i++ {
				add(f.Index(i))
			}
		case f.Type().Implements(layerType):
			if (f.Kind() == reflect.Pointer || f.Kind() == reflect.Interface) && f.IsNil() {
				return
			}
			out = append(out, f.Interface().(Layer))
		}
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).IsExported() {
			add(v.Field(i))
		}
	}
	return out
}

// torchKey turns a scoped name into PyTorch's key relative to scope.
func torchKey(name, scope string) (string, error) {
	rel := name
	if scope != "" {
		var ok bool
		if rel, ok = strings.CutPrefix(name, scope+"/"); !ok {
			return "", errors.Errorf("param %q is not in the model's scope %q", name, scope)
		}
	}
	return strings.ReplaceAll(rel, "/", "."), nil
}

func dir(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}

// commonScope returns the longest scope that holds every param ("" if none does).
func commonScope(params []*graph.Param) string {
	if len(params) == 0 {
		return ""
	}
	common := strings.Split(dir(params[0].Name()), "/")
	for _, p := range params[1:] {
		parts := strings.Split(dir(p.Name()), "/")
		n := 0
		for n < len(common) && n < len(parts) && common[n] == parts[n] {
			n++
		}
		common = common[:n]
	}
	return strings.Join(common, "/")
}

// scoped is implemented by the nn layers, which know the scope they were built in.
type scoped interface{ scope() string }

// layerScope returns the scope an nn layer was built in.
func layerScope(l Layer) (string, bool) {
	if s, ok := l.(scoped); ok {
		return s.scope(), true
	}
	return "", false
}

// param returns the entry of a Param under its own name; nil p gives none.
func torchParam(p *graph.Param) []TorchTensor {
	if p == nil {
		return nil
	}
	return []TorchTensor{{Key: p.Name(), Param: p}}
}

// torchRenamed returns the entry of p under its scope and PyTorch's name.
func torchRenamed(p *graph.Param, name string) []TorchTensor {
	if p == nil {
		return nil
	}
	return []TorchTensor{{Key: join(dir(p.Name()), name), Param: p}}
}

func join(scope, name string) string {
	if scope == "" {
		return name
	}
	return scope + "/" + name
}

// torchParams returns the entries of params under their own names.
func torchParams(params ...*graph.Param) []TorchTensor {
	var out []TorchTensor
	for _, p := range params {
		out = append(out, torchParam(p)...)
	}
	return out
}

// torchOf returns the entries of sub-layers.
func torchOf(layers ...Layer) []TorchTensor {
	var out []TorchTensor
	for _, l := range layers {
		out = append(out, collectTorch(l, map[Layer]bool{})...)
	}
	return out
}
