package nn

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

func TestLayerNormRMSNormGolden(t *testing.T) {
	cases := loadSeqGolden(t, "norm.json")
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
				var cfg struct {
					Kind   string
					Dim    int
					Eps    float64
					Affine bool
				}
				if err := json.Unmarshal(c.Config, &cfg); err != nil {
					t.Fatal(err)
				}
				s := graph.NewScope(dt).Sub("norm")
				var l Layer
				var err error
				if cfg.Kind == "layer" {
					l, err = NewLayerNorm(s, LayerNormConfig{Dim: cfg.Dim, Eps: cfg.Eps, NoAffine: !cfg.Affine})
				} else {
					l, err = NewRMSNorm(s, RMSNormConfig{Dim: cfg.Dim, Eps: cfg.Eps, NoAffine: !cfg.Affine})
				}
				if err != nil {
					t.Fatal(err)
				}
				runSeqGolden(t, dt, c, seqGoldenSpec{
					params: paramsByTorchName(t, s, c),
					diff:   []string{"x"},
					forward: func(g *graph.Graph, in map[string]*gorgonia.Node) (map[string]*gorgonia.Node, error) {
						out, err := l.Forward(g, in["x"])
						return map[string]*gorgonia.Node{"out": out}, err
					},
				})
			})
		}
	}
}
