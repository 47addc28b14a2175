package graph

import (
	"reflect"

	"github.com/gradflow/gradflow/graph/internal/tape"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Running the tape on the caller's goroutine.
//
// gorgonia's TapeMachine.RunAll locks the calling goroutine to its OS thread, starts a
// new goroutine that executes the tape (runall), and waits for it on channels. The
// caller's thread then sleeps, another thread must be woken to run the tape, and the
// locked thread woken again at the end: two futex wake-ups and a new goroutine (whose
// stack grows anew) every run. On a 2-layer XOR network that was about half of a
// 72 µs training step. And a panic inside an op's Do happens on that other goroutine,
// where no recover of ours can catch it: it kills the process (docs/architecture.md).
//
// runTape calls the same runall loop directly on the caller's goroutine, with buffered
// channels so that it never blocks, then does what RunAll does after it (flush the
// extern work; run the closure queue, which only machines built with
// gorgonia.BindDualValues fill and graph never does: TestTapeClosureQueueEmpty). A
// panic inside an op now reaches Machine.Run's Recover and becomes an error.
//
// The linkname lives in graph/internal/tape. gorgonia v0.9.18 is pinned in go.mod; if
// runall's name or signature changed, the build would fail at link time, not at run
// time.

// isTape reports whether t is gorgonia's *tapeMachine, the only VM runTape runs
// directly.
func isTape(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Name() == "tapeMachine" && t.Elem().PkgPath() == "gorgonia.org/gorgonia"
}

// runTape runs vm's tape from its current position (Reset first) to the end.
func runTape(vm gorgonia.VM, errc chan error, done chan struct{}) error {
	v := reflect.ValueOf(vm)
	if !isTape(v.Type()) {
		return vm.RunAll()
	}
	tape.Runall(v.UnsafePointer(), errc, done)
	select {
	case err := <-errc:
		return err
	case <-done:
	default:
		return errors.New("graph: the tape stopped without finishing or failing")
	}
	if w, ok := vm.(interface{ DoWork() error }); ok {
		return w.DoWork()
	}
	return nil
}

// tapeNode returns the node of the instruction at vm's current position, when vm is
// gorgonia's tape machine: during a panic in an op, the op that panicked (runall
// advances its pc after each instruction). It reads the machine's unexported pc and
// program through reflection, as runTape links to its unexported loop; it returns nil
// if they are not where gorgonia v0.9.18 keeps them.
func tapeNode(vm gorgonia.VM, eg *gorgonia.ExprGraph) *gorgonia.Node {
	v := reflect.ValueOf(vm)
	if !isTape(v.Type()) || v.IsNil() {
		return nil
	}
	tm := v.Elem()
	pc, prog := tm.FieldByName("pc"), tm.FieldByName("p")
	if pc.Kind() != reflect.Int || prog.Kind() != reflect.Pointer || prog.IsNil() {
		return nil
	}
	instrs := prog.Elem().FieldByName("instructions")
	if instrs.Kind() != reflect.Slice || pc.Int() < 0 || int(pc.Int()) >= instrs.Len() {
		return nil
	}
	in := instrs.Index(int(pc.Int()))
	for in.Kind() == reflect.Interface || in.Kind() == reflect.Pointer {
		if in.IsNil() {
			return nil
		}
		in = in.Elem()
	}
	if in.Kind() != reflect.Struct {
		return nil
	}
	id := in.FieldByName("id")
	if id.Kind() != reflect.Int64 {
		return nil
	}
	n, _ := eg.Node(id.Int()).(*gorgonia.Node)
	return n
}
