package nn

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

func TestEmbeddingGolden(t *testing.T) {
	cases := loadSeqGolden(t, "embedding.json")
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
				var cfg struct {
					Num, Dim   int
					PaddingIdx int `json:"padding_idx"`
				}
				if err := json.Unmarshal(c.Config, &cfg); err != nil {
					t.Fatal(err)
				}
				s := graph.NewScope(dt).Sub("emb")
				e, err := NewEmbedding(s, EmbeddingConfig{Num: cfg.Num, Dim: cfg.Dim,
					Padding: cfg.PaddingIdx >= 0, PaddingIdx: max(cfg.PaddingIdx, 0)})
				if err != nil {
					t.Fatal(err)
				}
				runSeqGolden(t, dt, c, seqGoldenSpec{
					params: paramsByTorchName(t, s, c),
					forward: func(g *graph.Graph, in map[string]*gorgonia.Node) (map[string]*gorgonia.Node, error) {
						out, err := e.Forward(g, in["ids"])
						return map[string]*gorgonia.Node{"out": out}, err
					},
				})
			})
		}
	}
}
