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

// Im2col32 lays out every kernel tap's view of an image as one row, so that a
// valid convolution is one matrix product; Col2im32 adds such rows back.
func ExampleIm2col32() {
	x := []float32{ // one 3x3 plane
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}
	col := make([]float32, 4*4) // 2x2 kernel: 4 taps, each meeting a 2x2 block
	blas.Im2col32(x, 1, 3, 3, 2, 2, col)
	for tap := 0; tap < 4; tap++ {
		fmt.Println(col[tap*4 : tap*4+4])
	}
	dx := make([]float32, 9)
	blas.Col2im32(col, 1, 3, 3, 2, 2, dx)
	fmt.Println(dx) // each pixel times the number of taps that meet it
	// Output:
	// [1 2 4 5]
	// [2 3 5 6]
	// [4 5 7 8]
	// [5 6 8 9]
	// [1 4 3 8 20 12 7 16 9]
}

// SetPath forces a lower SIMD path, here the portable Go code (as GRADFLOW_SIMD=generic
// does at start-up), for example to test the Go bodies on an AVX-512 machine.
func ExampleSetPath() {
	start := blas.Active()
	if err := blas.SetPath(blas.PathGeneric); err != nil {
		fmt.Println(err)
	}
	fmt.Println("active:", blas.Active())
	p, err := blas.ParsePath("AVX2")
	fmt.Println(p, err)
	_, err = blas.ParsePath("sse4")
	fmt.Println(err)
	if err := blas.SetPath(start); err != nil {
		fmt.Println(err)
	}
	// Output:
	// active: generic
	// avx2 <nil>
	// blas: SIMD path "sse4", want generic, avx2, avx512 or neon
}
