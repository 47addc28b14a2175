//go:build amd64 && !purego

#include "textflag.h"

// AVX2 element-wise kernels of ReLU and Linear (see simd_amd64.go). n is the number of
// elements, a multiple of 8 (float32) or 4 (float64); the callers do the tails in Go.

// func reluAVX2S(x, y *float32, n int)
// y = (0 > x) ? 0 : x: VMAXPS returns its second source when the first is not greater,
// so NaN and -0 pass through unchanged, as in PyTorch.
TEXT ·reluAVX2S(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $~31, BX
relus_loop32:
	CMPQ AX, BX
	JGE relus_loop8
	VMOVUPS 0(SI)(AX*4), Y1
	VMOVUPS 32(SI)(AX*4), Y2
	VMOVUPS 64(SI)(AX*4), Y3
	VMOVUPS 96(SI)(AX*4), Y4
	VMAXPS Y1, Y0, Y1
	VMAXPS Y2, Y0, Y2
	VMAXPS Y3, Y0, Y3
	VMAXPS Y4, Y0, Y4
	VMOVUPS Y1, 0(DI)(AX*4)
	VMOVUPS Y2, 32(DI)(AX*4)
	VMOVUPS Y3, 64(DI)(AX*4)
	VMOVUPS Y4, 96(DI)(AX*4)
	ADDQ $32, AX
	JMP relus_loop32
relus_loop8:
	CMPQ AX, CX
	JGE relus_done
	VMOVUPS (SI)(AX*4), Y1
	VMAXPS Y1, Y0, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ $8, AX
	JMP relus_loop8
relus_done:
	VZEROUPPER
	RET

// func reluAVX2D(x, y *float64, n int)
TEXT ·reluAVX2D(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPD Y0, Y0, Y0
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $~15, BX
relud_loop16:
	CMPQ AX, BX
	JGE relud_loop4
	VMOVUPD 0(SI)(AX*8), Y1
	VMOVUPD 32(SI)(AX*8), Y2
	VMOVUPD 64(SI)(AX*8), Y3
	VMOVUPD 96(SI)(AX*8), Y4
	VMAXPD Y1, Y0, Y1
	VMAXPD Y2, Y0, Y2
	VMAXPD Y3, Y0, Y3
	VMAXPD Y4, Y0, Y4
	VMOVUPD Y1, 0(DI)(AX*8)
	VMOVUPD Y2, 32(DI)(AX*8)
	VMOVUPD Y3, 64(DI)(AX*8)
	VMOVUPD Y4, 96(DI)(AX*8)
	ADDQ $16, AX
	JMP relud_loop16
relud_loop4:
	CMPQ AX, CX
	JGE relud_done
	VMOVUPD (SI)(AX*8), Y1
	VMAXPD Y1, Y0, Y1
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ $4, AX
	JMP relud_loop4
relud_done:
	VZEROUPPER
	RET

// func reluMaskAVX2S(y, dy, dx *float32, n int)
// dx = !(y <= 0) ? dy : 0: compare not-less-or-equal, unordered (true for NaN), then and.
TEXT ·reluMaskAVX2S(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), SI
	MOVQ dy+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VXORPS Y0, Y0, Y0
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $~15, BX
masks_loop16:
	CMPQ AX, BX
	JGE masks_loop8
	VMOVUPS 0(SI)(AX*4), Y1
	VMOVUPS 32(SI)(AX*4), Y2
	VCMPPS $0x16, Y0, Y1, Y1
	VCMPPS $0x16, Y0, Y2, Y2
	VANDPS 0(DX)(AX*4), Y1, Y1
	VANDPS 32(DX)(AX*4), Y2, Y2
	VMOVUPS Y1, 0(DI)(AX*4)
	VMOVUPS Y2, 32(DI)(AX*4)
	ADDQ $16, AX
	JMP masks_loop16
masks_loop8:
	CMPQ AX, CX
	JGE masks_done
	VMOVUPS (SI)(AX*4), Y1
	VCMPPS $0x16, Y0, Y1, Y1
	VANDPS (DX)(AX*4), Y1, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ $8, AX
	JMP masks_loop8
masks_done:
	VZEROUPPER
	RET

// func reluMaskAVX2D(y, dy, dx *float64, n int)
TEXT ·reluMaskAVX2D(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), SI
	MOVQ dy+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VXORPD Y0, Y0, Y0
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $~7, BX
maskd_loop8:
	CMPQ AX, BX
	JGE maskd_loop4
	VMOVUPD 0(SI)(AX*8), Y1
	VMOVUPD 32(SI)(AX*8), Y2
	VCMPPD $0x16, Y0, Y1, Y1
	VCMPPD $0x16, Y0, Y2, Y2
	VANDPD 0(DX)(AX*8), Y1, Y1
	VANDPD 32(DX)(AX*8), Y2, Y2
	VMOVUPD Y1, 0(DI)(AX*8)
	VMOVUPD Y2, 32(DI)(AX*8)
	ADDQ $8, AX
	JMP maskd_loop8
maskd_loop4:
	CMPQ AX, CX
	JGE maskd_done
	VMOVUPD (SI)(AX*8), Y1
	VCMPPD $0x16, Y0, Y1, Y1
	VANDPD (DX)(AX*8), Y1, Y1
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ $4, AX
	JMP maskd_loop4
maskd_done:
	VZEROUPPER
	RET

// func addAVX2S(dst, src *float32, n int)
// dst += src, element by element (the same IEEE additions as a scalar loop).
TEXT ·addAVX2S(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $~31, BX
adds_loop32:
	CMPQ AX, BX
	JGE adds_loop8
	VMOVUPS 0(DI)(AX*4), Y1
	VMOVUPS 32(DI)(AX*4), Y2
	VMOVUPS 64(DI)(AX*4), Y3
	VMOVUPS 96(DI)(AX*4), Y4
	VADDPS 0(SI)(AX*4), Y1, Y1
	VADDPS 32(SI)(AX*4), Y2, Y2
	VADDPS 64(SI)(AX*4), Y3, Y3
	VADDPS 96(SI)(AX*4), Y4, Y4
	VMOVUPS Y1, 0(DI)(AX*4)
	VMOVUPS Y2, 32(DI)(AX*4)
	VMOVUPS Y3, 64(DI)(AX*4)
	VMOVUPS Y4, 96(DI)(AX*4)
	ADDQ $32, AX
	JMP adds_loop32
adds_loop8:
	CMPQ AX, CX
	JGE adds_done
	VMOVUPS (DI)(AX*4), Y1
	VADDPS (SI)(AX*4), Y1, Y1
	VMOVUPS Y1, (DI)(AX*4)
	ADDQ $8, AX
	JMP adds_loop8
adds_done:
	VZEROUPPER
	RET

// func addAVX2D(dst, src *float64, n int)
TEXT ·addAVX2D(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $~15, BX
addd_loop16:
	CMPQ AX, BX
	JGE addd_loop4
	VMOVUPD 0(DI)(AX*8), Y1
	VMOVUPD 32(DI)(AX*8), Y2
	VMOVUPD 64(DI)(AX*8), Y3
	VMOVUPD 96(DI)(AX*8), Y4
	VADDPD 0(SI)(AX*8), Y1, Y1
	VADDPD 32(SI)(AX*8), Y2, Y2
	VADDPD 64(SI)(AX*8), Y3, Y3
	VADDPD 96(SI)(AX*8), Y4, Y4
	VMOVUPD Y1, 0(DI)(AX*8)
	VMOVUPD Y2, 32(DI)(AX*8)
	VMOVUPD Y3, 64(DI)(AX*8)
	VMOVUPD Y4, 96(DI)(AX*8)
	ADDQ $16, AX
	JMP addd_loop16
addd_loop4:
	CMPQ AX, CX
	JGE addd_done
	VMOVUPD (DI)(AX*8), Y1
	VADDPD (SI)(AX*8), Y1, Y1
	VMOVUPD Y1, (DI)(AX*8)
	ADDQ $4, AX
	JMP addd_loop4
addd_done:
	VZEROUPPER
	RET
