package dist

import (
	"fmt"

	"github.com/pkg/errors"
)

// Communicator is one rank's handle on a group of processes (or goroutines) that
// train together, in the manner of an MPI communicator. Every rank must call the
// collective methods (all but Rank, Size and Abort) in the same order with buffers of
// the same length and type; a collective returns only when every rank has entered it
// (or the group was aborted).
//
// Buffers are slices of float32 or float64 (AllReduceSum, IAllReduceSum), or of
// float32, float64, int64 or byte (Broadcast, AllGather). A method given another type
// returns an error and communicates nothing.
//
// The result of a reduction is the same, bit for bit, on every rank: the in-process
// implementation sums in rank order; Open MPI's reduction algorithms deliver one
// result to all ranks (checked by the mpirun tests for 2 ranks).
type Communicator interface {
	// Rank returns this rank's number, from 0 to Size()-1.
	Rank() int
	// Size returns the number of ranks.
	Size() int
	// AllReduceSum replaces buf, on every rank, with the element-wise sum of every
	// rank's buf.
	AllReduceSum(buf any) error
	// IAllReduceSum starts AllReduceSum and returns at once; buf must not be read
	// or written until the Request's Wait returns. Requests complete in the order
	// they were started.
	IAllReduceSum(buf any) (Request, error)
	// Broadcast copies root's buf into every other rank's buf.
	Broadcast(buf any, root int) error
	// AllGather sets recv, on every rank, to the concatenation of every rank's
	// send, in rank order; len(recv) must be Size()*len(send).
	AllGather(send, recv any) error
	// Barrier returns when every rank has entered it.
	Barrier() error
	// Abort ends the whole group because of err on this rank: with MPI it prints
	// err with the rank to stderr and calls MPI_Abort, which ends every process
	// with a non-zero exit status (it does not return); in process, every pending
	// and later collective on every rank returns an error naming this rank and
	// err.
	Abort(err error)
	// Close releases the communicator (MPI_Finalize for the MPI one); later calls
	// return errors.
	Close() error
}

// Request is a collective in progress (IAllReduceSum).
type Request interface {
	// Wait blocks until the collective is complete and its buffer may be used.
	Wait() error
}

// AbortError is the error the collectives of an aborted in-process group return.
type AbortError struct {
	Rank int   // the rank that called Abort
	Err  error // its error
}

func (e *AbortError) Error() string {
	return fmt.Sprintf("dist: rank %d aborted: %v", e.Rank, e.Err)
}

func (e *AbortError) Unwrap() error { return e.Err }

// bufLen returns the number of elements of buf and whether reduce (float32 or
// float64) or move (any supported type) accepts it.
func bufLen(buf any, reduce bool) (int, error) {
	switch b := buf.(type) {
	case []float32:
		return len(b), nil
	case []float64:
		return len(b), nil
	case []int64:
		if !reduce {
			return len(b), nil
		}
	case []byte:
		if !reduce {
			return len(b), nil
		}
	}
	if reduce {
		return 0, errors.Errorf("buffer of type %T, want []float32 or []float64", buf)
	}
	return 0, errors.Errorf("buffer of type %T, want []float32, []float64, []int64 or []byte", buf)
}

func checkRoot(root, size int) error {
	if root < 0 || root >= size {
		return errors.Errorf("root %d, want 0 <= root < %d", root, size)
	}
	return nil
}
