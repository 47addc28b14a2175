package torch

import (
	"io"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/pkg/errors"
)

// As makes Save write the float entries in dtype dt: "F32", "F64", "F16" or "BF16"
// (rounded to nearest, ties to even, as PyTorch's .half() and .bfloat16()). The
// default is the model's dtype.
func As(dt string) Option {
	return func(c *config) {
		if !floatDTypes[dt] {
			c.err = errors.Errorf("torch: As(%q), want F16, BF16, F32 or F64", dt)
			return
		}
		c.as = dt
	}
}

// Save writes model's weights to path as a safetensors state_dict with PyTorch's
// keys and layouts (nn.TorchState), atomically (graph.WriteFileAtomic): the
// equivalent PyTorch module loads it with
//
//	module.load_state_dict(safetensors.torch.load_file(path), strict=True)
//
// BatchNorm's num_batches_tracked is written as an int64 0. Rename and Skip apply to
// the keys written; As chooses the float dtype.
func Save(path string, model nn.Layer, opts ...Option) error {
	ts, err := StateDict(model, opts...)
	if err != nil {
		return err
	}
	meta := map[string]string{"format": "pt"}
	if err := graph.WriteFileAtomic(path, func(w io.Writer) error { return graph.WriteRawTensors(w, ts, meta) }); err != nil {
		return errors.Wrapf(err, "torch: Save %s", path)
	}
	return nil
}

// StateDict returns the tensors Save writes, by PyTorch key.
func StateDict(model nn.Layer, opts ...Option) (map[string]graph.RawTensor, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	entries, err := cfg.entries(model)
	if err != nil {
		return nil, errors.Wrap(err, "torch")
	}
	out := make(map[string]graph.RawTensor, len(entries))
	for _, e := range entries {
		k := cfg.rename(e.Key)
		if _, dup := out[k]; dup {
			return nil, errors.Errorf("torch: two entries are written as %q", k)
		}
		out[k] = rawOf(e, cfg.as)
	}
	return out, nil
}
