package nn

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

// paramsByTorchName maps each fixture param name (PyTorch's state-dict key) to the
// Param "<scope>/<key with '.' as '/'>" of s.
func paramsByTorchName(t *testing.T, s *graph.Scope, c seqCase) map[string]*graph.Param {
	t.Helper()
	m := map[string]*graph.Param{}
	for name := range c.Params {
		full := s.Name() + "/" + strings.ReplaceAll(name, ".", "/")
		if m[name] = s.Lookup(full); m[name] == nil {
			t.Fatalf("no param %q for fixture param %q", full, name)
		}
	}
	return m
}

func TestAttentionGolden(t *testing.T) {
	cases := loadSeqGolden(t, "mha.json")
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.Name), func(t *testing.T) {
				var cfg struct {
					Embed, Heads int
					Bias, Causal bool
				}
				if err := json.Unmarshal(c.Config, &cfg); err != nil {
					t.Fatal(err)
				}
				s := graph.NewScope(dt).Sub("mha")
				a, err := NewMultiHeadAttention(s, MultiHeadAttentionConfig{
					Embed: cfg.Embed, Heads: cfg.Heads, NoBias: !cfg.Bias, Causal: cfg.Causal})
				if err != nil {
					t.Fatal(err)
				}
				spec := seqGoldenSpec{params: paramsByTorchName(t, s, c)}
				self := c.Inputs["x"].Shape != nil
				if self {
					spec.diff = []string{"x"}
				} else {
					spec.diff = []string{"query", "key", "value"}
				}
				spec.forward = func(g *graph.Graph, in map[string]*gorgonia.Node) (map[string]*gorgonia.Node, error) {
					q, k, v := in["query"], in["key"], in["value"]
					if self {
						q, k, v = in["x"], in["x"], in["x"]
					}
					out, err := a.Attend(g, q, k, v, in["key_padding_mask"])
					return map[string]*gorgonia.Node{"out": out}, err
				}
				runSeqGolden(t, dt, c, spec)
			})
		}
	}
}
