package graph_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
)

// A weight lives outside any graph: the graph binds it by reference, Compile adds the
// backward pass, and Run writes dloss/dw into w.Grad().
func Example() {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	w, err := s.Sub("model").Param("w", graph.Weight, []int{2, 1}, graph.Constant{Value: 0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	g := graph.New(graph.Float64, graph.Train)
	x, _ := g.Input("x", 3, 2)
	wn, _ := g.Node(w)
	y, _ := gorgonia.Mul(x, wn) // (3, 1)
	loss, _ := gorgonia.Sum(y)
	m, err := graph.Compile(g, graph.Loss(loss))
	if err != nil {
		fmt.Println(err)
		return
	}
	batch := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	if err := m.Run(graph.Feeds{x: batch}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Name(), "loss", m.Loss(), "grad", w.GradFloat64s())
	// Output: model/w loss 10.5 grad [9 12]
}

// Creating the same name twice is an error, where gorgonia would silently merge the
// two nodes into one.
func ExampleScope_Param_duplicate() {
	s := graph.NewScope(graph.Float32)
	fc := s.Sub("fc1")
	_, _ = fc.Param("weight", graph.Weight, []int{4, 3}, graph.GlorotUniform{})
	_, err := fc.Param("weight", graph.Weight, []int{4, 3}, graph.GlorotUniform{})
	fmt.Println(err)
	// Output: graph: param "fc1/weight" already exists; names must be unique
}

func ExampleSummary() {
	s := graph.NewScope(graph.Float32)
	s.Sub("fc").Param("weight", graph.Weight, []int{784, 10}, graph.Zeros{})
	s.Sub("fc").Param("bias", graph.Bias, []int{10}, graph.Zeros{})
	fmt.Print(graph.Summary(s.Params()))
	// Output:
	// name       kind    shape     count  trainable
	// fc/weight  weight  [784 10]  7840   true
	// fc/bias    bias    [10]      10     true
	// total 7850 params (7850 trainable, 0 not)
}

// Weights saved for inference need only the model's params: no trainer. The file is
// plain safetensors, a state dict other tools read; a model built again with the same
// names loads it.
func ExampleSaveParams() {
	dir, _ := os.MkdirTemp("", "gradflow")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	w, _ := s.Sub("fc").Param("weight", graph.Weight, []int{2, 2}, graph.Constant{Value: 0.5})
	b, _ := s.Sub("fc").Param("bias", graph.Bias, []int{2}, graph.Constant{Value: -1})
	if err := graph.SaveParams(path, []*graph.Param{w, b}, map[string]string{"model": "tiny"}); err != nil {
		panic(err)
	}

	s2 := graph.NewScope(graph.Float32) // a fresh model: zeros until loaded
	w2, _ := s2.Sub("fc").Param("weight", graph.Weight, []int{2, 2}, graph.Zeros{})
	b2, _ := s2.Sub("fc").Param("bias", graph.Bias, []int{2}, graph.Zeros{})
	if err := graph.LoadParams(path, []*graph.Param{w2, b2}); err != nil {
		panic(err)
	}
	fmt.Println(w2.Name(), w2.Float32s(), b2.Name(), b2.Float32s())

	raw, _ := os.ReadFile(path)
	tensors, meta, _ := graph.ReadTensors(raw)
	fmt.Println(len(tensors), "tensors, model", meta["model"])
	// Output:
	// fc/weight [0.5 0.5 0.5 0.5] fc/bias [-1 -1]
	// 2 tensors, model tiny
}

// A strict load reports every problem at once.
func ExampleLoadParams() {
	dir, _ := os.MkdirTemp("", "gradflow")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "weights.safetensors")
	s := graph.NewScope(graph.Float32)
	w, _ := s.Param("w", graph.Weight, []int{2, 3}, graph.Ones{})
	b, _ := s.Param("b", graph.Bias, []int{3}, graph.Zeros{})
	if err := graph.SaveParams(path, []*graph.Param{w, b}, nil); err != nil {
		panic(err)
	}
	s2 := graph.NewScope(graph.Float32)
	w2, _ := s2.Param("w", graph.Weight, []int{3, 2}, graph.Zeros{})
	head, _ := s2.Param("head", graph.Weight, []int{3}, graph.Zeros{})
	err := graph.LoadParams(path, []*graph.Param{w2, head})
	fmt.Println(strings.TrimPrefix(err.Error(), "graph: LoadParams "+path+": "))
	// Output:
	// params do not fit: missing from the file: ["head"]; not in the model: ["b"]; shapes differ: "w": file has F32 [2 3], model has float32 [3 2]
}

// Recover turns a panic at a boundary of your own into an error that says whose code
// panicked and where.
func ExampleRecover() {
	build := func() (err error) {
		defer graph.Recover(&err)
		var sizes map[string]int
		sizes["fc1"] = 128 // a bug: the map was never made
		return nil
	}
	err := build()
	fmt.Println(err)
	var pe *graph.PanicError
	if errors.As(err, &pe) {
		fmt.Println(pe.Whose)
	}
	// Output:
	// user code panicked in github.com/gradflow/gradflow/graph_test.ExampleRecover.func1: assignment to entry in nil map
	// user code
}

// WriteFileAtomic writes a file of your own as SaveParams writes weights: a crash
// leaves the old file or the new one, never half of one, and a save that returned nil
// survives a power loss. A failed write leaves the old file as it was.
func ExampleWriteFileAtomic() {
	dir, _ := os.MkdirTemp("", "gradflow")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "labels.txt")
	err := graph.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, "cat\ndog")
		return err
	})
	if err != nil {
		panic(err)
	}
	err = graph.WriteFileAtomic(path, func(w io.Writer) error {
		fmt.Fprintln(w, "half a fi")
		return errors.New("disk full")
	})
	b, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	fmt.Printf("%v; %q; %d file\n", err, b, len(entries))
	// Output:
	// disk full; "cat\ndog\n"; 1 file
}

// A checkpoint or weights file with a flipped bit is an error, not a different
// model: gradflow's files carry checksums of the header and of every tensor.
func ExampleReadTensors_corrupt() {
	var buf bytes.Buffer
	w := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{0.5, -1}))
	if err := graph.WriteTensors(&buf, map[string]*tensor.Dense{"fc/weight": w}, map[string]string{"format": "gradflow"}); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	b[len(b)-1] ^= 0x01 // the last byte of the weight's data
	_, _, err := graph.ReadTensors(b)
	fmt.Println(err)
	// Output:
	// graph: safetensors: tensor "fc/weight": checksum 901d54cc, recorded 6276d7cf: its data is corrupt
}
