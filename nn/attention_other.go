//go:build !amd64 || purego

package nn

var attnAsm = false

func softmaxExpAVX512(x *float32, n int, scale, m float64) float64 { panic("nn: no AVX-512") }
