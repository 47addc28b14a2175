package ops

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gorgonia.org/gorgonia"
)

// TestMaxPool2DGolden compares MaxPool2D with PyTorch's F.max_pool2d on the max cases
// of the pooling layer fixture (testdata/nn/gen_conv.py): the output and the gradient
// of sum(y·w) with respect to x.
func TestMaxPool2DGolden(t *testing.T) {
	type fix struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	}
	b, err := os.ReadFile(filepath.Join("..", "testdata", "nn", "pool.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			Name   string         `json:"name"`
			Config map[string]any `json:"config"`
			X      fix            `json:"x"`
			W      fix            `json:"w"`
			Y      fix            `json:"y"`
			Grads  map[string]fix `json:"grads"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range doc.Cases {
		if c.Config["kind"] != "max" {
			continue
		}
		n++
		pair := func(k string) (p [2]int) {
			if v, ok := c.Config[k].([]any); ok {
				p = [2]int{int(v[0].(float64)), int(v[1].(float64))}
			}
			return p
		}
		o := Pool2DOptions{Kernel: pair("kernel"), Stride: pair("stride"), Padding: pair("padding")}
		for _, dt := range dtypes {
			t.Run(fmt.Sprintf("%s/%v", c.Name, dt), func(t *testing.T) {
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := valueNode(g, "x", fromF64(dt, c.X.Data, c.X.Shape...))
					y, err := MaxPool2D(x, o)
					if err != nil {
						return nil, err
					}
					w := valueNode(g, "w", fromF64(dt, c.W.Data, c.W.Shape...))
					loss, err := gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, w)))
					if err != nil {
						return nil, err
					}
					dx, err := gorgonia.Grad(loss, x)
					if err != nil {
						return nil, err
					}
					return []*gorgonia.Node{y, dx[0]}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				convGoldenClose(t, "y", got[0], c.Y.Data, convGoldenTol[dt])
				convGoldenClose(t, "grad x", got[1], c.Grads["x"].Data, convGoldenTol[dt])
			})
		}
	}
	if n == 0 {
		t.Fatal("no max-pooling cases in pool.json")
	}
}
