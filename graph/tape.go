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
