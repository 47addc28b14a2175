//go:build amd64 && !purego

#include "textflag.h"

// func col2imAVX512S(col, dx *float32, c, kh, kw, oh, nchunk int, masks, smasks *uint16, rowB, owB, qstepB, pB, planeB, backB, nchB, qmB int)
// Adds the im2col matrix col of a valid convolution back into the image dx (see
// col2imValid): for each channel, tap row p and block row i, the dx row p+i gets, one
// vector chunk k at a time, the kw tap columns' rows, each loaded shifted by q lanes
// with the mask masks[q*nchunk+k], summed in a register, then added to dx under
// smasks[k]. Byte strides: rowB a dx row, owB a block row, qstepB from tap column q to
// q+1 less one value, pB from tap row p to p+1, planeB a dx plane, backB (oh-1) dx rows,
// nchB one tap column's masks (2*nchunk), qmB all of them (2*kw*nchunk).
TEXT ·col2imAVX512S(SB), NOSPLIT, $0-136
	MOVQ col+0(FP), SI
	MOVQ dx+8(FP), R13
	MOVQ c+16(FP), R8

chS:
	TESTQ R8, R8
	JZ    doneS
	MOVQ  kh+24(FP), R9
	MOVQ  R13, R14

pS:
	TESTQ R9, R9
	JZ    chNextS
	MOVQ  oh+40(FP), R10
	MOVQ  SI, R15

iS:
	TESTQ R10, R10
	JZ    pNextS
	MOVQ  nchunk+48(FP), R11
	MOVQ  R14, AX
	MOVQ  R15, DX
	MOVQ  smasks+64(FP), DI
	MOVQ  masks+56(FP), CX

kS:
	TESTQ R11, R11
	JZ    iNextS
	KMOVW (DI), K2
	VMOVUPS.Z (AX), K2, Z0
	MOVQ  DX, BX
	MOVQ  kw+32(FP), R12

qS:
	KMOVW (CX), K1
	VMOVUPS.Z (BX), K1, Z1
	VADDPS Z1, Z0, Z0
	ADDQ  nchB+120(FP), CX
	ADDQ  qstepB+88(FP), BX
	DECQ  R12
	JNZ   qS

	SUBQ  qmB+128(FP), CX
	VMOVUPS Z0, K2, (AX)
	ADDQ  $64, AX
	ADDQ  $64, DX
	ADDQ  $2, DI
	ADDQ  $2, CX
	DECQ  R11
	JMP   kS

iNextS:
	ADDQ rowB+72(FP), R14
	ADDQ owB+80(FP), R15
	DECQ R10
	JMP  iS

pNextS:
	SUBQ backB+112(FP), R14
	ADDQ pB+96(FP), SI
	DECQ R9
	JMP  pS

chNextS:
	ADDQ planeB+104(FP), R13
	DECQ R8
	JMP  chS

doneS:
	VZEROUPPER
	RET

// func col2imAVX512D(col, dx *float64, c, kh, kw, oh, nchunk int, masks, smasks *uint16, rowB, owB, qstepB, pB, planeB, backB, nchB, qmB int)
// Adds the im2col matrix col of a valid convolution back into the image dx (see
// col2imValid): for each channel, tap row p and block row i, the dx row p+i gets, one
// vector chunk k at a time, the kw tap columns' rows, each loaded shifted by q lanes
// with the mask masks[q*nchunk+k], summed in a register, then added to dx under
// smasks[k]. Byte strides: rowB a dx row, owB a block row, qstepB from tap column q to
// q+1 less one value, pB from tap row p to p+1, planeB a dx plane, backB (oh-1) dx rows,
// nchB one tap column's masks (2*nchunk), qmB all of them (2*kw*nchunk).
TEXT ·col2imAVX512D(SB), NOSPLIT, $0-136
	MOVQ col+0(FP), SI
	MOVQ dx+8(FP), R13
	MOVQ c+16(FP), R8

chD:
	TESTQ R8, R8
	JZ    doneD
	MOVQ  kh+24(FP), R9
	MOVQ  R13, R14

pD:
	TESTQ R9, R9
	JZ    chNextD
	MOVQ  oh+40(FP), R10
	MOVQ  SI, R15

iD:
	TESTQ R10, R10
	JZ    pNextD
	MOVQ  nchunk+48(FP), R11
	MOVQ  R14, AX
	MOVQ  R15, DX
	MOVQ  smasks+64(FP), DI
	MOVQ  masks+56(FP), CX

kD:
	TESTQ R11, R11
	JZ    iNextD
	KMOVW (DI), K2
	VMOVUPD.Z (AX), K2, Z0
	MOVQ  DX, BX
	MOVQ  kw+32(FP), R12

qD:
	KMOVW (CX), K1
	VMOVUPD.Z (BX), K1, Z1
	VADDPD Z1, Z0, Z0
	ADDQ  nchB+120(FP), CX
	ADDQ  qstepB+88(FP), BX
	DECQ  R12
	JNZ   qD

	SUBQ  qmB+128(FP), CX
	VMOVUPD Z0, K2, (AX)
	ADDQ  $64, AX
	ADDQ  $64, DX
	ADDQ  $2, DI
	ADDQ  $2, CX
	DECQ  R11
	JMP   kD

iNextD:
	ADDQ rowB+72(FP), R14
	ADDQ owB+80(FP), R15
	DECQ R10
	JMP  iD

pNextD:
	SUBQ backB+112(FP), R14
	ADDQ pB+96(FP), SI
	DECQ R9
	JMP  pD

chNextD:
	ADDQ planeB+104(FP), R13
	DECQ R8
	JMP  chD

doneD:
	VZEROUPPER
	RET
