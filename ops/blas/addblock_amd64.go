//go:build amd64 && !purego

package blas

// Implemented in addblock_amd64.s.
//
//go:noescape
func addBlockAVX512S(dst *float32, ldd int, src *float32, lds, rows, nv int, tail uint64)

//go:noescape
func addBlockAVX512D(dst *float64, ldd int, src *float64, lds, rows, nv int, tail uint64)

// The AVX-512 block additions run on the PathAVX512 path.
var _ = onPath(func(p Path) {
	addAsm32, addAsm64 = addAsm[float32]{}, addAsm[float64]{}
	if p == PathAVX512 {
		addAsm32 = addAsm[float32]{fn: addBlockAVX512S, v: 16}
		addAsm64 = addAsm[float64]{fn: addBlockAVX512D, v: 8}
	}
})
