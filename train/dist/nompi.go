//go:build !mpi

package dist

import "github.com/pkg/errors"

// MPIBuilt reports whether this build has the MPI communicator (-tags mpi).
const MPIBuilt = false

// NewMPI returns the MPI communicator in a build with -tags mpi (which needs cgo and
// Open MPI's headers); this build has none, and NewMPI says so.
func NewMPI() (Communicator, error) {
	return nil, errors.New("dist: NewMPI: this program was built without MPI; rebuild with -tags mpi (needs cgo and libopenmpi-dev)")
}
