package nn

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

func TestTransformerGolden(t *testing.T) {
	cases := loadSeqGolden(t, "transformer.json")
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
				var cfg struct {
					Embed, Heads, FF int
					Causal           bool
				}
				if err := json.Unmarshal(c.Config, &cfg); err != nil {
					t.Fatal(err)
				}
				s := graph.NewScope(dt).Sub("enc")
				l, err := NewTransformerEncoderLayer(s, TransformerEncoderLayerConfig{
					Embed: cfg.Embed, Heads: cfg.Heads, FF: cfg.FF, Causal: cfg.Causal})
				if err != nil {
					t.Fatal(err)
				}
				spec := seqGoldenSpec{
					params: paramsByTorchName(t, s, c),
					// gradflow's Linear holds (in, out), PyTorch's (out, in).
					transposed: map[string]bool{"linear1.weight": true, "linear2.weight": true},
					diff:       []string{"x"},
					forward: func(g *graph.Graph, in map[string]*gorgonia.Node) (map[string]*gorgonia.Node, error) {
						out, err := l.Encode(g, in["x"], in["key_padding_mask"])
						return map[string]*gorgonia.Node{"out": out}, err
					},
				}
				runSeqGolden(t, dt, c, spec)
			})
		}
	}
}
