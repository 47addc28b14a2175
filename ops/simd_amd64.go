//go:build amd64 && !purego

package ops

// Implemented in simd_amd64.s. n is a multiple of 8 (float32) or 4 (float64).
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

//go:noescape
func reluAVX2S(x, y *float32, n int)

//go:noescape
func reluAVX2D(x, y *float64, n int)

//go:noescape
func reluMaskAVX2S(y, dy, dx *float32, n int)

//go:noescape
func reluMaskAVX2D(y, dy, dx *float64, n int)

//go:noescape
func addAVX2S(dst, src *float32, n int)

//go:noescape
func addAVX2D(dst, src *float64, n int)

// useAVX2 selects the AVX2 kernels; tests switch it off to check the Go ones.
var useAVX2 = hasAVX2()

// hasAVX2 reports whether the CPU has AVX2 and the operating system saves the YMM
// registers.
func hasAVX2() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&(osxsave|avx) != osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}
