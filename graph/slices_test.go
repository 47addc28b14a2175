package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
)

func TestTensorOfValuesOf(t *testing.T) {
	src := []float32{1, 2, 3, 4, 5, 6}
	x, err := graph.TensorOf(src, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	src[0] = 99 // TensorOf copied
	if got := x.Shape(); !got.Eq(tensor.Shape{2, 3}) || x.Dtype() != tensor.Float32 {
		t.Fatalf("shape %v dtype %v", got, x.Dtype())
	}
	vals, err := graph.ValuesOf[float32](x)
	if err != nil || fmt.Sprint(vals) != "[1 2 3 4 5 6]" {
		t.Fatalf("ValuesOf = %v, %v", vals, err)
	}
	vals[1] = -1 // ValuesOf copied
	if x.Data().([]float32)[1] != 2 {
		t.Error("ValuesOf aliases the tensor")
	}
	// A transposed view comes out in its own row-major order.
	if err := x.T(); err != nil {
		t.Fatal(err)
	}
	tv, err := graph.ValuesOf[float32](x)
	if err != nil || fmt.Sprint(tv) != "[1 4 2 5 3 6]" {
		t.Errorf("ValuesOf of a transposed view = %v, %v", tv, err)
	}
	v, err := graph.TensorOf([]int{3, 1, 2})
	if err != nil || !v.Shape().Eq(tensor.Shape{3}) {
		t.Errorf("vector: %v %v", v, err)
	}
	s, _ := graph.ValuesOf[float64](tensor.New(tensor.FromScalar(2.5)))
	if fmt.Sprint(s) != "[2.5]" {
		t.Errorf("scalar: %v", s)
	}
	for _, c := range []struct {
		shape []int
		want  string
	}{{[]int{4}, "holds 4 values, the slice has 6"}, {[]int{2, 0, 3}, "want > 0"}, {[]int{-2, -3}, "want > 0"}, {[]int{1 << 40, 1 << 40}, "too large"}} {
		if _, err := graph.TensorOf([]float64{1, 2, 3, 4, 5, 6}, c.shape...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("shape %v: err = %v, want %q", c.shape, err, c.want)
		}
	}
	if _, err := graph.ValuesOf[float64](x); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Errorf("wrong dtype: err = %v", err)
	}
	if _, err := graph.ValuesOf[float64](nil); err == nil {
		t.Error("nil: no error")
	}
}

// Feed a model from Go slices and read its output as one.
func ExampleTensorOf() {
	x, err := graph.TensorOf([]float64{0, 1, 1, 0}, 2, 2)
	if err != nil {
		panic(err)
	}
	vals, err := graph.ValuesOf[float64](x)
	if err != nil {
		panic(err)
	}
	fmt.Println(x.Shape(), vals)
	// Output: (2, 2) [0 1 1 0]
}
