//go:build !amd64 || purego

package ops

// No assembly pooling here: pool2Asm stays false and these are never called.
func maxPool2FwdS(x, y *float32, rows, wB, yB, nfull int, tail uint64) {
	panic("ops: no assembly pooling")
}

func maxPool2FwdD(x, y *float64, rows, wB, yB, nfull int, tail uint64) {
	panic("ops: no assembly pooling")
}

func maxPool2BwdS(x, y, dy, dx *float32, rows, wB, yB, nfull int, tail uint64) {
	panic("ops: no assembly pooling")
}

func maxPool2BwdD(x, y, dy, dx *float64, rows, wB, yB, nfull int, tail uint64) {
	panic("ops: no assembly pooling")
}
