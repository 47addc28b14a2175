//go:build amd64 && !purego

#include "textflag.h"

// func im2colAVX512S(x, col *float32, c, h, w, kh, kw, oh, ow, nv int, tail uint64, tb int)
// For each channel, tap row p and tap column q, in that order, copies the oh x ow block
// of x starting at row p, column q of the channel's h x w plane to col, rows of ow
// values one after the other: nv whole vectors of 16 and the lanes set in tail per
// row; tb is the tail's size in bytes.
TEXT ·im2colAVX512S(SB), NOSPLIT, $0-96
	MOVQ x+0(FP), SI
	MOVQ col+8(FP), DI
	MOVQ c+16(FP), R8
	MOVQ h+24(FP), AX
	MOVQ w+32(FP), BX
	IMULQ BX, AX
	SHLQ $2, AX
	SHLQ $2, BX
	MOVQ tail+80(FP), CX
	KMOVW CX, K1

chS:
	TESTQ R8, R8
	JZ    doneS
	MOVQ  kh+40(FP), R9
	MOVQ  SI, R13

pS:
	TESTQ R9, R9
	JZ    chNextS
	MOVQ  kw+48(FP), R10
	MOVQ  R13, R14

qS:
	TESTQ R10, R10
	JZ    pNextS
	MOVQ  oh+56(FP), R11
	MOVQ  R14, R15

iS:
	TESTQ R11, R11
	JZ    qNextS
	MOVQ  nv+72(FP), R12
	MOVQ  R15, CX

vS:
	TESTQ R12, R12
	JZ    vTailS
	VMOVUPS (CX), Z0
	VMOVUPS Z0, (DI)
	ADDQ  $64, CX
	ADDQ  $64, DI
	DECQ  R12
	JMP   vS

vTailS:
	VMOVUPS.Z (CX), K1, Z0
	VMOVUPS   Z0, K1, (DI)
	ADDQ    tb+88(FP), DI
	ADDQ    BX, R15
	DECQ    R11
	JMP     iS

qNextS:
	ADDQ $4, R14
	DECQ R10
	JMP  qS

pNextS:
	ADDQ BX, R13
	DECQ R9
	JMP  pS

chNextS:
	ADDQ AX, SI
	DECQ R8
	JMP  chS

doneS:
	VZEROUPPER
	RET

// func im2colAVX512D(x, col *float64, c, h, w, kh, kw, oh, ow, nv int, tail uint64, tb int)
// For each channel, tap row p and tap column q, in that order, copies the oh x ow block
// of x starting at row p, column q of the channel's h x w plane to col, rows of ow
// values one after the other: nv whole vectors of 8 and the lanes set in tail per
// row; tb is the tail's size in bytes.
TEXT ·im2colAVX512D(SB), NOSPLIT, $0-96
	MOVQ x+0(FP), SI
	MOVQ col+8(FP), DI
	MOVQ c+16(FP), R8
	MOVQ h+24(FP), AX
	MOVQ w+32(FP), BX
	IMULQ BX, AX
	SHLQ $3, AX
	SHLQ $3, BX
	MOVQ tail+80(FP), CX
	KMOVW CX, K1

chD:
	TESTQ R8, R8
	JZ    doneD
	MOVQ  kh+40(FP), R9
	MOVQ  SI, R13

pD:
	TESTQ R9, R9
	JZ    chNextD
	MOVQ  kw+48(FP), R10
	MOVQ  R13, R14

qD:
	TESTQ R10, R10
	JZ    pNextD
	MOVQ  oh+56(FP), R11
	MOVQ  R14, R15

iD:
	TESTQ R11, R11
	JZ    qNextD
	MOVQ  nv+72(FP), R12
	MOVQ  R15, CX

vD:
	TESTQ R12, R12
	JZ    vTailD
	VMOVUPD (CX), Z0
	VMOVUPD Z0, (DI)
	ADDQ  $64, CX
	ADDQ  $64, DI
	DECQ  R12
	JMP   vD

vTailD:
	VMOVUPD.Z (CX), K1, Z0
	VMOVUPD   Z0, K1, (DI)
	ADDQ    tb+88(FP), DI
	ADDQ    BX, R15
	DECQ    R11
	JMP     iD

qNextD:
	ADDQ $8, R14
	DECQ R10
	JMP  qD

pNextD:
	ADDQ BX, R13
	DECQ R9
	JMP  pD

chNextD:
	ADDQ AX, SI
	DECQ R8
	JMP  chD

doneD:
	VZEROUPPER
	RET
