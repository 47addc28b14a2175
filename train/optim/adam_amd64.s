//go:build amd64 && !purego

#include "textflag.h"

// func adamF32AVX2(wp, gp, mp, vp *float32, n int, c *adamCoeffs32)
// Processes n elements, n a multiple of 8. c holds, as float32 in this order:
// beta1, beta2, oneMinusBeta1, oneMinusBeta2, l2 (unused: callers pass l2 == 0),
// decay, stepSize, bc2Sqrt, eps. Every operation is the one the scalar loop in
// adam.go does, in the same order and without fused multiply-adds, so the results
// are bit-identical to it.
TEXT ·adamF32AVX2(SB), NOSPLIT, $0-48
	MOVQ wp+0(FP), SI
	MOVQ gp+8(FP), DI
	MOVQ mp+16(FP), R8
	MOVQ vp+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), DX
	VBROADCASTSS 0(DX), Y8   // beta1
	VBROADCASTSS 4(DX), Y9   // beta2
	VBROADCASTSS 8(DX), Y10  // 1 - beta1
	VBROADCASTSS 12(DX), Y11 // 1 - beta2
	VBROADCASTSS 20(DX), Y12 // decay
	VBROADCASTSS 24(DX), Y13 // stepSize
	VBROADCASTSS 28(DX), Y14 // bc2Sqrt
	VBROADCASTSS 32(DX), Y15 // eps
	XORQ AX, AX

loop:
	CMPQ AX, CX
	JGE  done
	VMOVUPS (SI)(AX*4), Y0 // w
	VMOVUPS (DI)(AX*4), Y1 // g
	VMULPS  Y12, Y0, Y0    // w *= decay
	VMOVUPS (R8)(AX*4), Y2
	VMULPS  Y8, Y2, Y2     // m*beta1
	VMULPS  Y1, Y10, Y4    // (1-beta1)*g
	VADDPS  Y4, Y2, Y2     // m = m*beta1 + (1-beta1)*g
	VMOVUPS Y2, (R8)(AX*4)
	VMOVUPS (R9)(AX*4), Y3
	VMULPS  Y9, Y3, Y3     // v*beta2
	VMULPS  Y1, Y11, Y4    // (1-beta2)*g
	VMULPS  Y1, Y4, Y4     // ((1-beta2)*g)*g
	VADDPS  Y4, Y3, Y3     // v = v*beta2 + (1-beta2)*g*g
	VMOVUPS Y3, (R9)(AX*4)
	VSQRTPS Y3, Y4         // sqrt(v)
	VDIVPS  Y14, Y4, Y4    // sqrt(v)/bc2Sqrt
	VADDPS  Y15, Y4, Y4    // + eps
	VMULPS  Y2, Y13, Y5    // stepSize*m
	VDIVPS  Y4, Y5, Y5     // (stepSize*m)/denom
	VSUBPS  Y5, Y0, Y0     // w - ...
	VMOVUPS Y0, (SI)(AX*4)
	ADDQ    $8, AX
	JMP     loop

done:
	VZEROUPPER
	RET

// func adamF64AVX2(wp, gp, mp, vp *float32, n int, c *adamCoeffs64)
// Processes n elements, n a multiple of 4. c holds, as float64 in this order:
// beta1, beta2, oneMinusBeta1, oneMinusBeta2, l2 (unused: callers pass l2 == 0),
// decay, stepSize, bc2Sqrt, eps. Every operation is the one the scalar loop in
// adam.go does, in the same order and without fused multiply-adds, so the results
// are bit-identical to it.
TEXT ·adamF64AVX2(SB), NOSPLIT, $0-48
	MOVQ wp+0(FP), SI
	MOVQ gp+8(FP), DI
	MOVQ mp+16(FP), R8
	MOVQ vp+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), DX
	VBROADCASTSD 0(DX), Y8   // beta1
	VBROADCASTSD 8(DX), Y9   // beta2
	VBROADCASTSD 16(DX), Y10  // 1 - beta1
	VBROADCASTSD 24(DX), Y11 // 1 - beta2
	VBROADCASTSD 40(DX), Y12 // decay
	VBROADCASTSD 48(DX), Y13 // stepSize
	VBROADCASTSD 56(DX), Y14 // bc2Sqrt
	VBROADCASTSD 64(DX), Y15 // eps
	XORQ AX, AX

loop64:
	CMPQ AX, CX
	JGE  done64
	VMOVUPD (SI)(AX*8), Y0 // w
	VMOVUPD (DI)(AX*8), Y1 // g
	VMULPD  Y12, Y0, Y0    // w *= decay
	VMOVUPD (R8)(AX*8), Y2
	VMULPD  Y8, Y2, Y2     // m*beta1
	VMULPD  Y1, Y10, Y4    // (1-beta1)*g
	VADDPD  Y4, Y2, Y2     // m = m*beta1 + (1-beta1)*g
	VMOVUPD Y2, (R8)(AX*8)
	VMOVUPD (R9)(AX*8), Y3
	VMULPD  Y9, Y3, Y3     // v*beta2
	VMULPD  Y1, Y11, Y4    // (1-beta2)*g
	VMULPD  Y1, Y4, Y4     // ((1-beta2)*g)*g
	VADDPD  Y4, Y3, Y3     // v = v*beta2 + (1-beta2)*g*g
	VMOVUPD Y3, (R9)(AX*8)
	VSQRTPD Y3, Y4         // sqrt(v)
	VDIVPD  Y14, Y4, Y4    // sqrt(v)/bc2Sqrt
	VADDPD  Y15, Y4, Y4    // + eps
	VMULPD  Y2, Y13, Y5    // stepSize*m
	VDIVPD  Y4, Y5, Y5     // (stepSize*m)/denom
	VSUBPD  Y5, Y0, Y0     // w - ...
	VMOVUPD Y0, (SI)(AX*8)
	ADDQ    $4, AX
	JMP     loop64

done64:
	VZEROUPPER
	RET
