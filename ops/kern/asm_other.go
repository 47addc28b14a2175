//go:build !amd64 || purego

package kern

// No assembly in this build: every kernel runs its Go body on every element.

func reluAsm[F Float](x, y []F) int                                        { return 0 }
func reluGradAsm[F Float](y, dy, dx []F) int                               { return 0 }
func addAsm[F Float](dst, src []F) int                                     { return 0 }
func adamAsm[F Float](w, g, m, v []F, a AdamArgs[F]) int                   { return 0 }
func geluAsm(x, y []float32) int                                           { return 0 }
func geluGradAsm(x, dy, dx []float32) int                                  { return 0 }
func expShiftedAsm(x []float32, scale, m float64) (int, float64)           { return 0, 0 }
func lstmCellAsm[F Float](row, cPrev, bias []F, H int) int                 { return 0 }
func lstmCellGradAsm[F Float](row, drow, cPrev, dh, dc, dg []F, H int) int { return 0 }
func gruCellAsm[F Float](row, hp, hPrev, bih, bhh []F, H int) int          { return 0 }
func tanhBiasAsm[F Float](x, bias []F) int                                 { return 0 }
func maxPool2Asm[F Float](x, y, dy, dx []F, planes, h, w int) int          { return 0 }
