//go:build openblas

package graph

// With -tags openblas, gradflow multiplies matrices with the system's OpenBLAS through
// gonum's cgo bindings (gonum.org/v1/netlib) instead of its own GEMM. It needs cgo and
// OpenBLAS's headers and library (Debian: apt-get install libopenblas-dev), e.g.
//
//	CGO_LDFLAGS=-lopenblas go test -tags openblas ./...
//
// go.mod pins gonum.org/v1/netlib at v0.0.0-20220323200511-14de99971b2d: a newer one
// raises gonum past the v0.11.0 that gorgonia v0.9.18 needs.

/*
#cgo LDFLAGS: -lopenblas
*/
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	"gorgonia.org/gorgonia"
)

func init() { gorgonia.Use(netlib.Implementation{}) }
