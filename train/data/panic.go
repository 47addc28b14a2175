package data

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/pkg/errors"
)

// recoveredError turns the value of a recovered panic into an error for the code that
// runs user code in a goroutine of ours (Prefetch's reader, Augment's workers), where a
// panic would otherwise end the process, since no caller can recover it. It must be
// called from the deferred function that recovered: the message names the function,
// file and line that panicked, and the error's stack trace (%+v) is the panicking
// goroutine's. A panic value that is an error stays reachable with errors.Is and As.
func recoveredError(who string, v any) error {
	where := panicSite()
	if err, ok := v.(error); ok {
		return errors.Wrapf(err, "%s panicked%s", who, where)
	}
	return errors.Errorf("%s panicked%s: %v", who, where, v)
}

// panicSite returns " in pkg.Func at file:line" for the frame that called panic (or
// that the runtime panicked in, for a nil dereference or an index out of range), or ""
// when the stack does not show it.
func panicSite() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	seenPanic := false
	for {
		f, more := frames.Next()
		if f.Function == "runtime.gopanic" {
			seenPanic = true
		} else if seenPanic && !strings.HasPrefix(f.Function, "runtime.") {
			return fmt.Sprintf(" in %s at %s:%d", f.Function, f.File, f.Line)
		}
		if !more {
			return ""
		}
	}
}
