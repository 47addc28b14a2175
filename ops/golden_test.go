package ops

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The fixtures are written by testdata/ops/gen.py with PyTorch 1.13 in float64.
const goldenDir = "../testdata/ops"

// goldenTol returns the tolerances against PyTorch: float64 agrees to rounding;
// float32 rounds the inputs and computes the outputs in float32.
func goldenTol(dt tensor.Dtype) (rtol, atol float64) {
	if dt == tensor.Float32 {
		return 1e-4, 1e-6
	}
	return 1e-9, 1e-12
}

func readGolden(t *testing.T, name string, cases any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatal(err)
	}
	doc := struct {
		Torch string `json:"torch"`
		Cases any    `json:"cases"`
	}{Cases: cases}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if doc.Torch == "" {
		t.Fatalf("%s: no torch version; regenerate with gen.py", name)
	}
}

func compareGolden(t *testing.T, dt tensor.Dtype, what string, got, want []float64) {
	t.Helper()
	rtol, atol := goldenTol(dt)
	if ok, msg := closeTo(got, want, rtol, atol); !ok {
		t.Errorf("%s: %s", what, msg)
	}
}

func TestGoldenSoftmax(t *testing.T) {
	var cases []struct {
		Name  string    `json:"name"`
		Fn    string    `json:"fn"`
		Dim   int       `json:"dim"`
		Shape []int     `json:"shape"`
		X     []float64 `json:"x"`
		W     []float64 `json:"w"`
		Y     []float64 `json:"y"`
		GradX []float64 `json:"grad_x"`
	}
	readGolden(t, "softmax.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	fns := map[string]func(*gorgonia.Node, int) (*gorgonia.Node, error){"softmax": Softmax, "log_softmax": LogSoftmax}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
				fn, ok := fns[c.Fn]
				if !ok {
					t.Fatalf("unknown fn %q", c.Fn)
				}
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "x", c.Shape, c.X)
					w := newInput(g, dt, "w", c.Shape, c.W)
					y, err := fn(x, c.Dim)
					if err != nil {
						return nil, err
					}
					yw, err := gorgonia.HadamardProd(y, w)
					if err != nil {
						return nil, err
					}
					loss, err := gorgonia.Sum(yw)
					if err != nil {
						return nil, err
					}
					grads, err := gorgonia.Grad(loss, x)
					if err != nil {
						return nil, err
					}
					return []*gorgonia.Node{y, grads[0]}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				compareGolden(t, dt, "y", got[0], c.Y)
				compareGolden(t, dt, "d sum(y*w)/dx", got[1], c.GradX)
			})
		}
	}
}

func TestGoldenSoftmaxCrossEntropy(t *testing.T) {
	var cases []struct {
		Name       string    `json:"name"`
		Shape      []int     `json:"shape"`
		Logits     []float64 `json:"logits"`
		Labels     []float64 `json:"labels"`
		Loss       float64   `json:"loss"`
		GradLogits []float64 `json:"grad_logits"`
	}
	readGolden(t, "cross_entropy.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "logits", c.Shape, c.Logits)
					l := newInput(g, dt, "labels", c.Shape[:1], c.Labels)
					loss, err := SoftmaxCrossEntropy(x, l)
					if err != nil {
						return nil, err
					}
					grads, err := gorgonia.Grad(loss, x)
					if err != nil {
						return nil, err
					}
					return []*gorgonia.Node{loss, grads[0]}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				compareGolden(t, dt, "loss", got[0], []float64{c.Loss})
				compareGolden(t, dt, "d loss/d logits", got[1], c.GradLogits)
			})
		}
	}
}

func TestGoldenBCEWithLogits(t *testing.T) {
	var cases []struct {
		Name        string    `json:"name"`
		Shape       []int     `json:"shape"`
		Logits      []float64 `json:"logits"`
		Targets     []float64 `json:"targets"`
		Loss        float64   `json:"loss"`
		GradLogits  []float64 `json:"grad_logits"`
		GradTargets []float64 `json:"grad_targets"`
	}
	readGolden(t, "bce_with_logits.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "logits", c.Shape, c.Logits)
					y := newInput(g, dt, "targets", c.Shape, c.Targets)
					loss, err := BCEWithLogits(x, y)
					if err != nil {
						return nil, err
					}
					grads, err := gorgonia.Grad(loss, x, y)
					if err != nil {
						return nil, err
					}
					return []*gorgonia.Node{loss, grads[0], grads[1]}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				compareGolden(t, dt, "loss", got[0], []float64{c.Loss})
				compareGolden(t, dt, "d loss/d logits", got[1], c.GradLogits)
				compareGolden(t, dt, "d loss/d targets", got[2], c.GradTargets)
			})
		}
	}
}
