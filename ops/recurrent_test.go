package ops

import (
	"fmt"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// checkOpGrad runs CheckGrad on the node that apply builds from value nodes
// holding seeded random tensors of the given shapes, with respect to all of them.
func checkOpGrad(t *testing.T, dt tensor.Dtype, shapes [][]int, apply func(in []*gorgonia.Node) (*gorgonia.Node, error)) {
	t.Helper()
	build := func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := gorgonia.NewGraph()
		in := make([]*gorgonia.Node, len(shapes))
		for i, s := range shapes {
			v := randTensor(dt, uint64(20+i), s...)
			// Scale the inputs so that the gates are away from saturation.
			if err := scaleTensor(v, 0.5); err != nil {
				return nil, nil, err
			}
			in[i] = gorgonia.NewTensor(g, tensor.Dtype(dt), len(s), gorgonia.WithShape(s...),
				gorgonia.WithName(fmt.Sprintf("in%d", i)), gorgonia.WithValue(v))
		}
		out, err := apply(in)
		return out, in, err
	}
	if _, err := CheckGrad(build, CheckConfig{Seed: 5}); err != nil {
		t.Fatal(err)
	}
}

func scaleTensor(v *tensor.Dense, k float64) error {
	switch d := v.Data().(type) {
	case []float32:
		for i := range d {
			d[i] *= float32(k)
		}
	case []float64:
		for i := range d {
			d[i] *= k
		}
	default:
		return fmt.Errorf("dtype %v", v.Dtype())
	}
	return nil
}

// TestRecurrentSlotGrad checks the workspace readers on their own.
func TestRecurrentSlotGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, p := range []slotParams{{Offset: 0, Size: 1}, {Offset: 2, Size: 3}, {Offset: 1, Size: 2, Last: true}} {
			for _, ws := range [][]int{{1, 1, 5}, {2, 3, 5}} {
				t.Run(fmt.Sprintf("%v/%+v/%v", dt, p, ws), func(t *testing.T) {
					checkOpGrad(t, dt, [][]int{ws}, func(in []*gorgonia.Node) (*gorgonia.Node, error) {
						return recurrentSlotDef.Apply(p, in[0])
					})
				})
			}
		}
	}
}

// TestRecurrentSlotHash checks that slots differing in any field are distinct nodes.
func TestRecurrentSlotHash(t *testing.T) {
	g := gorgonia.NewGraph()
	ws := gorgonia.NewTensor(g, tensor.Float64, 3, gorgonia.WithShape(2, 3, 8), gorgonia.WithName("ws"))
	seen := map[*gorgonia.Node]slotParams{}
	for _, p := range []slotParams{{0, 2, false}, {0, 2, true}, {2, 2, false}, {0, 4, false}, {4, 2, true}} {
		n, err := recurrentSlotDef.Apply(p, ws)
		if err != nil {
			t.Fatal(err)
		}
		if q, ok := seen[n]; ok {
			t.Errorf("slots %+v and %+v merged into one node", p, q)
		}
		seen[n] = p
	}
	a, err := recurrentSlotDef.Apply(slotParams{1, 2, true}, ws)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := recurrentSlotDef.Apply(slotParams{1, 2, true}, ws); a != b {
		t.Error("equal slots gave two nodes")
	}
}

// recurrentShapes are (batch, time, in, hidden), odd ones included.
var recurrentShapes = [][4]int{{2, 3, 4, 5}, {1, 1, 1, 1}, {3, 2, 2, 1}, {1, 5, 3, 2}}
