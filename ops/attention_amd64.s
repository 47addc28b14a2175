//go:build amd64 && !purego

#include "textflag.h"

// Constants of the exponential: exp(w) = 2^k · p(r), k = round(w·log2 e),
// r = w - k·ln2 (two parts), p the Taylor polynomial of degree 10 (2e-13 relative on
// |r| <= ln2/2), as ops/gelu.go's expNeg.
DATA attnC<>+0(SB)/8, $0x3ff71547652b82fe  // log2 e
DATA attnC<>+8(SB)/8, $0x3fe62e42fee00000  // ln2 hi
DATA attnC<>+16(SB)/8, $0x3dea39ef35793c76 // ln2 lo
DATA attnC<>+24(SB)/8, $0xc08f400000000000 // -1000: below it exp is 0
DATA attnC<>+32(SB)/8, $0x3ff0000000000000 // 1
DATA attnC<>+40(SB)/8, $0x3ff0000000000000 // 1
DATA attnC<>+48(SB)/8, $0x3fe0000000000000 // 1/2
DATA attnC<>+56(SB)/8, $0x3fc5555555555555 // 1/6
DATA attnC<>+64(SB)/8, $0x3fa5555555555555 // 1/24
DATA attnC<>+72(SB)/8, $0x3f81111111111111 // 1/120
DATA attnC<>+80(SB)/8, $0x3f56c16c16c16c17 // 1/720
DATA attnC<>+88(SB)/8, $0x3f2a01a01a01a01a // 1/5040
DATA attnC<>+96(SB)/8, $0x3efa01a01a01a01a // 1/40320
DATA attnC<>+104(SB)/8, $0x3ec71de3a556c734 // 1/362880
DATA attnC<>+112(SB)/8, $0x3e927e4fb7789f5c // 1/3628800
GLOBL attnC<>(SB), RODATA|NOPTR, $120

// func softmaxExpAVX512(x *float32, n int, scale, m float64) (sum float64)
// x[j] = exp(x[j]·scale - m) for j < n (a multiple of 8), computed in float64 and
// rounded; returns the float64 sum of the exponentials (eight partial sums).
TEXT ·softmaxExpAVX512(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD scale+16(FP), Z20
	VBROADCASTSD m+24(FP), Z21
	VBROADCASTSD attnC<>+24(SB), Z23
	VXORPD Z22, Z22, Z22
	SHRQ $3, CX
	JZ   done

loop:
	VCVTPS2PD (SI), Z0
	VFMSUB213PD Z21, Z20, Z0           // w = x·scale - m
	VMAXPD Z0, Z23, Z0                 // max(w, -1000), NaN kept
	VMULPD.BCST attnC<>+0(SB), Z0, Z1  // w·log2 e
	VRNDSCALEPD $0, Z1, Z1             // k
	VFNMADD231PD.BCST attnC<>+8(SB), Z1, Z0  // r = w - k·ln2hi
	VFNMADD231PD.BCST attnC<>+16(SB), Z1, Z0 // r -= k·ln2lo
	VBROADCASTSD attnC<>+112(SB), Z2
	VFMADD213PD.BCST attnC<>+104(SB), Z0, Z2
	VFMADD213PD.BCST attnC<>+96(SB), Z0, Z2
	VFMADD213PD.BCST attnC<>+88(SB), Z0, Z2
	VFMADD213PD.BCST attnC<>+80(SB), Z0, Z2
	VFMADD213PD.BCST attnC<>+72(SB), Z0, Z2
	VFMADD213PD.BCST attnC<>+64(SB), Z0, Z2
	VFMADD213PD.BCST attnC<>+56(SB), Z0, Z2
	VFMADD213PD.BCST attnC<>+48(SB), Z0, Z2
	VFMADD213PD.BCST attnC<>+40(SB), Z0, Z2
	VFMADD213PD.BCST attnC<>+32(SB), Z0, Z2
	VSCALEFPD Z1, Z2, Z2               // p·2^k
	VADDPD Z2, Z22, Z22
	VCVTPD2PS Z2, Y2
	VMOVUPS Y2, (SI)
	ADDQ $32, SI
	DECQ CX
	JNZ  loop

done:
	VEXTRACTF64X4 $1, Z22, Y1
	VADDPD Y1, Y22, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VUNPCKHPD X0, X0, X1
	VADDSD X1, X0, X0
	MOVSD X0, sum+32(FP)
	VZEROUPPER
	RET
