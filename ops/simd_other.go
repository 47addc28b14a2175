//go:build !amd64 || purego

package ops

// useAVX2 is false off amd64: the Go kernels run.
var useAVX2 = false

func reluAVX2S(x, y *float32, n int)          { panic("ops: no AVX2") }
func reluAVX2D(x, y *float64, n int)          { panic("ops: no AVX2") }
func reluMaskAVX2S(y, dy, dx *float32, n int) { panic("ops: no AVX2") }
func reluMaskAVX2D(y, dy, dx *float64, n int) { panic("ops: no AVX2") }
func addAVX2S(dst, src *float32, n int)       { panic("ops: no AVX2") }
func addAVX2D(dst, src *float64, n int)       { panic("ops: no AVX2") }
