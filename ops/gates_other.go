//go:build !amd64 || purego

package ops

// gateAsm is false off amd64: the Go gate kernels run.
var gateAsm = false

func lstmCellAVX512(row, cPrev, bias *float32, h, n int) { panic("ops: no AVX-512") }

func lstmCellGradAVX512(row, drow, cPrev, dh, dc, dg *float32, h, n int) {
	panic("ops: no AVX-512")
}

func tanhBiasAVX512(x, bias *float32, n int) { panic("ops: no AVX-512") }

func gruCellAVX512(row, hp, hPrev, bih, bhh *float32, h, n int) { panic("ops: no AVX-512") }
