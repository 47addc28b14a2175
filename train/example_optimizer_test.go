package train_test

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train"
)

// Minimise f(w) = sum (w - target)^2 with AdamW. In training, graph.Machine.Run
// fills the gradients; here they are written by hand. The decoupled weight decay
// pulls w slightly toward zero, away from the target.
func ExampleAdamW() {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	w, err := s.Param("w", graph.Weight, []int{2}, graph.Zeros{})
	if err != nil {
		panic(err)
	}
	opt, err := train.AdamW{LR: 0.1, WeightDecay: 1e-2}.NewOptimizer()
	if err != nil {
		panic(err)
	}
	fmt.Println(opt)

	target := []float64{1, -2}
	grad := w.Grad().Data().([]float64)
	for range 500 {
		for i, v := range w.Float64s() {
			grad[i] = 2 * (v - target[i]) // df/dw
		}
		if err := opt.Step([]*graph.Param{w}); err != nil {
			panic(err)
		}
	}
	fmt.Printf("w = %.3f\n", w.Float64s())
	// Output:
	// AdamW(lr=0.1, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=false)
	// w = [0.999 -1.996]
}

// SGD with Nesterov momentum on f(w) = sum w^2, with the learning rate lowered
// halfway, as a schedule would do through SetLR.
func ExampleSGD() {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	w, err := s.Param("w", graph.Weight, []int{3}, graph.Zeros{})
	if err != nil {
		panic(err)
	}
	if err := w.SetValues([]float32{4, -2, 1}); err != nil {
		panic(err)
	}
	opt, err := train.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}.NewOptimizer()
	if err != nil {
		panic(err)
	}
	grad := w.Grad().Data().([]float32)
	for step := range 20 {
		if step == 10 {
			opt.SetLR(opt.LR() / 10)
		}
		for i, v := range w.Float32s() {
			grad[i] = 2 * v // df/dw
		}
		if err := opt.Step([]*graph.Param{w}); err != nil {
			panic(err)
		}
	}
	fmt.Println(opt)
	fmt.Printf("w = %.4f\n", w.Float32s())
	// Output:
	// SGD(lr=0.01, momentum=0.9, dampening=0, weight_decay=0, nesterov=true)
	// w = [0.1924 -0.0962 0.0481]
}
