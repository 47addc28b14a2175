package dist_test

import (
	"fmt"

	"github.com/gradflow/gradflow/train/dist"
)

// Two in-process ranks average a gradient and split a dataset as PyTorch does.
func Example() {
	out := make([][]float64, 2)
	err := dist.RunLocal(2, func(c dist.Communicator) error {
		g := []float64{float64(c.Rank()) + 1, 4}
		if err := c.AllReduceSum(g); err != nil {
			return err
		}
		for i := range g {
			g[i] /= float64(c.Size())
		}
		out[c.Rank()] = g
		return nil
	})
	fmt.Println(out, err)
	s := dist.DistributedSampler{N: 5, World: 2, Rank: 1}
	idx, err := s.Indices(0)
	fmt.Println(idx, err)
	// Output:
	// [[1.5 4] [1.5 4]] <nil>
	// [1 3 0] <nil>
}
