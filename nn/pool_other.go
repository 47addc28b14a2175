//go:build !amd64 || purego

package nn

// No assembly pooling here: pool2Asm stays false and these are never called.
func maxPool2FwdS(r0, r1, y *float32, nfull int, tail uint64) { panic("nn: no assembly pooling") }
func maxPool2FwdD(r0, r1, y *float64, nfull int, tail uint64) { panic("nn: no assembly pooling") }
func maxPool2BwdS(r0, r1, y, dy, d0, d1 *float32, nfull int, tail uint64) {
	panic("nn: no assembly pooling")
}
func maxPool2BwdD(r0, r1, y, dy, d0, d1 *float64, nfull int, tail uint64) {
	panic("nn: no assembly pooling")
}
