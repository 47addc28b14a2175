package onnx_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/nn/onnx"
	"github.com/gradflow/gradflow/nn/onnx/onnxtest"
	"gorgonia.org/gorgonia"
)

// Every test model exports, its gradflow forward runs, and where Debian's
// python3-onnx is installed every file passes onnx.checker.check_model (full check,
// with shape inference).
func TestExportChecker(t *testing.T) {
	dir := t.TempDir()
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		cases, err := onnxtest.Cases(dt)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if _, _, err := onnxtest.Forward(c.Model, dt, append([]int{c.Batch}, c.Input...), c.X); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			path := filepath.Join(dir, c.Name+"_"+dt.String()+".onnx")
			if err := onnx.ExportFile(path, c.Model, onnx.Config{Input: c.Input}); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
		}
	}
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import onnx").Run(); err != nil {
		t.Skipf("no python3-onnx (%v): the files were written but not checked", err)
	}
	script := `import onnx, sys, glob
n = 0
for f in sorted(glob.glob(sys.argv[1] + "/*.onnx")):
    m = onnx.load(f)
    onnx.checker.check_model(m, full_check=True)
    assert m.opset_import[0].version == 13
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    n += 1
print("checked", n, "models")`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if !strings.Contains(string(out), "checked "+itoa(len(entries))) {
		t.Errorf("checker output %q, want all %d models", out, len(entries))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

type custom struct{}

func (custom) Forward(_ *graph.Graph, x *gorgonia.Node) (*gorgonia.Node, error) { return x, nil }
func (custom) Params() []*graph.Param                                           { return nil }

// A layer the exporter does not know is an error naming it and where it sits.
func TestExportUnsupported(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	m, err := nn.NewSequential(s.Sub("net"), nn.LinearConfig{In: 2, Out: 2}, nn.Use(custom{}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = onnx.Marshal(m, onnx.Config{Input: []int{2}})
	if err == nil || !strings.Contains(err.Error(), "onnx_test.custom") || !strings.Contains(err.Error(), "layer 1") {
		t.Fatalf("err = %v, want one naming onnx_test.custom at layer 1", err)
	}
}
