//go:build !openblas

package graph

import (
	"testing"

	"github.com/gradflow/gradflow/ops/blas"
	"gorgonia.org/gorgonia"
)

func TestDefaultBLASIsGradflows(t *testing.T) {
	if _, ok := gorgonia.WhichBLAS().(blas.Implementation); !ok {
		t.Fatalf("gorgonia's BLAS is %T, want ops/blas.Implementation", gorgonia.WhichBLAS())
	}
}
