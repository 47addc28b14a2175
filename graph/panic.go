package graph

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"

	"github.com/pkg/errors"
)

// Panics at gradflow's boundaries.
//
// gorgonia panics where it could return errors (its Must helpers, NewTapeMachine, Grad
// on an op with no derivative, shape checks inside some ops), and a layer or an op
// written by a user may panic too. gradflow turns those panics into errors at its
// public boundaries only: nn.Forward (building one layer's nodes, which Sequential,
// Residual and the Trainer call for every layer), Compile and Machine.Run (running
// the tape), and Recover for code of the user's own. The error is a *PanicError that
// says whose code panicked, found from the stack at the time of the recover: the
// first frame below the panic that is not the Go runtime's or the standard library's.

// Whose says whose code a recovered panic came from.
type Whose int

// The owners of a panicking function.
const (
	// UserCode is anything that is neither gorgonia nor gradflow: the program, its
	// layers and ops, and tests (a frame in a _test.go file counts as the user's).
	UserCode Whose = iota
	// Gorgonia is a function of gorgonia.org/... (gorgonia, tensor): a gorgonia.Must on
	// a bad shape, an op's shape check.
	Gorgonia
	// Gradflow is a function of gradflow's own packages: a bug in gradflow.
	Gradflow
)

func (w Whose) String() string {
	switch w {
	case UserCode:
		return "user code"
	case Gorgonia:
		return "gorgonia"
	case Gradflow:
		return "gradflow"
	}
	return fmt.Sprintf("Whose(%d)", int(w))
}

// PanicError is a panic recovered at one of gradflow's boundaries. Its message says
// whose code panicked and where:
//
//	gorgonia panicked in gorgonia.org/gorgonia.Must: ...
//	gradflow panicked in github.com/gradflow/gradflow/ops.(*bnOp).Do: ...
//	user code panicked in main.(*myLayer).Forward: ...
//
// The error that wraps it (errors.WithStack) holds the stack at the recover, the
// panicking frames included: print it with %+v.
type PanicError struct {
	Whose Whose
	// Func is the function that panicked, as the runtime names it
	// ("gorgonia.org/gorgonia.Must", "main.(*myLayer).Forward"), with the runtime's
	// and the standard library's frames skipped; "" if the stack did not show it.
	Func string
	// Value is what was passed to panic.
	Value any
}

func (e *PanicError) Error() string {
	if e.Func == "" {
		return fmt.Sprintf("%v panicked: %v", e.Whose, e.Value)
	}
	return fmt.Sprintf("%v panicked in %s: %v", e.Whose, e.Func, e.Value)
}

// Unwrap returns the panic's value if it is an error, so that errors.Is and errors.As
// see through the panic.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Recover turns a panic into an error stored in *err: a *PanicError saying whose code
// panicked (see Whose) and in which function, wrapped with the stack. Use it as
//
//	defer graph.Recover(&err)
//
// directly (not inside another deferred function: recover only works there) at a
// boundary of your own whose body calls gorgonia or code that may panic. gradflow's own
// boundaries (nn.Forward, Compile, Machine.Run) already recover and add what they were
// doing: the layer, the op.
func Recover(err *error) {
	if r := recover(); r != nil {
		*err = panicked(r)
	}
}

// panicked returns the error for r, a value just recovered from a panic. It must be
// called from the deferred function that called recover, while the panicking frames
// are still on the stack.
func panicked(r any) error {
	w, fn := panicker()
	return errors.WithStack(&PanicError{Whose: w, Func: fn, Value: r})
}

// gradflowPrefix is gradflow's module path with a slash: its packages' functions start
// with it.
var gradflowPrefix = strings.TrimSuffix(reflect.TypeOf(Param{}).PkgPath(), "graph")

// panicker returns the owner and the name of the function that panicked: the first
// frame below runtime.gopanic on the current stack that is neither the runtime's nor
// the standard library's.
func panicker() (Whose, string) {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	below := false // past runtime.gopanic
	gorootSrc := ""
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			below = true
			// The runtime's own file gives GOROOT/src, where the standard library lives
			// ("" in a -trimpath build: the package path decides then).
			if strings.HasSuffix(f.File, "runtime/panic.go") {
				gorootSrc = strings.TrimSuffix(f.File, "runtime/panic.go")
			}
		case below && !isStd(f.Function, f.File, gorootSrc):
			return whose(f.Function, f.File), f.Function
		}
		if !more {
			return UserCode, ""
		}
	}
}

// isStd reports whether the function fn, in file, belongs to the Go runtime or the
// standard library.
func isStd(fn, file, gorootSrc string) bool {
	if strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/") {
		return true
	}
	if gorootSrc != "" {
		return strings.HasPrefix(file, gorootSrc)
	}
	first := fn // the first element of the package path
	if i := strings.Index(fn, "/"); i >= 0 {
		first = fn[:i]
	} else if i := strings.Index(fn, "."); i >= 0 {
		first = fn[:i] // "math.Sqrt", "main.run"
	}
	return !strings.Contains(first, ".") && first != "main"
}

// whose returns the owner of the function fn defined in file.
func whose(fn, file string) Whose {
	switch {
	case strings.HasSuffix(file, "_test.go"):
		return UserCode // a test plays the user, also inside gradflow's packages
	case strings.HasPrefix(fn, "gorgonia.org/"):
		return Gorgonia
	case strings.HasPrefix(fn, gradflowPrefix):
		return Gradflow
	}
	return UserCode
}
