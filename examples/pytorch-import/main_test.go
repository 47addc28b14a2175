package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gradflow/gradflow/nn/torch"
)

// The example runs on the committed fixture and writes both files; the saved file
// has PyTorch's keys.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	if err := run("../../testdata/interop/mlp.pt", dir, 5); err != nil {
		t.Fatal(err)
	}
	ts, err := torch.ReadFile(filepath.Join(dir, "mlp_finetuned.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"0.weight", "0.bias", "2.weight", "2.bias"} {
		if _, ok := ts[k]; !ok {
			t.Errorf("no %q in the saved file", k)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "mlp.onnx")); err != nil || fi.Size() == 0 {
		t.Errorf("mlp.onnx: %v", err)
	}
}
