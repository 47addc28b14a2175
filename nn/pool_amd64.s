//go:build amd64 && !purego

#include "textflag.h"

DATA poolevenS<>+0(SB)/4, $0
DATA poolevenS<>+4(SB)/4, $2
DATA poolevenS<>+8(SB)/4, $4
DATA poolevenS<>+12(SB)/4, $6
DATA poolevenS<>+16(SB)/4, $8
DATA poolevenS<>+20(SB)/4, $10
DATA poolevenS<>+24(SB)/4, $12
DATA poolevenS<>+28(SB)/4, $14
DATA poolevenS<>+32(SB)/4, $16
DATA poolevenS<>+36(SB)/4, $18
DATA poolevenS<>+40(SB)/4, $20
DATA poolevenS<>+44(SB)/4, $22
DATA poolevenS<>+48(SB)/4, $24
DATA poolevenS<>+52(SB)/4, $26
DATA poolevenS<>+56(SB)/4, $28
DATA poolevenS<>+60(SB)/4, $30
GLOBL poolevenS<>(SB), RODATA|NOPTR, $64

DATA pooloddS<>+0(SB)/4, $1
DATA pooloddS<>+4(SB)/4, $3
DATA pooloddS<>+8(SB)/4, $5
DATA pooloddS<>+12(SB)/4, $7
DATA pooloddS<>+16(SB)/4, $9
DATA pooloddS<>+20(SB)/4, $11
DATA pooloddS<>+24(SB)/4, $13
DATA pooloddS<>+28(SB)/4, $15
DATA pooloddS<>+32(SB)/4, $17
DATA pooloddS<>+36(SB)/4, $19
DATA pooloddS<>+40(SB)/4, $21
DATA pooloddS<>+44(SB)/4, $23
DATA pooloddS<>+48(SB)/4, $25
DATA pooloddS<>+52(SB)/4, $27
DATA pooloddS<>+56(SB)/4, $29
DATA pooloddS<>+60(SB)/4, $31
GLOBL pooloddS<>(SB), RODATA|NOPTR, $64

DATA pooliloS<>+0(SB)/4, $0
DATA pooliloS<>+4(SB)/4, $16
DATA pooliloS<>+8(SB)/4, $1
DATA pooliloS<>+12(SB)/4, $17
DATA pooliloS<>+16(SB)/4, $2
DATA pooliloS<>+20(SB)/4, $18
DATA pooliloS<>+24(SB)/4, $3
DATA pooliloS<>+28(SB)/4, $19
DATA pooliloS<>+32(SB)/4, $4
DATA pooliloS<>+36(SB)/4, $20
DATA pooliloS<>+40(SB)/4, $5
DATA pooliloS<>+44(SB)/4, $21
DATA pooliloS<>+48(SB)/4, $6
DATA pooliloS<>+52(SB)/4, $22
DATA pooliloS<>+56(SB)/4, $7
DATA pooliloS<>+60(SB)/4, $23
GLOBL pooliloS<>(SB), RODATA|NOPTR, $64

DATA poolihiS<>+0(SB)/4, $8
DATA poolihiS<>+4(SB)/4, $24
DATA poolihiS<>+8(SB)/4, $9
DATA poolihiS<>+12(SB)/4, $25
DATA poolihiS<>+16(SB)/4, $10
DATA poolihiS<>+20(SB)/4, $26
DATA poolihiS<>+24(SB)/4, $11
DATA poolihiS<>+28(SB)/4, $27
DATA poolihiS<>+32(SB)/4, $12
DATA poolihiS<>+36(SB)/4, $28
DATA poolihiS<>+40(SB)/4, $13
DATA poolihiS<>+44(SB)/4, $29
DATA poolihiS<>+48(SB)/4, $14
DATA poolihiS<>+52(SB)/4, $30
DATA poolihiS<>+56(SB)/4, $15
DATA poolihiS<>+60(SB)/4, $31
GLOBL poolihiS<>(SB), RODATA|NOPTR, $64
DATA poolevenD<>+0(SB)/8, $0
DATA poolevenD<>+8(SB)/8, $2
DATA poolevenD<>+16(SB)/8, $4
DATA poolevenD<>+24(SB)/8, $6
DATA poolevenD<>+32(SB)/8, $8
DATA poolevenD<>+40(SB)/8, $10
DATA poolevenD<>+48(SB)/8, $12
DATA poolevenD<>+56(SB)/8, $14
GLOBL poolevenD<>(SB), RODATA|NOPTR, $64

DATA pooloddD<>+0(SB)/8, $1
DATA pooloddD<>+8(SB)/8, $3
DATA pooloddD<>+16(SB)/8, $5
DATA pooloddD<>+24(SB)/8, $7
DATA pooloddD<>+32(SB)/8, $9
DATA pooloddD<>+40(SB)/8, $11
DATA pooloddD<>+48(SB)/8, $13
DATA pooloddD<>+56(SB)/8, $15
GLOBL pooloddD<>(SB), RODATA|NOPTR, $64

DATA pooliloD<>+0(SB)/8, $0
DATA pooliloD<>+8(SB)/8, $8
DATA pooliloD<>+16(SB)/8, $1
DATA pooliloD<>+24(SB)/8, $9
DATA pooliloD<>+32(SB)/8, $2
DATA pooliloD<>+40(SB)/8, $10
DATA pooliloD<>+48(SB)/8, $3
DATA pooliloD<>+56(SB)/8, $11
GLOBL pooliloD<>(SB), RODATA|NOPTR, $64

DATA poolihiD<>+0(SB)/8, $4
DATA poolihiD<>+8(SB)/8, $12
DATA poolihiD<>+16(SB)/8, $5
DATA poolihiD<>+24(SB)/8, $13
DATA poolihiD<>+32(SB)/8, $6
DATA poolihiD<>+40(SB)/8, $14
DATA poolihiD<>+48(SB)/8, $7
DATA poolihiD<>+56(SB)/8, $15
GLOBL poolihiD<>(SB), RODATA|NOPTR, $64

// func maxPool2FwdAVX512S(x, y *float32, rows, wB, yB, nfull int, tail uint64)
// For rows pairs of input rows, the first at x, each pair 2*wB bytes after the last
// (wB: one input row), and rows of outputs at y, yB bytes apart: y[j] = max(r0[2j],
// r0[2j+1], r1[2j], r1[2j+1]), NaN propagating, for nfull chunks of 16
// outputs, then one chunk under the masks packed in tail (bits 0-15: the first input
// vector of a row, 16-31: the second, 32-47: the outputs; 0: no tail).
TEXT ·maxPool2FwdAVX512S(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), R12
	MOVQ y+8(FP), R13
	MOVQ rows+16(FP), R11
	VMOVUPS poolevenS<>(SB), Z30
	VMOVUPS pooloddS<>(SB), Z31

fwdRowS:
	TESTQ R11, R11
	JZ    fwdDoneS
	MOVQ  R12, SI
	MOVQ  R12, DI
	ADDQ  wB+24(FP), DI
	MOVQ  R13, DX
	MOVQ  nfull+40(FP), CX
	MOVQ  tail+48(FP), BX
	MOVQ  $0xFFFF, R8
	MOVQ  $0xFFFF, R9
	MOVQ  $0xFFFF, R10

fwdLoopS:
	TESTQ CX, CX
	JNZ   fwdBodyS
	TESTQ BX, BX
	JZ    fwdNextS
	MOVQ BX, R8
	ANDQ $0xFFFF, R8
	MOVQ BX, R9
	SHRQ $16, R9
	ANDQ $0xFFFF, R9
	MOVQ BX, R10
	SHRQ $32, R10
	ANDQ $0xFFFF, R10
	XORQ BX, BX
	MOVQ $1, CX

fwdBodyS:
	KMOVW R8, K1
	KMOVW R9, K2
	KMOVW R10, K4
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVUPS.Z (DI), K1, Z2
	VMOVUPS.Z 64(DI), K2, Z3
	VMAXPS Z2, Z0, Z4
	VCMPPS $3, Z0, Z0, K3
	VMOVAPS Z0, K3, Z4
	VMAXPS Z3, Z1, Z5
	VCMPPS $3, Z1, Z1, K3
	VMOVAPS Z1, K3, Z5
	VMOVAPS Z4, Z6
	VPERMT2PS Z5, Z30, Z6
	VPERMT2PS Z5, Z31, Z4
	VMAXPS Z4, Z6, Z7
	VCMPPS $3, Z6, Z6, K3
	VMOVAPS Z6, K3, Z7
	VMOVUPS Z7, K4, (DX)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $64, DX
	DECQ CX
	JMP  fwdLoopS

fwdNextS:
	ADDQ yB+32(FP), R13
	ADDQ wB+24(FP), R12
	ADDQ wB+24(FP), R12
	DECQ R11
	JMP  fwdRowS

fwdDoneS:
	VZEROUPPER
	RET

// func maxPool2BwdAVX512S(x, y, dy, dx *float32, rows, wB, yB, nfull int, tail uint64)
// For rows pairs of input rows as in the forward (dx laid out as x, dy as y): the first
// of r0[2j], r0[2j+1], r1[2j], r1[2j+1] equal to y[j] (the first NaN when y[j] is NaN,
// the last element when none) gets dy[j] in dx at the same place, the other three get
// 0: dx is assigned, not added to.
TEXT ·maxPool2BwdAVX512S(SB), NOSPLIT, $0-72
	XORQ AX, AX
	XORQ DX, DX
	MOVQ rows+32(FP), R15
	VMOVUPS poolevenS<>(SB), Z28
	VMOVUPS pooloddS<>(SB), Z29
	VMOVUPS pooliloS<>(SB), Z30
	VMOVUPS poolihiS<>(SB), Z31

bwdRowS:
	TESTQ R15, R15
	JZ    bwdDoneS
	MOVQ  x+0(FP), SI
	ADDQ  AX, SI
	MOVQ  SI, DI
	ADDQ  wB+40(FP), DI
	MOVQ  dx+24(FP), R13
	ADDQ  AX, R13
	MOVQ  R13, R14
	ADDQ  wB+40(FP), R14
	MOVQ  y+8(FP), R11
	ADDQ  DX, R11
	MOVQ  dy+16(FP), R12
	ADDQ  DX, R12
	MOVQ  nfull+56(FP), CX
	MOVQ  tail+64(FP), BX
	MOVQ  $0xFFFF, R8
	MOVQ  $0xFFFF, R9
	MOVQ  $0xFFFF, R10

bwdLoopS:
	TESTQ CX, CX
	JNZ   bwdBodyS
	TESTQ BX, BX
	JZ    bwdNextS
	MOVQ BX, R8
	ANDQ $0xFFFF, R8
	MOVQ BX, R9
	SHRQ $16, R9
	ANDQ $0xFFFF, R9
	MOVQ BX, R10
	SHRQ $32, R10
	ANDQ $0xFFFF, R10
	XORQ BX, BX
	MOVQ $1, CX

bwdBodyS:
	KMOVW R8, K1
	KMOVW R9, K2
	KMOVW R10, K4
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VMOVUPS.Z (DI), K1, Z2
	VMOVUPS.Z 64(DI), K2, Z3
	VMOVAPS Z0, Z4
	VPERMT2PS Z1, Z28, Z4
	VPERMT2PS Z1, Z29, Z0
	VMOVAPS Z2, Z5
	VPERMT2PS Z3, Z28, Z5
	VPERMT2PS Z3, Z29, Z2
	VMOVUPS.Z (R11), K4, Z6
	VMOVUPS.Z (R12), K4, Z7
	VCMPPS $3, Z6, Z6, K5
	VCMPPS $0, Z6, Z4, K6
	VCMPPS $3, Z4, Z4, K7
	KANDW K5, K7, K7
	KORW  K7, K6, K6
	VCMPPS $0, Z6, Z0, K1
	VCMPPS $3, Z0, Z0, K7
	KANDW K5, K7, K7
	KORW  K7, K1, K1
	KANDNW K1, K6, K1
	VCMPPS $0, Z6, Z5, K2
	VCMPPS $3, Z5, Z5, K7
	KANDW K5, K7, K7
	KORW  K7, K2, K2
	KORW  K6, K1, K3
	KANDNW K2, K3, K2
	KORW  K3, K2, K3
	KNOTW K3, K3
	VMOVAPS.Z Z7, K6, Z8
	VMOVAPS.Z Z7, K1, Z9
	VMOVAPS.Z Z7, K2, Z10
	VMOVAPS.Z Z7, K3, Z11
	VMOVAPS Z8, Z12
	VPERMT2PS Z9, Z30, Z12
	VPERMT2PS Z9, Z31, Z8
	VMOVAPS Z10, Z13
	VPERMT2PS Z11, Z30, Z13
	VPERMT2PS Z11, Z31, Z10
	KMOVW R8, K1
	KMOVW R9, K2
	VMOVUPS Z12, K1, (R13)
	VMOVUPS Z8, K2, 64(R13)
	VMOVUPS Z13, K1, (R14)
	VMOVUPS Z10, K2, 64(R14)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, R13
	ADDQ $128, R14
	ADDQ $64, R11
	ADDQ $64, R12
	DECQ CX
	JMP  bwdLoopS

bwdNextS:
	ADDQ yB+48(FP), DX
	ADDQ wB+40(FP), AX
	ADDQ wB+40(FP), AX
	DECQ R15
	JMP  bwdRowS

bwdDoneS:
	VZEROUPPER
	RET

// func maxPool2FwdAVX512D(x, y *float64, rows, wB, yB, nfull int, tail uint64)
// For rows pairs of input rows, the first at x, each pair 2*wB bytes after the last
// (wB: one input row), and rows of outputs at y, yB bytes apart: y[j] = max(r0[2j],
// r0[2j+1], r1[2j], r1[2j+1]), NaN propagating, for nfull chunks of 8
// outputs, then one chunk under the masks packed in tail (bits 0-15: the first input
// vector of a row, 16-31: the second, 32-47: the outputs; 0: no tail).
TEXT ·maxPool2FwdAVX512D(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), R12
	MOVQ y+8(FP), R13
	MOVQ rows+16(FP), R11
	VMOVUPS poolevenD<>(SB), Z30
	VMOVUPS pooloddD<>(SB), Z31

fwdRowD:
	TESTQ R11, R11
	JZ    fwdDoneD
	MOVQ  R12, SI
	MOVQ  R12, DI
	ADDQ  wB+24(FP), DI
	MOVQ  R13, DX
	MOVQ  nfull+40(FP), CX
	MOVQ  tail+48(FP), BX
	MOVQ  $0xFF, R8
	MOVQ  $0xFF, R9
	MOVQ  $0xFF, R10

fwdLoopD:
	TESTQ CX, CX
	JNZ   fwdBodyD
	TESTQ BX, BX
	JZ    fwdNextD
	MOVQ BX, R8
	ANDQ $0xFFFF, R8
	MOVQ BX, R9
	SHRQ $16, R9
	ANDQ $0xFFFF, R9
	MOVQ BX, R10
	SHRQ $32, R10
	ANDQ $0xFFFF, R10
	XORQ BX, BX
	MOVQ $1, CX

fwdBodyD:
	KMOVW R8, K1
	KMOVW R9, K2
	KMOVW R10, K4
	VMOVUPD.Z (SI), K1, Z0
	VMOVUPD.Z 64(SI), K2, Z1
	VMOVUPD.Z (DI), K1, Z2
	VMOVUPD.Z 64(DI), K2, Z3
	VMAXPD Z2, Z0, Z4
	VCMPPD $3, Z0, Z0, K3
	VMOVAPD Z0, K3, Z4
	VMAXPD Z3, Z1, Z5
	VCMPPD $3, Z1, Z1, K3
	VMOVAPD Z1, K3, Z5
	VMOVAPD Z4, Z6
	VPERMT2PD Z5, Z30, Z6
	VPERMT2PD Z5, Z31, Z4
	VMAXPD Z4, Z6, Z7
	VCMPPD $3, Z6, Z6, K3
	VMOVAPD Z6, K3, Z7
	VMOVUPD Z7, K4, (DX)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $64, DX
	DECQ CX
	JMP  fwdLoopD

fwdNextD:
	ADDQ yB+32(FP), R13
	ADDQ wB+24(FP), R12
	ADDQ wB+24(FP), R12
	DECQ R11
	JMP  fwdRowD

fwdDoneD:
	VZEROUPPER
	RET

// func maxPool2BwdAVX512D(x, y, dy, dx *float64, rows, wB, yB, nfull int, tail uint64)
// For rows pairs of input rows as in the forward (dx laid out as x, dy as y): the first
// of r0[2j], r0[2j+1], r1[2j], r1[2j+1] equal to y[j] (the first NaN when y[j] is NaN,
// the last element when none) gets dy[j] in dx at the same place, the other three get
// 0: dx is assigned, not added to.
TEXT ·maxPool2BwdAVX512D(SB), NOSPLIT, $0-72
	XORQ AX, AX
	XORQ DX, DX
	MOVQ rows+32(FP), R15
	VMOVUPS poolevenD<>(SB), Z28
	VMOVUPS pooloddD<>(SB), Z29
	VMOVUPS pooliloD<>(SB), Z30
	VMOVUPS poolihiD<>(SB), Z31

bwdRowD:
	TESTQ R15, R15
	JZ    bwdDoneD
	MOVQ  x+0(FP), SI
	ADDQ  AX, SI
	MOVQ  SI, DI
	ADDQ  wB+40(FP), DI
	MOVQ  dx+24(FP), R13
	ADDQ  AX, R13
	MOVQ  R13, R14
	ADDQ  wB+40(FP), R14
	MOVQ  y+8(FP), R11
	ADDQ  DX, R11
	MOVQ  dy+16(FP), R12
	ADDQ  DX, R12
	MOVQ  nfull+56(FP), CX
	MOVQ  tail+64(FP), BX
	MOVQ  $0xFF, R8
	MOVQ  $0xFF, R9
	MOVQ  $0xFF, R10

bwdLoopD:
	TESTQ CX, CX
	JNZ   bwdBodyD
	TESTQ BX, BX
	JZ    bwdNextD
	MOVQ BX, R8
	ANDQ $0xFFFF, R8
	MOVQ BX, R9
	SHRQ $16, R9
	ANDQ $0xFFFF, R9
	MOVQ BX, R10
	SHRQ $32, R10
	ANDQ $0xFFFF, R10
	XORQ BX, BX
	MOVQ $1, CX

bwdBodyD:
	KMOVW R8, K1
	KMOVW R9, K2
	KMOVW R10, K4
	VMOVUPD.Z (SI), K1, Z0
	VMOVUPD.Z 64(SI), K2, Z1
	VMOVUPD.Z (DI), K1, Z2
	VMOVUPD.Z 64(DI), K2, Z3
	VMOVAPD Z0, Z4
	VPERMT2PD Z1, Z28, Z4
	VPERMT2PD Z1, Z29, Z0
	VMOVAPD Z2, Z5
	VPERMT2PD Z3, Z28, Z5
	VPERMT2PD Z3, Z29, Z2
	VMOVUPD.Z (R11), K4, Z6
	VMOVUPD.Z (R12), K4, Z7
	VCMPPD $3, Z6, Z6, K5
	VCMPPD $0, Z6, Z4, K6
	VCMPPD $3, Z4, Z4, K7
	KANDW K5, K7, K7
	KORW  K7, K6, K6
	VCMPPD $0, Z6, Z0, K1
	VCMPPD $3, Z0, Z0, K7
	KANDW K5, K7, K7
	KORW  K7, K1, K1
	KANDNW K1, K6, K1
	VCMPPD $0, Z6, Z5, K2
	VCMPPD $3, Z5, Z5, K7
	KANDW K5, K7, K7
	KORW  K7, K2, K2
	KORW  K6, K1, K3
	KANDNW K2, K3, K2
	KORW  K3, K2, K3
	KNOTW K3, K3
	VMOVAPD.Z Z7, K6, Z8
	VMOVAPD.Z Z7, K1, Z9
	VMOVAPD.Z Z7, K2, Z10
	VMOVAPD.Z Z7, K3, Z11
	VMOVAPD Z8, Z12
	VPERMT2PD Z9, Z30, Z12
	VPERMT2PD Z9, Z31, Z8
	VMOVAPD Z10, Z13
	VPERMT2PD Z11, Z30, Z13
	VPERMT2PD Z11, Z31, Z10
	KMOVW R8, K1
	KMOVW R9, K2
	VMOVUPD Z12, K1, (R13)
	VMOVUPD Z8, K2, 64(R13)
	VMOVUPD Z13, K1, (R14)
	VMOVUPD Z10, K2, 64(R14)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, R13
	ADDQ $128, R14
	ADDQ $64, R11
	ADDQ $64, R12
	DECQ CX
	JMP  bwdLoopD

bwdNextD:
	ADDQ yB+48(FP), DX
	ADDQ wB+40(FP), AX
	ADDQ wB+40(FP), AX
	DECQ R15
	JMP  bwdRowD

bwdDoneD:
	VZEROUPPER
	RET
