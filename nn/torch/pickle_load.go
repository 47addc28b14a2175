package torch

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
	"github.com/pkg/errors"
)

// storageClass is a typed storage global (torch.FloatStorage): its dtype.
type storageClass struct{ dtype string }

// storageRef is a storage that a pickle refers to by key; its bytes are read from
// the file's records once the pickle is read.
type storageRef struct {
	key   string
	dtype string
	numel int
	data  []byte
}

// tensorRef is a tensor the pickle rebuilt: a strided view of a storage.
type tensorRef struct {
	storage       *storageRef
	offset        int
	shape, stride []int
}

// rebuildTensor is torch._utils._rebuild_tensor_v2(storage, storage_offset, size,
// stride, requires_grad, backward_hooks[, metadata]).
type rebuildTensor struct{}

func (rebuildTensor) Call(args ...any) (any, error) {
	if len(args) < 4 {
		return nil, errors.Errorf("_rebuild_tensor_v2 takes at least 4 arguments, got %d", len(args))
	}
	st, ok := args[0].(*storageRef)
	if !ok {
		return nil, errors.Errorf("_rebuild_tensor_v2: storage is a %T", args[0])
	}
	off, err := pyInt(args[1])
	if err == nil && off < 0 {
		err = errors.Errorf("negative offset %d", off)
	}
	if err != nil {
		return nil, errors.Wrap(err, "_rebuild_tensor_v2: storage_offset")
	}
	shape, err := pyInts(args[2])
	if err != nil {
		return nil, errors.Wrap(err, "_rebuild_tensor_v2: size")
	}
	stride, err := pyInts(args[3])
	if err != nil {
		return nil, errors.Wrap(err, "_rebuild_tensor_v2: stride")
	}
	if len(shape) != len(stride) {
		return nil, errors.Errorf("_rebuild_tensor_v2: size %v and stride %v differ in rank", shape, stride)
	}
	return &tensorRef{storage: st, offset: off, shape: shape, stride: stride}, nil
}

// rebuildParameter is torch._utils._rebuild_parameter(data, requires_grad,
// backward_hooks): the parameter is its data.
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, errors.New("_rebuild_parameter takes 3 arguments, got none")
	}
	t, ok := args[0].(*tensorRef)
	if !ok {
		return nil, errors.Errorf("_rebuild_parameter: data is a %T", args[0])
	}
	return t, nil
}

// maxDims bounds a tensor's rank.
const maxDims = 16

func pyInt(v any) (int, error) {
	switch n := v.(type) {
	case int:
		return n, nil
	case *big.Int:
		if n.IsInt64() && n.Int64() >= 0 && n.Int64() <= 1<<53 {
			return int(n.Int64()), nil
		}
		return 0, errors.Errorf("integer %v out of range", n)
	}
	return 0, errors.Errorf("%T, want an integer", v)
}

func pyInts(v any) ([]int, error) {
	var items []any
	switch t := v.(type) {
	case *types.Tuple:
		items = *t
	case *types.List:
		items = *t
	default:
		return nil, errors.Errorf("%T, want a tuple of integers", v)
	}
	if len(items) > maxDims {
		return nil, errors.Errorf("%d dimensions, at most %d", len(items), maxDims)
	}
	out := make([]int, len(items))
	for i, it := range items {
		n, err := pyInt(it)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, errors.Errorf("negative size or stride %d", n)
		}
		out[i] = n
	}
	return out, nil
}

// findClass resolves the allowlisted globals to gradflow's values; anything else is
// refused (scanPickle has refused it already: this is the second lock).
func findClass(module, name string) (any, error) {
	full := module + "." + name
	dt, ok := allowedGlobals[full]
	switch {
	case !ok:
		return nil, &ForbiddenGlobalError{Global: full, Offset: -1}
	case full == "torch._utils._rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case full == "torch._utils._rebuild_parameter":
		return rebuildParameter{}, nil
	case dt != "":
		return &storageClass{dtype: dt}, nil
	}
	return nil, errors.Errorf("global %s is handled by the unpickler", full)
}

// unpickle runs the scanned pickle p. Persistent ids ('storage', class, key,
// location, numel[, view]) become storageRefs, one per key, recorded in storages.
func unpickle(p []byte, storages map[string]*storageRef) (any, error) {
	u := pickle.NewUnpickler(bytes.NewReader(p))
	u.FindClass = findClass
	u.PersistentLoad = func(id any) (any, error) {
		t, ok := id.(*types.Tuple)
		if !ok || t.Len() < 5 {
			return nil, errors.Errorf("persistent id %v, want ('storage', class, key, location, size)", id)
		}
		if s, _ := t.Get(0).(string); s != "storage" {
			return nil, errors.Errorf("persistent id of type %v, want 'storage'", t.Get(0))
		}
		cls, ok := t.Get(1).(*storageClass)
		if !ok {
			return nil, errors.Errorf("storage class is a %T", t.Get(1))
		}
		key, ok := t.Get(2).(string)
		if !ok {
			return nil, errors.Errorf("storage key is a %T", t.Get(2))
		}
		numel, err := pyInt(t.Get(4))
		if err == nil && (numel < 0 || numel > 1<<53) {
			err = errors.Errorf("%d elements", numel)
		}
		if err != nil {
			return nil, errors.Wrapf(err, "storage %q: size", key)
		}
		if t.Len() > 5 && t.Get(5) != nil {
			return nil, errors.Errorf("storage %q is a view of another storage, which gradflow does not read", key)
		}
		if prev, ok := storages[key]; ok {
			if prev.dtype != cls.dtype || prev.numel != numel {
				return nil, errors.Errorf("storage %q is %s[%d] and %s[%d]", key, prev.dtype, prev.numel, cls.dtype, numel)
			}
			return prev, nil
		}
		s := &storageRef{key: key, dtype: cls.dtype, numel: numel}
		storages[key] = s
		return s, nil
	}
	return loadRecovered(&u)
}

// loadRecovered runs the unpickler, turning a panic inside it (gopickle hashes dict
// keys in a Go map, and an unhashable key panics) into an error.
func loadRecovered(u *pickle.Unpickler) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, errors.Errorf("pickle: malformed (the unpickler failed: %v)", r)
		}
	}()
	if v, err = u.Load(); err != nil {
		return nil, errors.Wrap(err, "pickle")
	}
	return v, nil
}

// stateDict finds the tensors of the unpickled object: a dict (or OrderedDict) of
// tensors, or a checkpoint dict holding one under "state_dict" or
// "model_state_dict". PyTorch's state_dict carries a "_metadata" attribute, which
// the unpickler stores as an entry; it is dropped.
func stateDict(v any) (map[string]*tensorRef, error) {
	entries, err := dictEntries(v)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"state_dict", "model_state_dict"} {
		for _, e := range entries {
			if e.key == k {
				if inner, err := dictEntries(e.value); err == nil {
					entries = inner
				}
			}
		}
	}
	out := make(map[string]*tensorRef, len(entries))
	for _, e := range entries {
		t, ok := e.value.(*tensorRef)
		if !ok {
			if e.key == "_metadata" {
				continue
			}
			return nil, errors.Errorf("entry %q is a %s, not a tensor", e.key, pyType(e.value))
		}
		out[e.key] = t
	}
	return out, nil
}

type entry struct {
	key   string
	value any
}

func dictEntries(v any) ([]entry, error) {
	var out []entry
	add := func(k, val any) error {
		s, ok := k.(string)
		if !ok {
			return errors.Errorf("a key is a %s, not a string", pyType(k))
		}
		out = append(out, entry{s, val})
		return nil
	}
	switch d := v.(type) {
	case *types.OrderedDict:
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			if err := add(e.Key, e.Value); err != nil {
				return nil, err
			}
		}
	case *types.Dict:
		for _, e := range *d {
			if err := add(e.Key, e.Value); err != nil {
				return nil, err
			}
		}
	default:
		return nil, errors.Errorf("the file holds a %s, want a dict of tensors (a state_dict)", pyType(v))
	}
	return out, nil
}

func pyType(v any) string {
	switch v.(type) {
	case *tensorRef:
		return "tensor"
	case *types.OrderedDict, *types.Dict:
		return "dict"
	case *types.List:
		return "list"
	case *types.Tuple:
		return "tuple"
	case string:
		return "string"
	case int, *big.Int:
		return "int"
	case float64:
		return "float"
	case nil:
		return "None"
	}
	return fmt.Sprintf("%T", v)
}
