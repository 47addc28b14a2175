package runtimetest

import (
	"math"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx"
	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn/onnx"
	"github.com/gradflow/gradflow/nn/onnx/onnxtest"
	"gorgonia.org/tensor"
)

// Every test model that gonnx can run gives gradflow's outputs to 1e-5. gonnx
// v1.1.0 implements a subset of opset 13 (no BatchNormalization, pools, Erf,
// ReduceMean, Sqrt, LeakyRelu, LogSoftmax, Identity): a model that uses an operator it
// lacks is reported with the operator and not counted; any other failure, or a
// difference in the outputs, fails the test.
func TestGonnx(t *testing.T) {
	ran, total := 0, 0
	for _, dt := range []graph.DType{graph.Float32} {
		cases, err := onnxtest.Cases(dt)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			total++
			b, err := onnx.Marshal(c.Model, onnx.Config{Input: c.Input})
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			shape := append([]int{c.Batch}, c.Input...)
			want, wshape, err := onnxtest.Forward(c.Model, dt, shape, c.X)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			m, err := gonnx.NewModelFromBytes(b)
			if err != nil {
				t.Logf("%s: not run: gonnx cannot build it: %v", c.Name, err)
				continue
			}
			x := make([]float32, len(c.X))
			for i, v := range c.X {
				x[i] = float32(v)
			}
			out, err := m.Run(gonnx.Tensors{"input": tensor.New(tensor.WithShape(shape...), tensor.WithBacking(x))})
			if err != nil {
				if strings.Contains(err.Error(), "unsupported operator") {
					t.Logf("%s: not run: %v", c.Name, err)
					continue
				}
				t.Errorf("%s: gonnx: %v", c.Name, err)
				continue
			}
			y := out["output"]
			got, ok := y.Data().([]float32)
			if !ok || len(got) != len(want) {
				t.Errorf("%s: gonnx output %T shape %v, gradflow's %v", c.Name, y.Data(), y.Shape(), wshape)
				continue
			}
			d := 0.0
			for i := range got {
				d = math.Max(d, math.Abs(float64(got[i])-want[i]))
			}
			if d > 1e-5 {
				t.Errorf("%s: max |gonnx - gradflow| = %g, want <= 1e-5", c.Name, d)
				continue
			}
			ran++
			t.Logf("%s: gonnx matches gradflow, max diff %.3g", c.Name, d)
		}
	}
	t.Logf("gonnx ran %d of %d models", ran, total)
	if ran == 0 {
		t.Fatal("gonnx ran no model")
	}
}
