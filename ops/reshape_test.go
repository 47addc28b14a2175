package ops

import (
	"fmt"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestReshapeGrad(t *testing.T) {
	cases := []struct {
		in, shape []int
	}{
		{[]int{2, 6}, []int{3, 4}},
		{[]int{2, 6}, []int{-1}},
		{[]int{2, 3, 4}, []int{2, -1}},
		{[]int{5}, []int{5, 1}}, // to a column vector
		{[]int{1, 6}, []int{6}},
		{nil, []int{1, 1}}, // scalar to matrix
		{[]int{1}, nil},    // and back to a scalar
	}
	for _, dt := range dtypes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%v/%v to %v", dt, c.in, c.shape), func(t *testing.T) {
				// Square after the reshape: its backward reuses its operand's memory,
				// which gorgonia.Reshape shares with x.
				checkGradT(t, unary(dt, c.in, func(x *gorgonia.Node) (*gorgonia.Node, error) {
					r, err := Reshape(x, c.shape...)
					if err != nil {
						return nil, err
					}
					return gorgonia.Square(r)
				}))
			})
		}
	}
}

// TestReshapeKeepsInput runs forward and backward twice through Reshape then ops whose
// backward works in place, and checks that x is unchanged and the gradient right.
func TestReshapeKeepsInput(t *testing.T) {
	x0 := []float64{1, -2, 3, -4, 5, -6}
	for _, dt := range dtypes {
		g := gorgonia.NewGraph()
		x := newInput(g, dt, "x", []int{2, 3}, x0)
		w := newInput(g, dt, "w", []int{3, 2}, []float64{1, 2, 3, 4, 5, 6})
		shape := []int{3, -1}
		r, err := Reshape(x, shape...)
		if err != nil {
			t.Fatal(err)
		}
		if shape[1] != -1 {
			t.Errorf("Reshape wrote %v into its caller's shape", shape)
		}
		y := gorgonia.Must(gorgonia.Rectify(r))
		s := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, w))))
		grads, err := gorgonia.Grad(s, x)
		if err != nil {
			t.Fatal(err)
		}
		var dv gorgonia.Value
		gorgonia.Read(grads[0], &dv)
		vm := gorgonia.NewTapeMachine(g)
		for run := range 2 {
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			xs, _ := toFloat64s(x.Value())
			if ok, msg := closeTo(xs, x0, 0, 0); !ok {
				t.Errorf("%v run %d: x changed: %s", dt, run, msg)
			}
			d, _ := toFloat64s(dv)
			if ok, msg := closeTo(d, []float64{1, 0, 3, 0, 5, 0}, 0, 0); !ok {
				t.Errorf("%v run %d: gradient: %s", dt, run, msg)
			}
		}
		vm.Close()
	}
}

func TestReshapeErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{2, 3}, make([]float64, 6))
	cases := []struct {
		name  string
		x     *gorgonia.Node
		shape []int
		want  string
	}{
		{"nil", nil, []int{6}, "x is nil"},
		{"size", x, []int{4}, "shape [4] holds 4 elements, x (2, 3) holds 6"},
		{"two -1", x, []int{-1, -1}, "dimension 1 is -1"},
		{"zero", x, []int{0, 6}, "dimension 0 is 0"},
		{"-1 does not fit", x, []int{4, -1}, "does not fit 6 elements"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if y, err := Reshape(c.x, c.shape...); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Reshape = %v, %v; want an error saying %q", y, err, c.want)
			}
		})
	}
	a, _ := Reshape(x, 3, 2)
	b, _ := Reshape(x, 6, 1)
	if a == b {
		t.Errorf("reshapes to (3, 2) and (6, 1) are one node")
	}
	if same, err := Reshape(x, 2, -1); err != nil || same != x {
		t.Errorf("Reshape to x's own shape = %v, %v; want x", same, err)
	}
}
