package onnx_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn/onnx"
	"github.com/gradflow/gradflow/nn/onnx/onnxtest"
)

// ortModules returns the node_modules folder holding onnxruntime-node:
// $GRADFLOW_ORT_MODULES, or the one .ci/run installs into,
// $HOME/.cache/gradflow/onnxruntime/node_modules; "" when there is none.
func ortModules() string {
	dirs := []string{os.Getenv("GRADFLOW_ORT_MODULES")}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "gradflow", "onnxruntime", "node_modules"))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "onnxruntime-node", "package.json")); err == nil {
			return d
		}
	}
	return ""
}

type ortCase struct {
	File  string    `json:"file"`
	DType string    `json:"dtype"`
	Shape []int     `json:"shape"`
	X     []float64 `json:"x"`
	Opt   string    `json:"opt"` // onnxruntime's graphOptimizationLevel
}

type ortResult struct {
	Shape []int     `json:"shape"`
	Y     []float64 `json:"y"`
	Error string    `json:"error"`
}

// TestONNXRuntime runs every exported test model in ONNX Runtime (onnxruntime-node
// 1.30, the CPU runtime servers use), on the test batch and on a batch of one (the
// batch dimension is dynamic), and requires gradflow's outputs. float32, with the
// runtime's graph optimizations on (as served): every model, to 1e-5. float64, with
// them off (its fused kernels compute in float32): to 1e-10, for the models whose
// operators the runtime's CPU provider has double kernels for; a model it has none
// for is logged, not failed. It skips without node and onnxruntime-node (.ci/run
// installs them with npm).
func TestONNXRuntime(t *testing.T) {
	mods := ortModules()
	node, err := exec.LookPath("node")
	if mods == "" || err != nil {
		t.Skip("no node with onnxruntime-node (set GRADFLOW_ORT_MODULES, or let .ci/run install it): not run")
	}
	dir := t.TempDir()
	var cases []ortCase
	var want [][]float64
	var wantShape [][]int
	var names []string
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		cs, err := onnxtest.Cases(dt)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			file := filepath.Join(dir, c.Name+"_"+dt.String()+".onnx")
			if err := onnx.ExportFile(file, c.Model, onnx.Config{Input: c.Input}); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			per := len(c.X) / c.Batch
			for _, batch := range []int{c.Batch, 1} {
				shape := append([]int{batch}, c.Input...)
				x := c.X[:batch*per]
				y, ys, err := onnxtest.Forward(c.Model, dt, shape, x)
				if err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
				opt := "all"
				if dt == graph.Float64 {
					opt = "disabled"
				}
				cases = append(cases, ortCase{File: file, DType: dt.String(), Shape: shape, X: x, Opt: opt})
				want, wantShape = append(want, y), append(wantShape, ys)
				names = append(names, c.Name+"/"+dt.String()+"/batch "+itoa(batch))
			}
		}
	}
	manifest := filepath.Join(dir, "cases.json")
	b, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "ort_run.js"), manifest)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	var stderr strings.Builder
	cmd.Stderr = &stderr // the runtime logs each failed kernel there too
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node testdata/ort_run.js: %v\n%s", err, stderr.String())
	}
	var got []ortResult
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(cases) {
		t.Fatalf("onnxruntime's answer (%d results for %d cases, %v): %.300s", len(got), len(cases), err, out)
	}
	ran64 := 0
	for i, r := range got {
		f32 := cases[i].DType == graph.Float32.String()
		if r.Error != "" && !f32 && (strings.Contains(r.Error, "Could not find an implementation") || strings.Contains(r.Error, "does not support double")) {
			t.Logf("%s: not run: onnxruntime's CPU provider has no double kernel: %s", names[i], r.Error)
			continue
		}
		if r.Error != "" {
			t.Errorf("%s: onnxruntime: %s", names[i], r.Error)
			continue
		}
		if !slices.Equal(r.Shape, wantShape[i]) {
			t.Errorf("%s: onnxruntime's output shape %v, gradflow's %v", names[i], r.Shape, wantShape[i])
			continue
		}
		tol := 1e-10
		if f32 {
			tol = 1e-5
		} else {
			ran64++
		}
		d := 0.0
		for j := range r.Y {
			d = max(d, math.Abs(r.Y[j]-want[i][j])/max(1, math.Abs(want[i][j])))
		}
		if d > tol || math.IsNaN(d) {
			t.Errorf("%s: max difference onnxruntime - gradflow %g, want <= %g", names[i], d, tol)
			continue
		}
		t.Logf("%s: onnxruntime matches gradflow, max difference %.3g", names[i], d)
	}
	if ran64 == 0 {
		t.Error("onnxruntime ran no float64 model")
	}
	t.Logf("onnxruntime ran every float32 case and %d of %d float64 cases", ran64, len(cases)/2)
}
