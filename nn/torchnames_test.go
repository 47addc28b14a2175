package nn

import (
	"slices"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

func torchKeys(t *testing.T, l Layer) []string {
	t.Helper()
	es, err := TorchState(l)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range es {
		keys = append(keys, e.Key)
	}
	return keys
}

// bare is a custom layer with a Param of its own and a sub-layer in an exported
// field; an unexported field is not searched, its Params map by name.
type bare struct {
	Body  *Linear
	scale *graph.Param
	head  *GRU
}

func (b *bare) Forward(*graph.Graph, *gorgonia.Node) (*gorgonia.Node, error) { return nil, nil }
func (b *bare) Params() []*graph.Param {
	return append(append(b.Body.Params(), b.scale), b.head.Params()...)
}

func TestTorchStateStructure(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	res, err := NewResidual(s.Sub("block"), ResidualConfig{
		Inner:      []LayerConfig{Conv2DConfig{In: 2, Out: 2, Kernel: [2]int{1, 1}}, BatchNorm2DConfig{Features: 2}, ReLU},
		Projection: []LayerConfig{LinearConfig{In: 2, Out: 2, NoBias: true}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"inner.0.weight", "inner.0.bias", "inner.1.weight", "inner.1.bias", "inner.1.running_mean",
		"inner.1.running_var", "inner.1.num_batches_tracked", "proj.0.weight"}
	if got := torchKeys(t, res); !slices.Equal(got, want) {
		t.Errorf("residual keys %q, want %q", got, want)
	}

	m := &bare{}
	if m.Body, err = NewLinear(s.Sub("net").Sub("body"), LinearConfig{In: 3, Out: 2}); err != nil {
		t.Fatal(err)
	}
	if m.scale, err = s.Sub("net").Param("scale", graph.Weight, []int{2}, graph.Ones{}); err != nil {
		t.Fatal(err)
	}
	if m.head, err = NewGRU(s.Sub("net").Sub("head"), GRUConfig{In: 2, Hidden: 2}); err != nil {
		t.Fatal(err)
	}
	es, err := TorchState(m)
	if err != nil {
		t.Fatal(err)
	}
	// the scope "net" is found; Body is transposed; the unexported GRU maps by name
	got := map[string]bool{}
	for _, e := range es {
		got[e.Key] = e.Transpose
	}
	for k, tr := range map[string]bool{"body.weight": true, "body.bias": false, "scale": false, "head.weight_ih": false} {
		if v, ok := got[k]; !ok || v != tr {
			t.Errorf("key %q: present %v transpose %v, want transpose %v (keys %v)", k, ok, v, tr, got)
		}
	}

	// a scope that does not hold the params is an error
	if _, err := TorchStateIn(m, "other"); err == nil || !strings.Contains(err.Error(), `not in the model's scope "other"`) {
		t.Errorf("TorchStateIn(other) = %v", err)
	}
}
