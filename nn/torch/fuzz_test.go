package torch_test

import (
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn/torch"
)

// FuzzReadPT feeds arbitrary bytes to the torch.save reader (zip and legacy): it
// must return an error or tensors, never panic, never run a global outside the
// allowlist, and allocate no more than the input's size suggests. Findings are kept
// in testdata/fuzz/FuzzReadPT.
func FuzzReadPT(f *testing.F) {
	for _, name := range []string{"mlp.pt", "mlp_legacy.pt", "cnn_legacy.pt", "lstm.pt"} {
		f.Add(fixture(f, name))
	}
	f.Add(forbidden())
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := torch.Read(b)
		if err != nil {
			return
		}
		for k, r := range ts {
			if size, ok := graph.RawDTypeSize(r.DType); !ok || len(r.Data) != size*numel(r.Shape) {
				t.Fatalf("%q: %s %v with %d bytes", k, r.DType, r.Shape, len(r.Data))
			}
		}
		_ = torch.LoadTensors(ts, model(t, "mlp", graph.Float32), torch.Cast())
	})
}

// FuzzReadSafetensors feeds arbitrary bytes to the safetensors reader and the
// strict loader.
func FuzzReadSafetensors(f *testing.F) {
	for _, name := range []string{"mlp.safetensors", "mlp_f16.safetensors", "cnn.safetensors"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, _, err := graph.ReadRawTensors(b)
		if err != nil {
			return
		}
		_ = torch.LoadTensors(ts, model(t, "mlp", graph.Float32), torch.Cast())
		_ = torch.LoadTensors(ts, model(t, "cnn", graph.Float32))
	})
}

func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
