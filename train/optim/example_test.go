package optim_test

import (
	"fmt"
	"math"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
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
	opt, err := optim.AdamW{LR: 0.1, WeightDecay: 1e-2}.NewOptimizer()
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
	opt, err := optim.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}.NewOptimizer()
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

// RMSProp with momentum minimising f(w) = sum w^2.
func ExampleRMSProp() {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	w, _ := s.Param("w", graph.Weight, []int{2}, graph.Constant{Value: 1})
	opt, err := optim.RMSProp{LR: 0.01, Momentum: 0.9}.NewOptimizer()
	if err != nil {
		panic(err)
	}
	fmt.Println(opt)
	grad := w.GradFloat64s()
	for range 300 {
		for i, v := range w.Float64s() {
			grad[i] = 2 * v
		}
		if err := opt.Step([]*graph.Param{w}); err != nil {
			panic(err)
		}
	}
	fmt.Printf("|w| < 0.01: %v\n", math.Abs(w.Float64s()[0]) < 0.01)
	// Output:
	// RMSprop(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0, momentum=0.9, centered=false)
	// |w| < 0.01: true
}

// Learning-rate schedules are closed-form functions of the step; Fit calls them.
func ExampleOneCycleLR() {
	s := optim.OneCycleLR{MaxLR: 0.1, TotalSteps: 10}
	for step := range 10 {
		fmt.Printf("%.4f ", s.LR(0, step))
	}
	fmt.Println()
	// Output:
	// 0.0040 0.0520 0.1000 0.0950 0.0812 0.0611 0.0389 0.0188 0.0050 0.0000
}

// Per-parameter options: AdamW's decay for the weights, none for the biases. With a
// zero gradient AdamW only decays, so the weight shrinks and the bias stays.
func ExampleNoWeightDecay() {
	s := graph.NewScope(graph.Float64)
	w, _ := s.Sub("fc").Param("weight", graph.Weight, []int{1}, graph.Constant{Value: 1})
	b, _ := s.Sub("fc").Param("bias", graph.Bias, []int{1}, graph.Constant{Value: 1})
	opt, err := optim.NoWeightDecay(optim.AdamW{LR: 0.1, WeightDecay: 0.5}, optim.ByKind(graph.Bias)).NewOptimizer()
	if err != nil {
		panic(err)
	}
	for range 2 {
		if err := opt.Step([]*graph.Param{w, b}); err != nil {
			panic(err)
		}
	}
	fmt.Println(w.Name(), w.Float64s(), b.Name(), b.Float64s())
	// Output:
	// fc/weight [0.9025] fc/bias [1]
}

// Clipping by global norm rescales every gradient by one factor, as
// torch.nn.utils.clip_grad_norm_ does; it returns the norm before clipping.
func ExampleClipGradNorm() {
	s := graph.NewScope(graph.Float64)
	a, _ := s.Param("a", graph.Weight, []int{2}, graph.Zeros{})
	b, _ := s.Param("b", graph.Bias, []int{1}, graph.Zeros{})
	copy(a.GradFloat64s(), []float64{3, 0})
	copy(b.GradFloat64s(), []float64{4})
	norm, err := optim.ClipGradNorm([]*graph.Param{a, b}, 1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("norm %v, after clipping %.4f %.4f, new norm %.4f\n", norm, a.GradFloat64s(), b.GradFloat64s(),
		optim.GradNorm([]*graph.Param{a, b}))
	// Output:
	// norm 5, after clipping [0.6000 0.0000] [0.8000], new norm 1.0000
}
