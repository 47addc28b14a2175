//go:build amd64 && !purego

#include "textflag.h"

// AVX-512F kernels of the recurrent layers' gate arithmetic in float32 (ops/gates.go).
// Each reads float32, computes in eight float64 lanes and rounds back, the same
// operations in the same order as the scalar Go path (lstmCellScalar, ...) except that
// exp and tanh are the polynomial below instead of package math's: both are within
// 1e-15 relative of the true value, so rounded to float32 they nearly always agree
// (TestGateKernels).
//
// exp(w), w <= 0: w = k·ln2 + r with k = round(w·log2 e), |r| <= ln2/2,
// exp(w) = 2^k·(1 + r·q(r)), q(r) = sum_{n=0..9} r^n/(n+1)! (Taylor, 2e-13 relative on
// |r| <= ln2/2; ops/attention_amd64.s's polynomial), and
// expm1(w) = 2^k·r·q(r) + (2^k - 1), which is exact to a few ulps near 0, where
// 1 - exp(w) would cancel.
//   sigmoid(x) = 1/(1+e) for x >= 0, e/(1+e) for x < 0, e = exp(-|x|)
//   tanh(x)    = sign(x)·m/(-2-m), m = expm1(-2|x|)
// Arguments below -1000 are raised to -1000 (exp is 0 there in float64); NaN stays NaN.

DATA gateC<>+0(SB)/8, $0x3ff71547652b82fe  // log2 e
DATA gateC<>+8(SB)/8, $0x3fe62e42fee00000  // ln2 hi
DATA gateC<>+16(SB)/8, $0x3dea39ef35793c76 // ln2 lo
DATA gateC<>+24(SB)/8, $0xc08f400000000000 // -1000
DATA gateC<>+32(SB)/8, $0x3ff0000000000000 // 1
DATA gateC<>+40(SB)/8, $0xc000000000000000 // -2
DATA gateC<>+48(SB)/8, $0x8000000000000000 // sign bit
DATA gateC<>+56(SB)/8, $0x3fe0000000000000 // 1/2
DATA gateC<>+64(SB)/8, $0x3fc5555555555555 // 1/6
DATA gateC<>+72(SB)/8, $0x3fa5555555555555 // 1/24
DATA gateC<>+80(SB)/8, $0x3f81111111111111 // 1/120
DATA gateC<>+88(SB)/8, $0x3f56c16c16c16c17 // 1/720
DATA gateC<>+96(SB)/8, $0x3f2a01a01a01a01a // 1/5040
DATA gateC<>+104(SB)/8, $0x3efa01a01a01a01a // 1/40320
DATA gateC<>+112(SB)/8, $0x3ec71de3a556c734 // 1/362880
DATA gateC<>+120(SB)/8, $0x3e927e4fb7789f5c // 1/3628800
GLOBL gateC<>(SB), RODATA|NOPTR, $128

// LOADC puts the constants in Z15-Z31: q's coefficients 1/2 .. 1/10! in Z15-Z23,
// zero Z24, sign bit Z25, -2 Z26, 1 Z27 (also q's constant term), -1000 Z28,
// ln2 lo Z29, ln2 hi Z30, log2 e Z31.
#define LOADC \
	VBROADCASTSD gateC<>+56(SB), Z15; \
	VBROADCASTSD gateC<>+64(SB), Z16; \
	VBROADCASTSD gateC<>+72(SB), Z17; \
	VBROADCASTSD gateC<>+80(SB), Z18; \
	VBROADCASTSD gateC<>+88(SB), Z19; \
	VBROADCASTSD gateC<>+96(SB), Z20; \
	VBROADCASTSD gateC<>+104(SB), Z21; \
	VBROADCASTSD gateC<>+112(SB), Z22; \
	VBROADCASTSD gateC<>+120(SB), Z23; \
	VPXORQ Z24, Z24, Z24; \
	VBROADCASTSD gateC<>+48(SB), Z25; \
	VBROADCASTSD gateC<>+40(SB), Z26; \
	VBROADCASTSD gateC<>+32(SB), Z27; \
	VBROADCASTSD gateC<>+24(SB), Z28; \
	VBROADCASTSD gateC<>+16(SB), Z29; \
	VBROADCASTSD gateC<>+8(SB), Z30; \
	VBROADCASTSD gateC<>+0(SB), Z31

// EXPCORE reduces w (<= 0, in [-1000, 0]) to r (in w) and k, and sets t = r·q(r).
#define EXPCORE(w, k, t) \
	VMULPD Z31, w, k; \
	VRNDSCALEPD $0, k, k; \
	VFNMADD231PD Z30, k, w; \
	VFNMADD231PD Z29, k, w; \
	VMOVAPD Z23, t; \
	VFMADD213PD Z22, w, t; \
	VFMADD213PD Z21, w, t; \
	VFMADD213PD Z20, w, t; \
	VFMADD213PD Z19, w, t; \
	VFMADD213PD Z18, w, t; \
	VFMADD213PD Z17, w, t; \
	VFMADD213PD Z16, w, t; \
	VFMADD213PD Z15, w, t; \
	VFMADD213PD Z27, w, t; \
	VMULPD w, t, t

// SIGMOID sets out = sigmoid(x); it uses Z2-Z6 and K1, and keeps x.
#define SIGMOID(x, out) \
	VPORQ Z25, x, Z2; \
	VMAXPD Z2, Z28, Z2; \
	EXPCORE(Z2, Z3, Z4); \
	VADDPD Z27, Z4, Z4; \
	VSCALEFPD Z3, Z4, Z5; \
	VADDPD Z27, Z5, Z6; \
	VDIVPD Z6, Z27, out; \
	VCMPPD $1, Z24, x, K1; \
	VMULPD Z5, out, K1, out

// TANH sets out = tanh(x); it uses Z2-Z6, and keeps x.
#define TANH(x, out) \
	VPANDNQ x, Z25, Z2; \
	VMULPD Z26, Z2, Z2; \
	VMAXPD Z2, Z28, Z2; \
	EXPCORE(Z2, Z3, Z4); \
	VSCALEFPD Z3, Z4, Z4; \
	VSCALEFPD Z3, Z27, Z5; \
	VSUBPD Z27, Z5, Z5; \
	VADDPD Z5, Z4, Z4; \
	VSUBPD Z4, Z26, Z6; \
	VDIVPD Z6, Z4, out; \
	VPTERNLOGQ $0xD8, Z25, x, out

// func lstmCellAVX512(row, cPrev, bias *float32, h, n int)
// The first n (a multiple of 8) columns of lstmCellScalar(row, cPrev, bias, h); bias
// may be nil.
TEXT ·lstmCellAVX512(SB), NOSPLIT, $0-40
	MOVQ row+0(FP), SI
	MOVQ cPrev+8(FP), BX
	MOVQ bias+16(FP), DI
	MOVQ h+24(FP), DX
	MOVQ n+32(FP), CX
	SHLQ $2, DX              // column stride in bytes
	LEAQ (DX)(DX*2), R8      // 3 columns
	LEAQ (DX)(DX*4), R9      // 5 columns
	LEAQ (R8)(R8*1), R10     // 6 columns
	SHRQ $3, CX
	JZ   lcdone
	LOADC

lcloop:
	// i
	VCVTPS2PD (SI), Z0
	TESTQ DI, DI
	JZ   lcnb1
	VCVTPS2PD (DI), Z1
	VADDPD Z1, Z0, Z0
lcnb1:
	SIGMOID(Z0, Z1)
	VCVTPD2PS Z1, Y1
	VMOVUPS Y1, (SI)
	VCVTPS2PD Y1, Z10
	// f
	VCVTPS2PD (SI)(DX*1), Z0
	TESTQ DI, DI
	JZ   lcnb2
	VCVTPS2PD (DI)(DX*1), Z1
	VADDPD Z1, Z0, Z0
lcnb2:
	SIGMOID(Z0, Z1)
	VCVTPD2PS Z1, Y1
	VMOVUPS Y1, (SI)(DX*1)
	VCVTPS2PD Y1, Z11
	// g
	VCVTPS2PD (SI)(DX*2), Z0
	TESTQ DI, DI
	JZ   lcnb3
	VCVTPS2PD (DI)(DX*2), Z1
	VADDPD Z1, Z0, Z0
lcnb3:
	TANH(Z0, Z1)
	VCVTPD2PS Z1, Y1
	VMOVUPS Y1, (SI)(DX*2)
	VCVTPS2PD Y1, Z12
	// o
	VCVTPS2PD (SI)(R8*1), Z0
	TESTQ DI, DI
	JZ   lcnb4
	VCVTPS2PD (DI)(R8*1), Z1
	VADDPD Z1, Z0, Z0
lcnb4:
	SIGMOID(Z0, Z1)
	VCVTPD2PS Z1, Y1
	VMOVUPS Y1, (SI)(R8*1)
	VCVTPS2PD Y1, Z13
	// c = f·c_prev + i·g, rounded
	VCVTPS2PD (BX), Z0
	VMULPD Z0, Z11, Z0
	VMULPD Z12, Z10, Z1
	VADDPD Z1, Z0, Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (SI)(DX*4)
	VCVTPS2PD Y0, Z0
	// tanh(c), h = o·tanh(c)
	TANH(Z0, Z1)
	VCVTPD2PS Z1, Y7
	VMOVUPS Y7, (SI)(R10*1)
	VMULPD Z1, Z13, Z7
	VCVTPD2PS Z7, Y7
	VMOVUPS Y7, (SI)(R9*1)

	ADDQ $32, SI
	ADDQ $32, BX
	TESTQ DI, DI
	JZ   lcnb5
	ADDQ $32, DI
lcnb5:
	DECQ CX
	JNZ  lcloop
	VZEROUPPER

lcdone:
	RET

// func lstmCellGradAVX512(row, drow, cPrev, dh, dc, dg *float32, h, n int)
// The first n (a multiple of 8) columns of lstmCellGradScalar(row, drow, cPrev, dh, dc,
// dg, h).
TEXT ·lstmCellGradAVX512(SB), NOSPLIT, $0-64
	MOVQ row+0(FP), SI
	MOVQ drow+8(FP), DI
	MOVQ cPrev+16(FP), R8
	MOVQ dh+24(FP), R9
	MOVQ dc+32(FP), R10
	MOVQ dg+40(FP), BX
	MOVQ h+48(FP), DX
	MOVQ n+56(FP), CX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R11     // 3 columns
	LEAQ (DX)(DX*4), R12     // 5 columns
	LEAQ (R11)(R11*1), R13   // 6 columns
	SHRQ $3, CX
	JZ   lgdone
	VBROADCASTSD gateC<>+32(SB), Z27

lgloop:
	VCVTPS2PD (SI), Z10          // i
	VCVTPS2PD (SI)(DX*1), Z11    // f
	VCVTPS2PD (SI)(DX*2), Z12    // g
	VCVTPS2PD (SI)(R11*1), Z13   // o
	VCVTPS2PD (SI)(R13*1), Z14   // tanh(c)
	// dh_t = drow_h + dh
	VCVTPS2PD (DI)(R12*1), Z0
	VCVTPS2PD (R9), Z1
	VADDPD Z1, Z0, Z0
	// dc_t = drow_c + dc + (dh_t·o + drow_tc)·(1 - tc²)
	VCVTPS2PD (DI)(DX*4), Z1
	VCVTPS2PD (R10), Z2
	VADDPD Z2, Z1, Z1
	VMULPD Z13, Z0, Z2
	VCVTPS2PD (DI)(R13*1), Z3
	VADDPD Z3, Z2, Z2
	VMULPD Z14, Z14, Z3
	VSUBPD Z3, Z27, Z3
	VMULPD Z3, Z2, Z2
	VADDPD Z2, Z1, Z1
	// dg_i = (dc_t·g + drow_i)·i·(1-i)
	VMULPD Z12, Z1, Z2
	VCVTPS2PD (DI), Z3
	VADDPD Z3, Z2, Z2
	VMULPD Z10, Z2, Z2
	VSUBPD Z10, Z27, Z3
	VMULPD Z3, Z2, Z2
	VCVTPD2PS Z2, Y2
	VMOVUPS Y2, (BX)
	// dg_f = (dc_t·c_prev + drow_f)·f·(1-f)
	VCVTPS2PD (R8), Z2
	VMULPD Z2, Z1, Z2
	VCVTPS2PD (DI)(DX*1), Z3
	VADDPD Z3, Z2, Z2
	VMULPD Z11, Z2, Z2
	VSUBPD Z11, Z27, Z3
	VMULPD Z3, Z2, Z2
	VCVTPD2PS Z2, Y2
	VMOVUPS Y2, (BX)(DX*1)
	// dg_g = (dc_t·i + drow_g)·(1-g²)
	VMULPD Z10, Z1, Z2
	VCVTPS2PD (DI)(DX*2), Z3
	VADDPD Z3, Z2, Z2
	VMULPD Z12, Z12, Z3
	VSUBPD Z3, Z27, Z3
	VMULPD Z3, Z2, Z2
	VCVTPD2PS Z2, Y2
	VMOVUPS Y2, (BX)(DX*2)
	// dg_o = (dh_t·tc + drow_o)·o·(1-o)
	VMULPD Z14, Z0, Z2
	VCVTPS2PD (DI)(R11*1), Z3
	VADDPD Z3, Z2, Z2
	VMULPD Z13, Z2, Z2
	VSUBPD Z13, Z27, Z3
	VMULPD Z3, Z2, Z2
	VCVTPD2PS Z2, Y2
	VMOVUPS Y2, (BX)(R11*1)
	// dc_{t-1} = dc_t·f
	VMULPD Z11, Z1, Z2
	VCVTPD2PS Z2, Y2
	VMOVUPS Y2, (R10)

	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, BX
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	DECQ CX
	JNZ  lgloop
	VZEROUPPER

lgdone:
	RET

// func tanhBiasAVX512(x, bias *float32, n int)
// x[j] = tanh(x[j] + bias[j]) for j < n (a multiple of 8), in float64; bias may be nil.
TEXT ·tanhBiasAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ bias+8(FP), DI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   tbdone
	LOADC

tbloop:
	VCVTPS2PD (SI), Z0
	TESTQ DI, DI
	JZ   tbnb
	VCVTPS2PD (DI), Z1
	VADDPD Z1, Z0, Z0
	ADDQ $32, DI
tbnb:
	TANH(Z0, Z1)
	VCVTPD2PS Z1, Y1
	VMOVUPS Y1, (SI)
	ADDQ $32, SI
	DECQ CX
	JNZ  tbloop
	VZEROUPPER

tbdone:
	RET

// func gruCellAVX512(row, hp, hPrev, bih, bhh *float32, h, n int)
// The first n (a multiple of 8) columns of gruCellScalar(row, hp, hPrev, bih, bhh, h);
// bih and bhh are both nil or both not.
TEXT ·gruCellAVX512(SB), NOSPLIT, $0-56
	MOVQ row+0(FP), SI
	MOVQ hp+8(FP), R8
	MOVQ hPrev+16(FP), BX
	MOVQ bih+24(FP), DI
	MOVQ bhh+32(FP), R9
	MOVQ h+40(FP), DX
	MOVQ n+48(FP), CX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R10     // 3 columns
	SHRQ $3, CX
	JZ   gcdone
	LOADC

gcloop:
	// a_r = row_r + hp_r (+ (b_ir + b_hr)), a_z likewise; x_n (+ b_in); hn = hp_n (+ b_hn)
	VCVTPS2PD (SI), Z0
	VCVTPS2PD (R8), Z1
	VADDPD Z1, Z0, Z0
	VCVTPS2PD (SI)(DX*1), Z7
	VCVTPS2PD (R8)(DX*1), Z1
	VADDPD Z1, Z7, Z7
	VCVTPS2PD (SI)(DX*2), Z8
	VCVTPS2PD (R8)(DX*2), Z9
	TESTQ DI, DI
	JZ   gcnb1
	VCVTPS2PD (DI), Z1
	VCVTPS2PD (R9), Z2
	VADDPD Z2, Z1, Z1
	VADDPD Z1, Z0, Z0
	VCVTPS2PD (DI)(DX*1), Z1
	VCVTPS2PD (R9)(DX*1), Z2
	VADDPD Z2, Z1, Z1
	VADDPD Z1, Z7, Z7
	VCVTPS2PD (DI)(DX*2), Z1
	VADDPD Z1, Z8, Z8
	VCVTPS2PD (R9)(DX*2), Z1
	VADDPD Z1, Z9, Z9
	ADDQ $32, DI
	ADDQ $32, R9
gcnb1:
	// r, z, hn rounded
	SIGMOID(Z0, Z1)
	VCVTPD2PS Z1, Y1
	VMOVUPS Y1, (SI)
	VCVTPS2PD Y1, Z10
	SIGMOID(Z7, Z1)
	VCVTPD2PS Z1, Y1
	VMOVUPS Y1, (SI)(DX*1)
	VCVTPS2PD Y1, Z11
	VCVTPD2PS Z9, Y9
	VMOVUPS Y9, (SI)(R10*1)
	VCVTPS2PD Y9, Z9
	// n = tanh(x_n + r·hn), rounded
	VMULPD Z9, Z10, Z0
	VADDPD Z0, Z8, Z0
	TANH(Z0, Z1)
	VCVTPD2PS Z1, Y1
	VMOVUPS Y1, (SI)(DX*2)
	VCVTPS2PD Y1, Z12
	// h = n + z·(h_prev - n)
	VCVTPS2PD (BX), Z0
	VSUBPD Z12, Z0, Z0
	VMULPD Z0, Z11, Z0
	VADDPD Z0, Z12, Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (SI)(DX*4)

	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, BX
	DECQ CX
	JNZ  gcloop
	VZEROUPPER

gcdone:
	RET
