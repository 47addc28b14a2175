package torch_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn/torch"
)

var saveModels = []struct {
	name string
	dt   graph.DType
}{{"mlp", graph.Float32}, {"mlp64", graph.Float64}, {"cnn", graph.Float32}, {"lstm", graph.Float32}, {"transformer", graph.Float32}}

// rawFloats encodes values as a raw F32 or F64 tensor.
func rawFloats(dt graph.DType, shape []int, v []float64) graph.RawTensor {
	var buf bytes.Buffer
	for _, x := range v {
		if dt == graph.Float32 {
			binary.Write(&buf, binary.LittleEndian, float32(x))
		} else {
			binary.Write(&buf, binary.LittleEndian, x)
		}
	}
	name := "F32"
	if dt == graph.Float64 {
		name = "F64"
	}
	return graph.RawTensor{DType: name, Shape: shape, Data: buf.Bytes()}
}

// saveModels writes, for each model, gradflow's own weights (its initialisation,
// running statistics moved off their defaults) with torch.Save, and an input with
// gradflow's output, for check_saved.py.
func writeSaved(t *testing.T, dir string) {
	for _, c := range saveModels {
		m := model(t, c.name, c.dt)
		for i, p := range m.Params() {
			if p.Kind() == graph.State { // running_mean, running_var: not 0 and 1
				vals := make([]float64, p.Size())
				for j := range vals {
					vals[j] = 0.5 + 0.1*float64(i+j)
				}
				if err := p.SetValues(vals); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := torch.Save(filepath.Join(dir, c.name+".safetensors"), m); err != nil {
			t.Fatal(err)
		}
		x, _ := readIO(t, c.name)
		xv := floats(t, x)
		y, err := forward(m, c.dt, x.Shape, xv)
		if err != nil {
			t.Fatal(err)
		}
		ts := map[string]graph.RawTensor{"x": rawFloats(c.dt, x.Shape, xv), "y": rawFloats(c.dt, outShape(c.name, x.Shape), y)}
		f, err := os.Create(filepath.Join(dir, c.name+"_io.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		if err := graph.WriteRawTensors(f, ts, nil); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

func outShape(name string, in []int) []int {
	switch name {
	case "mlp", "mlp64", "lstm":
		return []int{in[0], 3}
	case "cnn":
		return []int{in[0], 5}
	}
	return in
}

// Saved weights load back bit for bit, and every key, dtype and shape is the one
// PyTorch's own file of the same module has.
func TestSaveRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeSaved(t, dir)
	for _, c := range saveModels {
		path := filepath.Join(dir, c.name+".safetensors")
		a := model(t, c.name, c.dt)
		b := model(t, c.name, c.dt)
		for _, p := range b.Params() {
			p.Value().Zero()
		}
		saved, err := torch.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := torch.LoadTensors(saved, b); err != nil {
			t.Fatal(err)
		}
		pa, pb := a.Params(), b.Params()
		for i := range pa {
			if pa[i].Kind() == graph.State {
				continue // writeSaved moved them
			}
			if !slices.Equal(pa[i].Float64s(), pb[i].Float64s()) || !slices.Equal(pa[i].Float32s(), pb[i].Float32s()) {
				t.Errorf("%s: %s differs after a round trip", c.name, pa[i].Name())
			}
		}
		theirs, err := torch.ReadFile(filepath.Join(fixtures, c.name+".pt"))
		if err != nil {
			t.Fatal(err)
		}
		for k, tt := range theirs {
			s, ok := saved[k]
			if !ok || s.DType != tt.DType || !slices.Equal(s.Shape, tt.Shape) {
				t.Errorf("%s: %q saved as %s %v, torch's %s %v", c.name, k, s.DType, s.Shape, tt.DType, tt.Shape)
			}
		}
		if len(theirs) != len(saved) {
			t.Errorf("%s: %d entries saved, torch's file has %d", c.name, len(saved), len(theirs))
		}
	}
}

// The saved files load strictly into the PyTorch modules and give gradflow's
// outputs; it runs where Debian's python3-torch is installed, and skips elsewhere.
func TestSavedLoadInTorch(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skipf("no PyTorch (%s -c 'import torch': %v)", py, err)
	}
	dir := t.TempDir()
	writeSaved(t, dir)
	out, err := exec.Command(py, filepath.Join(fixtures, "check_saved.py"), dir).CombinedOutput()
	t.Logf("check_saved.py:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}
}

// As writes float16 and bfloat16 with PyTorch's rounding: the bits of the fixture
// that torch's .half() and .bfloat16() made from the same float32 weights.
func TestSaveHalfRounding(t *testing.T) {
	for _, dt := range []string{"F16", "BF16"} {
		m := model(t, "mlp", graph.Float32)
		if err := torch.Load(filepath.Join(fixtures, "mlp.pt"), m); err != nil {
			t.Fatal(err)
		}
		sd, err := torch.StateDict(m, torch.As(dt))
		if err != nil {
			t.Fatal(err)
		}
		want, err := torch.ReadFile(filepath.Join(fixtures, "mlp_"+map[string]string{"F16": "f16", "BF16": "bf16"}[dt]+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		for k, w := range want {
			if !bytes.Equal(sd[k].Data, w.Data) {
				t.Errorf("%s %q: gradflow's rounding differs from torch's", dt, k)
			}
		}
	}
}
