package train

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"

	"github.com/pkg/errors"
)

// useGuard detects overlapping calls of a Trainer's methods (Fit, Evaluate, Predict,
// SaveCheckpoint, LoadCheckpoint): a Trainer is not safe for concurrent use, and two
// goroutines sharing one would silently mix their batches in the shared graphs and
// buffers. A call from the goroutine already inside one (a callback of Fit saving a
// checkpoint or evaluating on a test set) is sequential, not an overlap, and is
// allowed, except Fit within Fit.
type useGuard struct {
	mu    sync.Mutex
	op    string // the outermost running call, "" when idle
	owner uint64 // the goroutine running it
	depth int    // calls running, the outermost included
}

// enter marks op as running, or reports the call it would overlap. The returned
// function ends it.
func (g *useGuard) enter(op string) (func(), error) {
	gid := goroutineID()
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.depth == 0:
		g.op, g.owner = op, gid
	case gid != g.owner:
		return nil, errors.Errorf("train: %s called while %s is running on the same Trainer in another goroutine: a Trainer is not safe for concurrent use (use one per goroutine)", op, g.op)
	case op == "Fit":
		return nil, errors.Errorf("train: Fit called from within %s (a callback?) on the same Trainer", g.op)
	}
	g.depth++
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.depth--; g.depth == 0 {
			g.op, g.owner = "", 0
		}
	}, nil
}

// goroutineID returns the id of the calling goroutine, read from the first line of
// its stack trace ("goroutine 17 [running]:"). The guard needs it only to tell a
// nested call from an overlapping one; nothing else depends on it.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b, _ = bytes.CutPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
