package ops_test

import (
	"fmt"

	"github.com/gradflow/gradflow/ops"
)

// Zero options are PyTorch's defaults; Validate is the one rule that ops and nn's
// layers apply to them.
func ExampleBatchNormOptions() {
	o := ops.BatchNormOptions{Training: true}
	fmt.Printf("%+v\n", o.WithDefaults())
	fmt.Println(ops.BatchNormOptions{Momentum: 1.5}.Validate())
	// Output:
	// {Momentum:0.1 Eps:1e-05 Training:true FreezeStats:false}
	// ops: BatchNormOptions: Momentum = 1.5, want in [0, 1] (0 means 0.1)
}

func ExampleLayerNormOptions() {
	fmt.Printf("%+v\n", ops.LayerNormOptions{}.WithDefaults())
	fmt.Println(ops.LayerNormOptions{Eps: -1}.Validate())
	// Output:
	// {Axes:1 Eps:1e-05}
	// ops: LayerNormOptions: Eps = -1, want finite and > 0 (0 means 1e-5)
}

func ExamplePool2DOptions() {
	o := ops.Pool2DOptions{Kernel: [2]int{3, 2}, Padding: [2]int{1, 1}}
	fmt.Println(o.Validate(), o.WithDefaults().Stride)
	o.Padding = [2]int{2, 0}
	fmt.Println(o.Validate())
	// Output:
	// <nil> [3 2]
	// ops: Pool2DOptions: Padding = [2 0], want each in [0, kernel/2] for Kernel [3 2]
}
