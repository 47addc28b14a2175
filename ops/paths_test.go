package ops

import (
	"testing"

	"github.com/gradflow/gradflow/ops/blas"
)

// forEachPath runs f once per kernel path this CPU has (AVX-512, AVX2, the Go
// bodies), each as a subtest named after it, with that path active; it restores the
// path the test started with.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	was := blas.Active()
	defer blas.SetPath(was)
	for p := blas.Detected(); p >= blas.PathGeneric; p-- {
		if !blas.Supported(p) { // arm64: NEON and generic only
			continue
		}
		if err := blas.SetPath(p); err != nil {
			t.Fatal(err)
		}
		t.Run(p.String(), f)
	}
}
