package blas_test

import (
	"fmt"

	"github.com/gradflow/gradflow/ops/blas"
	gonumblas "gonum.org/v1/gonum/blas"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Sgemm is gonum's: row-major matrices with leading dimensions.
func ExampleImplementation_Sgemm() {
	a := []float32{ // 2x3
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{ // 3x2
		1, 0,
		0, 1,
		1, 1,
	}
	c := make([]float32, 2*2)
	blas.Implementation{}.Sgemm(gonumblas.NoTrans, gonumblas.NoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [4 5 10 11]
}

// Install makes every gorgonia matrix product use this package; it returns
// the BLAS to restore.
func ExampleInstall() {
	prev := blas.Install()
	defer gorgonia.Use(prev)

	g := gorgonia.NewGraph()
	x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 2), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{1, 2, 3, 4}))))
	y := gorgonia.Must(gorgonia.Mul(x, x))
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Value().Data())
	// Output: [7 10 15 22]
}
