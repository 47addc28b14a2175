//go:build !amd64 || purego

package ops

var attnAsm = false

func softmaxExpAVX512(x *float32, n int, scale, m float64) float64 { panic("ops: no AVX-512") }
