// Package dist holds what data-parallel training needs to talk between processes: the
// Communicator interface (rank, size, all-reduce sums, broadcast, all-gather,
// barrier, abort, a non-blocking all-reduce), an in-process implementation whose
// ranks are goroutines (NewLocal, RunLocal: for tests and for trying data
// parallelism without MPI), an Open MPI implementation (NewMPI, a small cgo layer
// built only with -tags mpi, so the default build stays pure Go), and
// DistributedSampler, PyTorch's split of a dataset among ranks.
//
// The Trainer uses a Communicator given in train.Config.Comm; docs/distributed.md
// describes the semantics and how to launch a job.
//
// Usage:
//
//	err := dist.RunLocal(2, func(c dist.Communicator) error {
//		grads := []float64{float64(c.Rank())}
//		return c.AllReduceSum(grads) // grads[0] == 1 on both ranks
//	})
package dist
