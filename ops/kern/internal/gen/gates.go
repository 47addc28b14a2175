package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gradflow/gradflow/ops/kern/internal/poly"
)

// gateTable returns the constants of the gate kernels as the symbol sym (one per
// file: RODATA symbols with <> are local to their file).
func gateTable(sym string) *table {
	t := &table{sym: sym}
	t.add("log2e", poly.Log2e, "log2 e")
	t.add("ln2Hi", poly.Ln2Hi, "ln2 hi")
	t.add("ln2Lo", poly.Ln2Lo, "ln2 lo")
	t.add("floor", poly.ExpFloor, "-1000")
	t.add("one", 1, "1")
	t.add("minusTwo", -2, "-2")
	t.addBits("sign", 0x8000000000000000, "sign bit")
	for n := 2; n <= poly.ExpDegree; n++ {
		t.add(fmt.Sprintf("c%d", n), poly.ExpCoef[n], expName(n))
	}
	return t
}

// gates writes the AVX-512 kernels of the recurrent cells' gate arithmetic in float32
// (kern's LSTMCell, LSTMCellGrad, GRUCell, TanhBias). Each reads float32, computes in
// eight float64 lanes and rounds back, the same operations in the same order as the
// Go bodies except that exp and tanh are built on the shared exponential instead of
// package math's.
func gates(b *bytes.Buffer) {
	t := gateTable("gateC")
	b.WriteString(gatesDoc)
	t.write(b)
	// LOADC: coefficients 1/2 .. 1/10! in Z15-Z23, then the constants below.
	var load []string
	for n := 2; n <= poly.ExpDegree; n++ {
		load = append(load, fmt.Sprintf("VBROADCASTSD %s, Z%d", t.at(fmt.Sprintf("c%d", n)), 13+n))
	}
	load = append(load, "VPXORQ Z24, Z24, Z24")
	for i, name := range []string{"sign", "minusTwo", "one", "floor", "ln2Lo", "ln2Hi", "log2e"} {
		load = append(load, fmt.Sprintf("VBROADCASTSD %s, Z%d", t.at(name), 25+i))
	}
	b.WriteString(`
// LOADC puts the constants in Z15-Z31: q's coefficients 1/2 .. 1/10! in Z15-Z23,
// zero Z24, sign bit Z25, -2 Z26, 1 Z27 (also q's constant term), -1000 Z28,
// ln2 lo Z29, ln2 hi Z30, log2 e Z31.
#define LOADC \
`)
	b.WriteString(macro(load))
	e := expCode{ln2Hi: reg("Z30"), ln2Lo: reg("Z29"), coef: func(n int) operand {
		if n == 1 {
			return reg("Z27")
		}
		return reg(fmt.Sprintf("Z%d", 13+n))
	}}
	b.WriteString(`
// EXPCORE reduces w (<= 0, in [-1000, 0]) to r (in w) and k, and sets t = r·q(r).
#define EXPCORE(w, k, t) \
`)
	b.WriteString(macro(e.round("w", "k", reg("Z31")), e.reduce("w", "k"), e.horner("w", "t", 1), one("VMULPD w, t, t")))
	b.WriteString(strings.ReplaceAll(gatesTmpl, "ONE", t.at("one").String()))
}

const gatesDoc = `
// exp(w), w <= 0: w = k·ln2 + r with k = round(w·log2 e), |r| <= ln2/2,
// exp(w) = 2^k·(1 + r·q(r)), q(r) = sum_{n=0..9} r^n/(n+1)! (the shared exponential's
// Taylor polynomial, ops/kern/internal/poly), and expm1(w) = 2^k·r·q(r) + (2^k - 1),
// which is exact to a few ulps near 0, where 1 - exp(w) would cancel.
//   sigmoid(x) = 1/(1+e) for x >= 0, e/(1+e) for x < 0, e = exp(-|x|)
//   tanh(x)    = sign(x)·m/(-2-m), m = expm1(-2|x|)
// Arguments below -1000 are raised to -1000 (exp is 0 there in float64); NaN stays NaN.
`

const gatesTmpl = `
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
// The first n (a multiple of 8) columns of LSTMCell(row, cPrev, bias, h); bias
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
// The first n (a multiple of 8) columns of LSTMCellGrad(row, drow, cPrev, dh, dc,
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
	VBROADCASTSD ONE, Z27

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
// The first n (a multiple of 8) columns of GRUCell(row, hp, hPrev, bih, bhh, h);
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
`
