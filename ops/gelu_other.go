//go:build !amd64 || purego

package ops

// useAVX512 is false off amd64: the Go kernels run.
var useAVX512 = false

func geluAVX512(x, y *float32, n int)          { panic("ops: no AVX-512") }
func geluGradAVX512(x, dy, dx *float32, n int) { panic("ops: no AVX-512") }
