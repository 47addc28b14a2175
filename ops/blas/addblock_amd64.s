//go:build amd64 && !purego

#include "textflag.h"

// func addBlockAVX512S(dst *float32, ldd int, src *float32, lds, rows, nv int, tail uint64)
// dst[q*ldd+i] += src[q*lds+i] for q < rows and i < 16*nv + popcount(tail): nv whole
// vectors of 16, then the lanes set in tail (low bits), with masked moves that do not
// touch memory past the block.
TEXT ·addBlockAVX512S(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ rows+32(FP), CX
	MOVQ nv+40(FP), DX
	MOVQ tail+48(FP), AX
	KMOVW AX, K1
	SHLQ $2, R8
	SHLQ $2, R9

rowS:
	TESTQ CX, CX
	JZ   doneS
	MOVQ DI, R10
	MOVQ SI, R11
	MOVQ DX, R12

vecS:
	TESTQ R12, R12
	JZ    tailS
	VMOVUPS (R11), Z0
	VADDPS  (R10), Z0, Z0
	VMOVUPS Z0, (R10)
	ADDQ    $64, R10
	ADDQ    $64, R11
	DECQ    R12
	JMP     vecS

tailS:
	TESTQ AX, AX
	JZ    nextS
	VMOVUPS.Z (R11), K1, Z0
	VMOVUPS.Z (R10), K1, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (R10)

nextS:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ CX
	JMP  rowS

doneS:
	VZEROUPPER
	RET

// func addBlockAVX512D(dst *float64, ldd int, src *float64, lds, rows, nv int, tail uint64)
// As addBlockAVX512S with vectors of 8 float64.
TEXT ·addBlockAVX512D(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	MOVQ rows+32(FP), CX
	MOVQ nv+40(FP), DX
	MOVQ tail+48(FP), AX
	KMOVW AX, K1
	SHLQ $3, R8
	SHLQ $3, R9

rowD:
	TESTQ CX, CX
	JZ   doneD
	MOVQ DI, R10
	MOVQ SI, R11
	MOVQ DX, R12

vecD:
	TESTQ R12, R12
	JZ    tailD
	VMOVUPD (R11), Z0
	VADDPD  (R10), Z0, Z0
	VMOVUPD Z0, (R10)
	ADDQ    $64, R10
	ADDQ    $64, R11
	DECQ    R12
	JMP     vecD

tailD:
	TESTQ AX, AX
	JZ    nextD
	VMOVUPD.Z (R11), K1, Z0
	VMOVUPD.Z (R10), K1, Z1
	VADDPD    Z1, Z0, Z0
	VMOVUPD   Z0, K1, (R10)

nextD:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ CX
	JMP  rowD

doneD:
	VZEROUPPER
	RET
