package dist

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/pkg/errors"
)

// NewLocal returns the n communicators of an in-process group: rank i is comms[i],
// to be used by one goroutine each (RunLocal starts them). Reductions sum in rank
// order, so every rank gets the same bits and a run is reproducible.
func NewLocal(n int) ([]Communicator, error) {
	if n < 1 {
		return nil, errors.Errorf("dist: NewLocal: %d ranks, want >= 1", n)
	}
	w := &world{n: n, abort: make(chan struct{}), abortedBy: -1}
	w.cur = w.newRound()
	comms := make([]Communicator, n)
	for i := range comms {
		comms[i] = &local{w: w, rank: i}
	}
	return comms, nil
}

// RunLocal runs fn on n in-process ranks, each in its own goroutine, and waits for
// all of them. A rank whose fn returns an error (or panics) aborts the group, so that
// no rank is left waiting in a collective. RunLocal returns the error of the rank
// that failed first, wrapped with its rank; the other ranks' AbortErrors are not
// repeated.
func RunLocal(n int, fn func(c Communicator) error) error {
	comms, err := NewLocal(n)
	if err != nil {
		return err
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, c := range comms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = errors.Errorf("dist: rank %d panicked: %v\n%s", i, r, debug.Stack())
					c.Abort(errs[i])
				}
			}()
			if err := fn(c); err != nil {
				errs[i] = err
				c.Abort(err)
			}
		}()
	}
	wg.Wait()
	w := comms[0].(*local).w
	w.mu.Lock()
	first := w.abortedBy
	w.mu.Unlock()
	if first >= 0 {
		return errors.Wrapf(errs[first], "dist: rank %d", first)
	}
	for i, err := range errs {
		if err != nil {
			return errors.Wrapf(err, "dist: rank %d", i)
		}
	}
	return nil
}

// world is the state an in-process group shares. Each collective is a round: every
// rank deposits its buffer; the last to arrive computes the result; each rank then
// copies it out. A new round begins as soon as the last rank arrives, so a rank may
// start the next collective while others still copy the last one's result.
type world struct {
	n         int
	mu        sync.Mutex
	cur       *round
	seq       int
	abort     chan struct{}
	abortErr  *AbortError
	abortedBy int
	reuse     any // the result buffer of a finished all-reduce, for the next one
}

type round struct {
	seq    int
	calls  []call
	in     int
	ready  chan struct{}
	result any
	err    error
	left   int // ranks that have not yet copied the result out
}

// call is one rank's part of a collective: the buffer it receives into (buf) and,
// for AllGather, the one it sends.
type call struct {
	op   string
	buf  any
	send any
	n    int
	root int
}

func (w *world) newRound() *round {
	w.seq++
	return &round{seq: w.seq, calls: make([]call, w.n), ready: make(chan struct{})}
}

type local struct {
	w      *world
	rank   int
	closed bool
}

var _ Communicator = (*local)(nil)

func (c *local) Rank() int { return c.rank }
func (c *local) Size() int { return c.w.n }

// enter deposits this rank's part of the next collective and returns its round.
func (c *local) enter(cl call) (*round, error) {
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.abortErr != nil {
		return nil, w.abortErr
	}
	if c.closed {
		return nil, errors.Errorf("rank %d: communicator closed", c.rank)
	}
	r := w.cur
	r.calls[c.rank] = cl
	r.in++
	if r.in == w.n {
		r.result, r.err = complete(r.calls, w.reuse)
		w.reuse, r.left = nil, w.n
		close(r.ready)
		w.cur = w.newRound()
	}
	return r, nil
}

// wait waits for the round and copies its result into this rank's buffer.
func (c *local) wait(r *round) error {
	select {
	case <-r.ready:
	case <-c.w.abort:
		select {
		case <-r.ready: // completed before the abort: deliver it
		default:
			c.w.mu.Lock()
			defer c.w.mu.Unlock()
			return c.w.abortErr
		}
	}
	if r.err != nil {
		return r.err
	}
	cl := r.calls[c.rank]
	switch cl.op {
	case "allgather", "allreduce", "broadcast":
		copyInto(cl.buf, r.result)
	}
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	if r.left--; r.left == 0 && cl.op == "allreduce" {
		c.w.reuse = r.result // every rank has its copy: the next sum may write into it
	}
	return nil
}

func (c *local) do(cl call) error {
	r, err := c.enter(cl)
	if err != nil {
		return err
	}
	return c.wait(r)
}

func (c *local) AllReduceSum(buf any) error {
	n, err := bufLen(buf, true)
	if err != nil {
		return errors.Wrap(err, "dist: AllReduceSum")
	}
	return errors.Wrap(c.do(call{op: "allreduce", buf: buf, n: n}), "dist: AllReduceSum")
}

func (c *local) IAllReduceSum(buf any) (Request, error) {
	n, err := bufLen(buf, true)
	if err != nil {
		return nil, errors.Wrap(err, "dist: IAllReduceSum")
	}
	r, err := c.enter(call{op: "allreduce", buf: buf, n: n})
	if err != nil {
		return nil, errors.Wrap(err, "dist: IAllReduceSum")
	}
	return &localRequest{c: c, r: r}, nil
}

type localRequest struct {
	c    *local
	r    *round
	done bool
}

func (q *localRequest) Wait() error {
	if q.done {
		return errors.New("dist: Wait: request already completed")
	}
	q.done = true
	return errors.Wrap(q.c.wait(q.r), "dist: IAllReduceSum")
}

func (c *local) Broadcast(buf any, root int) error {
	n, err := bufLen(buf, false)
	if err == nil {
		err = checkRoot(root, c.w.n)
	}
	if err != nil {
		return errors.Wrap(err, "dist: Broadcast")
	}
	return errors.Wrap(c.do(call{op: "broadcast", buf: buf, n: n, root: root}), "dist: Broadcast")
}

func (c *local) AllGather(send, recv any) error {
	n, err := bufLen(send, false)
	if err != nil {
		return errors.Wrap(err, "dist: AllGather: send")
	}
	m, err := bufLen(recv, false)
	if err != nil {
		return errors.Wrap(err, "dist: AllGather: recv")
	}
	if fmt.Sprintf("%T", send) != fmt.Sprintf("%T", recv) || m != n*c.w.n {
		return errors.Errorf("dist: AllGather: send %T of %d, recv %T of %d: want recv of the same type and %d elements",
			send, n, recv, m, n*c.w.n)
	}
	return errors.Wrap(c.do(call{op: "allgather", buf: recv, send: send, n: n}), "dist: AllGather")
}

func (c *local) Barrier() error {
	return errors.Wrap(c.do(call{op: "barrier"}), "dist: Barrier")
}

func (c *local) Abort(err error) {
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.abortErr != nil {
		return
	}
	if err == nil {
		err = errors.New("no error given")
	}
	w.abortErr = &AbortError{Rank: c.rank, Err: err}
	w.abortedBy = c.rank
	close(w.abort)
}

func (c *local) Close() error {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	if c.closed {
		return errors.Errorf("dist: Close: rank %d already closed", c.rank)
	}
	c.closed = true
	return nil
}
