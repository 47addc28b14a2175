package ops_test

import (
	"fmt"
	"math"

	"github.com/gradflow/gradflow/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A gradient check of a new op is one call: build the graph, name the inputs.
func ExampleCheckGrad() {
	rep, err := ops.CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := gorgonia.NewGraph()
		x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(4, 1), gorgonia.WithName("x"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(4, 1), tensor.WithBacking([]float64{0.5, -1, 2, 0}))))
		y, err := ops.Softmax(x, 0) // a column vector, normalised along axis 0
		return y, []*gorgonia.Node{x}, err
	}, ops.CheckConfig{})
	fmt.Println(rep.Passed, rep.Checked, err)
	// Output: true 4 <nil>
}

// CheckGrad catches a wrong gradient: gorgonia's own SoftMax on a column vector.
func ExampleCheckGrad_wrongGradient() {
	rep, err := ops.CheckGrad(func() (*gorgonia.Node, []*gorgonia.Node, error) {
		g := gorgonia.NewGraph()
		x := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(4, 1), gorgonia.WithName("x"),
			gorgonia.WithValue(tensor.New(tensor.WithShape(4, 1), tensor.WithBacking([]float64{0.5, -1, 2, 0}))))
		y, err := gorgonia.SoftMax(x)
		return y, []*gorgonia.Node{x}, err
	}, ops.CheckConfig{})
	fmt.Println(err != nil, rep.Passed, rep.Worst.Name)
	// Output: true false x
}

func ExampleSoftmaxCrossEntropy() {
	g := gorgonia.NewGraph()
	logits := gorgonia.NewMatrix(g, tensor.Float64, gorgonia.WithShape(2, 3), gorgonia.WithName("logits"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{2, 1, 0, 1000, -1000, 0}))))
	labels := gorgonia.NewVector(g, tensor.Float64, gorgonia.WithShape(2), gorgonia.WithName("labels"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{0, 0}))))
	loss, err := ops.SoftmaxCrossEntropy(logits, labels)
	if err != nil {
		fmt.Println(err)
		return
	}
	grads, err := gorgonia.Grad(loss, logits)
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	// Row 0: log(e²+e+1) - 2; row 1: 0 (a logit of 1000 does not overflow).
	fmt.Printf("loss %.4f (want %.4f)\n", loss.Value().Data(), (math.Log(math.Exp(2)+math.E+1)-2)/2)
	fmt.Printf("d loss/d logits %.4f\n", grads[0].Value().Data())
	// Output:
	// loss 0.2038 (want 0.2038)
	// d loss/d logits [-0.1674 0.1224 0.0450 0.0000 0.0000 0.0000]
}

func ExampleLogSoftmax() {
	g := gorgonia.NewGraph()
	x := gorgonia.NewTensor(g, tensor.Float32, 3, gorgonia.WithShape(2, 2, 1), gorgonia.WithName("x"),
		gorgonia.WithValue(tensor.New(tensor.WithShape(2, 2, 1), tensor.WithBacking([]float32{0, 0, 1000, -1000}))))
	y, err := ops.LogSoftmax(x, 1) // a middle axis: pairs (0, 0) and (1000, -1000)
	if err != nil {
		fmt.Println(err)
		return
	}
	vm := gorgonia.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", y.Value().Data())
	// Output: [-0.6931 -0.6931 0.0000 -2000.0000]
}
