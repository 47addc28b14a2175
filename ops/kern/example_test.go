package kern_test

import (
	"fmt"

	"github.com/gradflow/gradflow/ops/blas"
	"github.com/gradflow/gradflow/ops/kern"
)

// Kernels work on slices; which body runs follows blas.Active. Forcing the Go bodies
// (as GRADFLOW_SIMD=generic does at start-up) gives the same ReLU bits.
func Example() {
	x := []float32{-2, -0.5, 0, 1.5, 3, -1, 4, -8, 9}
	y := make([]float32, len(x))
	kern.ReLU(x, y)
	fmt.Println(y)

	start := blas.Active()
	if err := blas.SetPath(blas.PathGeneric); err != nil {
		fmt.Println(err)
	}
	g := make([]float32, len(x))
	kern.ReLUGrad(y, []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}, g)
	fmt.Println(g)
	if err := blas.SetPath(start); err != nil {
		fmt.Println(err)
	}
	// Output:
	// [0 0 0 1.5 3 0 4 0 9]
	// [0 0 0 1 1 0 1 0 1]
}
