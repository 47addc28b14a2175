//go:build openblas

package graph

import (
	"testing"

	"gonum.org/v1/netlib/blas/netlib"
	"gorgonia.org/gorgonia"
)

func TestOpenBLASInstalled(t *testing.T) {
	if _, ok := gorgonia.WhichBLAS().(netlib.Implementation); !ok {
		t.Fatalf("gorgonia's BLAS is %T, want netlib.Implementation with -tags openblas", gorgonia.WhichBLAS())
	}
}
