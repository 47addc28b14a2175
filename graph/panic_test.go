package graph

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestRecoverWhose: Recover says whose code panicked and names the function, skipping
// the runtime's and the standard library's frames.
func TestRecoverWhose(t *testing.T) {
	sentinel := errors.New("sentinel")
	cases := []struct {
		name  string
		f     func()
		whose Whose
		fn    string // the panicking function's name ends with it
		msg   string
	}{
		{"gorgonia.Must", func() { gorgonia.Must(nil, sentinel) }, Gorgonia, "gorgonia.org/gorgonia.Must", "sentinel"},
		{"gradflow", func() { _ = (*Param)(nil).Name() }, Gradflow, "github.com/gradflow/gradflow/graph.(*Param).Name", "nil pointer"},
		{"user panic", func() { panic("boom") }, UserCode, "graph.TestRecoverWhose.func3", "boom"},
		{"user index", func() { _ = []int{}[len(t.Name())] }, UserCode, "graph.TestRecoverWhose.func4", "index out of range"},
		{"standard library", func() { _ = strings.Repeat("x", -len(t.Name())) }, UserCode, "graph.TestRecoverWhose.func5", "negative Repeat count"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := func() (err error) {
				defer Recover(&err)
				c.f()
				return nil
			}()
			var pe *PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *PanicError", err, err)
			}
			if pe.Whose != c.whose || !strings.HasSuffix(pe.Func, c.fn) {
				t.Errorf("Whose, Func = %v, %q; want %v, ...%q", pe.Whose, pe.Func, c.whose, c.fn)
			}
			want := fmt.Sprintf("%v panicked in %s: ", c.whose, pe.Func)
			if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q, want %q followed by %q", err, want, c.msg)
			}
			if !strings.Contains(fmt.Sprintf("%+v", err), pe.Func) {
				t.Errorf("%%+v does not show the panicking frame %s:\n%+v", pe.Func, err)
			}
		})
	}
	err := func() (err error) {
		defer Recover(&err)
		gorgonia.Must(nil, sentinel)
		return nil
	}()
	if !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(%v, the panic's error) = false", err)
	}
}

func TestIsStdFallback(t *testing.T) {
	// Without GOROOT's path (a -trimpath build), the package path decides.
	for fn, want := range map[string]bool{
		"math.Sqrt":                         true,
		"math/rand/v2.(*Rand).IntN":         true,
		"runtime.gopanic":                   true,
		"main.main.func1":                   false,
		"main.(*layer).Forward":             false,
		"gorgonia.org/gorgonia.Must":        false,
		"github.com/gradflow/gradflow/nn.F": false,
	} {
		if got := isStd(fn, "", ""); got != want {
			t.Errorf("isStd(%q) = %v, want %v", fn, got, want)
		}
	}
}

// TestRunPanicNamesOp: a panic in an op's Do during Machine.Run names the op and says
// whose code panicked (here the test's, a user op).
func TestRunPanicNamesOp(t *testing.T) {
	runs := 1 // panicOp panics on its second run
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
	err = m.Run(Feeds{x: tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2}))})
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Whose != UserCode || pe.Func != "github.com/gradflow/gradflow/graph.panicOp.Do" {
		t.Fatalf("error %v, want a PanicError of the user's panicOp.Do", err)
	}
	want := "graph: Run: op panicOp (output shape (2)): user code panicked in github.com/gradflow/gradflow/graph.panicOp.Do: panicOp: boom"
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
}
