package nn

import (
	"testing"

	"github.com/gradflow/gradflow/graph"
	"gorgonia.org/gorgonia"
)

// Flatten followed by an element-wise op that gorgonia may run in place must leave
// its input intact (gorgonia.Reshape aliases its input; Flatten copies).
func TestFlattenDoesNotAliasInput(t *testing.T) {
	for _, dt := range dtypes {
		x := randTensor(dt, 3, 2, 3, 2, 2)
		before := toF64(x.Data())
		build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
			g := graph.New(dt, graph.Train)
			xn, _ := g.Input("x", 2, 3, 2, 2)
			_ = gorgonia.Let(xn, x)
			f, err := Forward(&Flatten{}, g, xn)
			if err != nil {
				return nil, nil, err
			}
			sq, err := gorgonia.Square(f)
			return sq, []*gorgonia.Node{xn}, err
		}
		out, wrt, err := build()
		if err != nil {
			t.Fatal(err)
		}
		_ = wrt
		loss := gorgonia.Must(gorgonia.Sum(out))
		if _, err := gorgonia.Grad(loss, wrt...); err != nil {
			t.Fatal(err)
		}
		m := gorgonia.NewTapeMachine(out.Graph())
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		m.Close()
		after := toF64(x.Data())
		for i := range before {
			if before[i] != after[i] {
				t.Fatalf("%v: input element %d changed from %v to %v", dt, i, before[i], after[i])
			}
		}
	}
}
