package graph

import (
	"fmt"
	"hash"
	"reflect"
	"strings"
	"testing"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// panicOp is an op whose Do panics after `after` successful runs: a buggy user op.
type panicOp struct{ runs *int }

func (op panicOp) Arity() int { return 1 }
func (op panicOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}
func (op panicOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (op panicOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	*op.runs++
	if *op.runs == 2 {
		panic("panicOp: boom")
	}
	return in[0].(*tensor.Dense).Clone().(*tensor.Dense), nil
}
func (op panicOp) ReturnsPtr() bool      { return false }
func (op panicOp) CallsExtern() bool     { return false }
func (op panicOp) OverwritesInput() int  { return -1 }
func (op panicOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "panicOp") }
func (op panicOp) Hashcode() uint32      { return 1 }
func (op panicOp) String() string        { return "panicOp" }

// TestRunRecoversPanicInOp: since Machine runs the tape on the caller's goroutine
// (runTape), a panic inside an op's Do is an error of Run, not the end of the process
// (with gorgonia's RunAll it happened on a goroutine of gorgonia's and killed it), and
// the machine runs again afterwards.
func TestRunRecoversPanicInOp(t *testing.T) {
	var runs int
	g := New(Float64, Eval)
	x, _ := g.Input("x", 2)
	y, err := gorgonia.ApplyOp(panicOp{&runs}, x)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(g, Outputs(y))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !isTape(reflect.TypeOf(m.vm)) {
		t.Fatalf("the machine's VM is a %T, not gorgonia's tape machine: runTape would not be used", m.vm)
	}
	xt := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2}))
	for run := 1; run <= 3; run++ {
		err := m.Run(Feeds{x: xt})
		if run == 2 {
			if err == nil || !strings.Contains(err.Error(), "boom") {
				t.Fatalf("run 2: error %v, want the op's panic", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if out, _ := m.Output(y); out.Float64s()[1] != 2 {
			t.Fatalf("run %d: output %v", run, out)
		}
	}
}

// TestTapeClosureQueueEmpty: runTape does not run gorgonia's closure queue, which only
// tape machines built with gorgonia.BindDualValues fill. Check, through reflection,
// that a training machine's stays empty.
func TestTapeClosureQueueEmpty(t *testing.T) {
	s := NewScope(Float64, Seed(1))
	w, err := s.Param("w", Weight, []int{2, 3}, Constant{2})
	if err != nil {
		t.Fatal(err)
	}
	g := New(Float64, Train)
	x, _ := g.Input("x", 2, 3)
	wn, _ := g.Node(w)
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(x, wn))))
	m, err := Compile(g, Loss(loss))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	xt := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	for run := 0; run < 2; run++ {
		if err := m.Run(Feeds{x: xt}); err != nil {
			t.Fatal(err)
		}
	}
	q := reflect.ValueOf(m.vm).Elem().FieldByName("closureQueue")
	if !q.IsValid() {
		t.Fatal("gorgonia's tapeMachine has no closureQueue field: check runTape against the new RunAll")
	}
	if q.Len() != 0 {
		t.Fatalf("closure queue holds %d closures; runTape would skip them", q.Len())
	}
	if got := w.Grad().Float64s(); got[5] != 6 {
		t.Fatalf("grad w = %v, want x", got)
	}
}
