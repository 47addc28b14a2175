//go:build !amd64 || purego

package blas

// No assembly Col2im here: col2imAsm32/64 stay unset, so these are never called.
func col2imS(col, dx *float32, c, kh, kw, oh, nchunk int, masks, smasks *uint16, st [8]int) {
	panic("blas: no assembly col2im")
}

func col2imD(col, dx *float64, c, kh, kw, oh, nchunk int, masks, smasks *uint16, st [8]int) {
	panic("blas: no assembly col2im")
}

func col2imVecS(col, dx *float32, c, kh, kw, oh, nchunk int, masks, smasks *uint32, st [8]int) {
	panic("blas: no assembly col2im")
}

func col2imVecD(col, dx *float64, c, kh, kw, oh, nchunk int, masks, smasks *uint32, st [8]int) {
	panic("blas: no assembly col2im")
}
