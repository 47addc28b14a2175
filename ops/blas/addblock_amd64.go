//go:build amd64 && !purego

package blas

// Implemented in addblock_amd64.s.
//
//go:noescape
func addBlockAVX512S(dst *float32, ldd int, src *float32, lds, rows, nv int, tail uint64)

//go:noescape
func addBlockAVX512D(dst *float64, ldd int, src *float64, lds, rows, nv int, tail uint64)

func init() {
	if _, avx512 := cpuFeatures(); avx512 {
		addAsm32 = addAsm[float32]{fn: addBlockAVX512S, v: 16}
		addAsm64 = addAsm[float64]{fn: addBlockAVX512D, v: 8}
	}
}
