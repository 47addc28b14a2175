//go:build mpi

package dist

/*
#cgo pkg-config: ompi-c
#include <stdio.h>
#include <stdlib.h>
#include <mpi.h>

// Open MPI's handles are macros over its globals; these wrappers keep cgo away from
// them.
static int gf_init(int *provided) {
	int done = 0;
	MPI_Initialized(&done);
	if (done) {
		return MPI_Query_thread(provided);
	}
	return MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, provided);
}
static int gf_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static int gf_rank(int *r) { return MPI_Comm_rank(MPI_COMM_WORLD, r); }
static int gf_size(int *s) { return MPI_Comm_size(MPI_COMM_WORLD, s); }
static MPI_Datatype gf_type(int t) {
	switch (t) {
	case 0: return MPI_FLOAT;
	case 1: return MPI_DOUBLE;
	case 2: return MPI_INT64_T;
	}
	return MPI_BYTE;
}
static int gf_allreduce(void *buf, int n, int t) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, gf_type(t), MPI_SUM, MPI_COMM_WORLD);
}
static int gf_iallreduce(void *buf, int n, int t, MPI_Request *req) {
	return MPI_Iallreduce(MPI_IN_PLACE, buf, n, gf_type(t), MPI_SUM, MPI_COMM_WORLD, req);
}
static int gf_wait(MPI_Request *req) { return MPI_Wait(req, MPI_STATUS_IGNORE); }
static int gf_bcast(void *buf, int n, int t, int root) {
	return MPI_Bcast(buf, n, gf_type(t), root, MPI_COMM_WORLD);
}
static int gf_allgather(void *send, void *recv, int n, int t) {
	return MPI_Allgather(send, n, gf_type(t), recv, n, gf_type(t), MPI_COMM_WORLD);
}
static int gf_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static void gf_abort(int rank, char *msg) {
	fprintf(stderr, "gradflow: rank %d aborting: %s\n", rank, msg);
	fflush(stderr);
	MPI_Abort(MPI_COMM_WORLD, 1);
}
static int gf_finalize(void) { return MPI_Finalize(); }
static MPI_Request *gf_new_request(void) { return (MPI_Request *)malloc(sizeof(MPI_Request)); }
*/
import "C"

import (
	"math"
	"runtime"
	"sync"
	"unsafe"

	"github.com/pkg/errors"
)

// MPIBuilt reports whether this build has the MPI communicator (-tags mpi).
const MPIBuilt = true

var mpiOnce struct {
	sync.Mutex
	c *mpiComm
}

// NewMPI initialises MPI (MPI_Init_thread, asking for MPI_THREAD_MULTIPLE, as Go
// may call MPI from any OS thread) and returns the communicator of MPI_COMM_WORLD.
// Later calls return the same communicator. Run the program under mpirun (or srun
// --mpi=pmix); started alone it is a group of one.
func NewMPI() (Communicator, error) {
	mpiOnce.Lock()
	defer mpiOnce.Unlock()
	if mpiOnce.c != nil {
		return mpiOnce.c, nil
	}
	var provided C.int
	if rc := C.gf_init(&provided); rc != 0 {
		return nil, errors.Errorf("dist: MPI_Init_thread failed (code %d)", int(rc))
	}
	if provided < C.gf_thread_multiple() {
		return nil, errors.Errorf("dist: MPI provides thread level %d, want MPI_THREAD_MULTIPLE (%d)", int(provided), int(C.gf_thread_multiple()))
	}
	var rank, size C.int
	if rc := C.gf_rank(&rank); rc != 0 {
		return nil, errors.Errorf("dist: MPI_Comm_rank failed (code %d)", int(rc))
	}
	if rc := C.gf_size(&size); rc != 0 {
		return nil, errors.Errorf("dist: MPI_Comm_size failed (code %d)", int(rc))
	}
	mpiOnce.c = &mpiComm{rank: int(rank), size: int(size)}
	return mpiOnce.c, nil
}

type mpiComm struct {
	rank, size int
	mu         sync.Mutex
	closed     bool
}

var _ Communicator = (*mpiComm)(nil)

func (c *mpiComm) Rank() int { return c.rank }
func (c *mpiComm) Size() int { return c.size }

// view returns the address, element count and MPI type code of a buffer.
func view(buf any) (unsafe.Pointer, int, C.int) {
	switch b := buf.(type) {
	case []float32:
		return unsafe.Pointer(unsafe.SliceData(b)), len(b), 0
	case []float64:
		return unsafe.Pointer(unsafe.SliceData(b)), len(b), 1
	case []int64:
		return unsafe.Pointer(unsafe.SliceData(b)), len(b), 2
	case []byte:
		return unsafe.Pointer(unsafe.SliceData(b)), len(b), 3
	}
	return nil, 0, 0
}

var elemSize = [4]int{4, 8, 8, 1}

// chunks calls fn on pieces of at most MaxInt32 elements (MPI counts are C ints).
func chunks(p unsafe.Pointer, n int, t C.int, fn func(p unsafe.Pointer, n C.int) C.int) error {
	for off := 0; off < n; off += math.MaxInt32 {
		k := min(n-off, math.MaxInt32)
		if rc := fn(unsafe.Add(p, off*elemSize[t]), C.int(k)); rc != 0 {
			return errors.Errorf("MPI error code %d", int(rc))
		}
	}
	return nil
}

func (c *mpiComm) check() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("communicator closed")
	}
	return nil
}

func (c *mpiComm) AllReduceSum(buf any) error {
	if _, err := bufLen(buf, true); err != nil {
		return errors.Wrap(err, "dist: AllReduceSum")
	}
	if err := c.check(); err != nil {
		return errors.Wrap(err, "dist: AllReduceSum")
	}
	p, n, t := view(buf)
	return errors.Wrap(chunks(p, n, t, func(p unsafe.Pointer, n C.int) C.int { return C.gf_allreduce(p, n, t) }), "dist: AllReduceSum")
}

// mpiRequest is an MPI_Iallreduce in flight; its buffer is pinned until Wait, as
// MPI writes it after the call that started it has returned.
type mpiRequest struct {
	reqs []*C.MPI_Request
	pin  runtime.Pinner
	done bool
}

func (c *mpiComm) IAllReduceSum(buf any) (Request, error) {
	if _, err := bufLen(buf, true); err != nil {
		return nil, errors.Wrap(err, "dist: IAllReduceSum")
	}
	if err := c.check(); err != nil {
		return nil, errors.Wrap(err, "dist: IAllReduceSum")
	}
	p, n, t := view(buf)
	q := &mpiRequest{}
	if n > 0 {
		q.pin.Pin((*byte)(p))
	}
	err := chunks(p, n, t, func(p unsafe.Pointer, n C.int) C.int {
		r := C.gf_new_request()
		q.reqs = append(q.reqs, r)
		return C.gf_iallreduce(p, n, t, r)
	})
	if err != nil {
		q.release()
		return nil, errors.Wrap(err, "dist: IAllReduceSum")
	}
	return q, nil
}

func (q *mpiRequest) release() {
	for _, r := range q.reqs {
		C.free(unsafe.Pointer(r))
	}
	q.reqs = nil
	q.pin.Unpin()
}

func (q *mpiRequest) Wait() error {
	if q.done {
		return errors.New("dist: Wait: request already completed")
	}
	q.done = true
	defer q.release()
	for _, r := range q.reqs {
		if rc := C.gf_wait(r); rc != 0 {
			return errors.Errorf("dist: IAllReduceSum: MPI_Wait: MPI error code %d", int(rc))
		}
	}
	return nil
}

func (c *mpiComm) Broadcast(buf any, root int) error {
	_, err := bufLen(buf, false)
	if err == nil {
		err = checkRoot(root, c.size)
	}
	if err == nil {
		err = c.check()
	}
	if err != nil {
		return errors.Wrap(err, "dist: Broadcast")
	}
	p, n, t := view(buf)
	return errors.Wrap(chunks(p, n, t, func(p unsafe.Pointer, n C.int) C.int { return C.gf_bcast(p, n, t, C.int(root)) }), "dist: Broadcast")
}

func (c *mpiComm) AllGather(send, recv any) error {
	n, err := bufLen(send, false)
	if err != nil {
		return errors.Wrap(err, "dist: AllGather: send")
	}
	m, err := bufLen(recv, false)
	if err != nil {
		return errors.Wrap(err, "dist: AllGather: recv")
	}
	if typeName(send) != typeName(recv) || m != n*c.size {
		return errors.Errorf("dist: AllGather: send %T of %d, recv %T of %d: want recv of the same type and %d elements",
			send, n, recv, m, n*c.size)
	}
	if n > math.MaxInt32 {
		return errors.Errorf("dist: AllGather: %d elements per rank, want at most %d", n, math.MaxInt32)
	}
	if err := c.check(); err != nil {
		return errors.Wrap(err, "dist: AllGather")
	}
	sp, _, t := view(send)
	rp, _, _ := view(recv)
	if rc := C.gf_allgather(sp, rp, C.int(n), t); rc != 0 {
		return errors.Errorf("dist: AllGather: MPI error code %d", int(rc))
	}
	return nil
}

func (c *mpiComm) Barrier() error {
	if err := c.check(); err != nil {
		return errors.Wrap(err, "dist: Barrier")
	}
	if rc := C.gf_barrier(); rc != 0 {
		return errors.Errorf("dist: Barrier: MPI error code %d", int(rc))
	}
	return nil
}

func (c *mpiComm) Abort(err error) {
	msg := "no error given"
	if err != nil {
		msg = err.Error()
	}
	cs := C.CString(msg)
	C.gf_abort(C.int(c.rank), cs) // does not return
	C.free(unsafe.Pointer(cs))
}

func (c *mpiComm) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("dist: Close: already closed")
	}
	c.closed = true
	if rc := C.gf_finalize(); rc != 0 {
		return errors.Errorf("dist: MPI_Finalize: MPI error code %d", int(rc))
	}
	return nil
}
