package torch_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn/torch"
)

// PyTorch's weights, from every file format, give PyTorch's outputs.
func TestLoadMatchesTorch(t *testing.T) {
	cases := []struct {
		name string
		dt   graph.DType
		tol  float64
		opts []torch.Option
	}{
		{"mlp", graph.Float32, 1e-5, nil},
		{"mlp64", graph.Float64, 1e-10, nil},
		{"cnn", graph.Float32, 1e-5, nil},
		{"lstm", graph.Float32, 1e-5, nil},
		{"transformer", graph.Float32, 1e-5, nil},
		// float16 and bfloat16 weights widen exactly: the outputs are those of the
		// rounded weights in float32.
		{"mlp_f16", graph.Float32, 1e-5, []torch.Option{torch.Cast()}},
		{"mlp_bf16", graph.Float32, 1e-5, []torch.Option{torch.Cast()}},
	}
	for _, c := range cases {
		files := []string{c.name + ".safetensors"}
		if !strings.Contains(c.name, "_") {
			files = append(files, c.name+".pt", c.name+"_legacy.pt")
		}
		x, y := readIO(t, c.name)
		for _, f := range files {
			t.Run(f, func(t *testing.T) {
				m := model(t, c.name, c.dt)
				if err := torch.Load(filepath.Join(fixtures, f), m, c.opts...); err != nil {
					t.Fatal(err)
				}
				got, err := forward(m, c.dt, x.Shape, floats(t, x))
				if err != nil {
					t.Fatal(err)
				}
				if d := maxDiff(got, floats(t, y)); d > c.tol {
					t.Errorf("max |gradflow - torch| = %g, want <= %g", d, c.tol)
				}
			})
		}
	}
}

// Without Cast, a float16 file is reported, every entry at once, and nothing loads.
func TestLoadHalfNeedsCast(t *testing.T) {
	m := model(t, "mlp", graph.Float32)
	before := append([]float32(nil), m.Params()[0].Float32s()...)
	err := torch.Load(filepath.Join(fixtures, "mlp_f16.safetensors"), m)
	var le *torch.LoadError
	if !errors.As(err, &le) || len(le.Mismatched) != 4 || !strings.Contains(err.Error(), "torch.Cast()") {
		t.Fatalf("err = %v, want 4 mismatched entries naming torch.Cast()", err)
	}
	if got := m.Params()[0].Float32s(); got[0] != before[0] {
		t.Error("a failed load changed a param")
	}
}

// A strict load reports missing, unexpected and misshapen entries together; Rename
// and Skip fix them.
func TestLoadStrictAndOptions(t *testing.T) {
	path := filepath.Join(fixtures, "cnn.safetensors")
	ts, err := torch.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts["module.extra"] = ts["0.bias"]
	ts["7.weight"] = ts["0.bias"] // wrong shape
	delete(ts, "1.running_mean")
	m := model(t, "cnn", graph.Float32)
	err = torch.LoadTensors(ts, m)
	var le *torch.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LoadError", err)
	}
	if len(le.Missing) != 1 || le.Missing[0] != "1.running_mean" || len(le.Unexpected) != 1 ||
		le.Unexpected[0] != "module.extra" || len(le.Mismatched) != 1 || !strings.HasPrefix(le.Mismatched[0], `"7.weight"`) {
		t.Fatalf("LoadError = %+v", le)
	}
	// Skip the head and the statistics (they keep their values), drop the extra.
	err = torch.LoadTensors(ts, m, torch.Skip(`^7\.|^1\.running|^module\.`))
	if err != nil {
		t.Fatal(err)
	}
	// Rename: a file whose keys carry DataParallel's prefix.
	pre := map[string]graph.RawTensor{}
	for k, v := range ts {
		pre["module."+k] = v
	}
	if err := torch.LoadTensors(pre, m, torch.Rename(`^module\.`, ""), torch.Skip(`^7\.|^1\.running|^module\.extra`)); err != nil {
		t.Fatal(err)
	}
	if err := torch.LoadTensors(pre, m, torch.Rename(`(`, "")); err == nil {
		t.Error("a bad pattern loaded")
	}
}

// The keys come from the layers: Sequential positions with fused activations, "_l0"
// suffixes, num_batches_tracked, attention's in_proj.
func TestStateDictKeys(t *testing.T) {
	want := map[string][]string{
		"mlp":         {"0.weight", "0.bias", "2.weight", "2.bias"},
		"cnn":         {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "4.weight", "4.bias", "7.weight", "7.bias"},
		"lstm":        {"lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "fc.weight", "fc.bias"},
		"transformer": {"self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"},
	}
	for name, keys := range want {
		sd, err := torch.StateDict(model(t, name, graph.Float32))
		if err != nil {
			t.Fatal(err)
		}
		file, err := torch.ReadFile(filepath.Join(fixtures, name+".pt"))
		if err != nil {
			t.Fatal(err)
		}
		if len(sd) != len(keys) || len(file) != len(keys) {
			t.Errorf("%s: %d keys, torch's file %d, want %d", name, len(sd), len(file), len(keys))
		}
		for _, k := range keys {
			if _, ok := sd[k]; !ok {
				t.Errorf("%s: no key %q", name, k)
			}
			if f, ok := file[k]; ok && sd[k].DType != f.DType {
				t.Errorf("%s: %q is %s, torch's %s", name, k, sd[k].DType, f.DType)
			}
		}
	}
}
