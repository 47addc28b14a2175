package main

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/gradflow/gradflow/ops/kern/internal/poly"
)

// gelu writes the AVX-512 GELU kernels: kern's normalCDF and expNeg on eight float64
// lanes.
func gelu(b *bytes.Buffer) {
	t := &table{sym: "geluC"}
	t.addBits("absMask", 0x7fffffffffffffff, "")
	// 1/√2 from the rounded √2, one ulp below 1/math.Sqrt2 (the Go body's constant):
	// the value the kernel has always used, kept so that its results do not change.
	t.add("invSqrt2", 1/float64(math.Sqrt2), "")
	t.add("thirteen", poly.ErfcxZMax, "")
	t.add("negLog2e", -poly.Log2e, "")
	t.add("ln2Hi", poly.Ln2Hi, "")
	t.add("ln2Lo", poly.Ln2Lo, "")
	t.add("one", 1, "")
	t.add("a", poly.ErfcxA, "")
	t.add("u0", poly.ErfcxU0, "")
	t.add("u1", poly.ErfcxU1, "")
	t.add("half", 0.5, "")
	t.add("invSqrt2Pi", 1/math.Sqrt(2*math.Pi), "")
	for n := 0; n <= poly.ExpDegree; n++ {
		t.add(fmt.Sprintf("e%d", n), poly.ExpCoef[n], fmt.Sprintf("e%d = %s", n, expName(n)))
	}
	for i, c := range poly.ErfcxP {
		t.add(fmt.Sprintf("p%d", i), c, "")
	}
	t.addBits("bias", 1023, "int64 1023, the exponent bias (AVX2)")
	b.WriteString("\n// The constants of kern's normalCDF and expNeg (gelu.go).")
	t.write(b)
	e := expCode{ln2Hi: t.at("ln2Hi"), ln2Lo: t.at("ln2Lo"), coef: func(n int) operand { return t.at(fmt.Sprintf("e%d", n)) }}
	c := func(name string) string { return t.at(name).String() }
	// erfcx's P(u) by Horner's rule, like the exponential's.
	p := []string{fmt.Sprintf("VBROADCASTSD %s, Z11", c(fmt.Sprintf("p%d", len(poly.ErfcxP)-1)))}
	for i := len(poly.ErfcxP) - 2; i >= 0; i-- {
		p = append(p, fmt.Sprintf("VFMADD213PD.BCST %s, Z10, Z11", c(fmt.Sprintf("p%d", i))))
	}
	cdf := macro(
		one(
			"VPANDQ.BCST "+c("absMask")+", Z0, Z3",
			"VMULPD.BCST "+c("invSqrt2")+", Z3, Z3",
			"VCMPPD.BCST $2, "+c("thirteen")+", Z3, K1",
			"VMINPD.BCST "+c("thirteen")+", Z3, Z3",
			"VMULPD Z3, Z3, Z4"),
		// exp(-z²): k from z²·(-log2 e), r = -z² - k·ln2.
		e.round("Z4", "Z5", t.at("negLog2e")),
		one("VXORPD Z6, Z6, Z6", "VSUBPD Z4, Z6, Z6"),
		e.reduce("Z6", "Z5"),
		e.horner("Z6", "Z7", 0),
		one(scale("Z7", "Z5", "Z7"),
			"VBROADCASTSD "+c("one")+", Z8",
			"VFMADD231PD.BCST "+c("a")+", Z3, Z8",
			"VBROADCASTSD "+c("one")+", Z9",
			"VDIVPD Z8, Z9, Z9",
			"VBROADCASTSD "+c("u0")+", Z10",
			"VFMADD231PD.BCST "+c("u1")+", Z9, Z10"),
		p,
		one("VMULPD Z9, Z11, Z11",
			"VMULPD Z7, Z11, Z11",
			"VMULPD.BCST "+c("half")+", Z11, Z11",
			"VMOVAPD.Z Z11, K1, Z11",
			"VMOVAPD.Z Z7, K1, Z2",
			"VBROADCASTSD "+c("one")+", Z1",
			"VSUBPD Z11, Z1, Z1",
			"VCMPPD $1, Z31, Z0, K2",
			"VMOVAPD Z11, K2, Z1"),
	)
	b.WriteString(`
// CDF maps x (Z0, eight float64s) to Φ(x) (Z1) and exp(-x²/2) (Z2), both limits
// (Φ 0 or 1, e 0) where |x|/√2 > 13 or x is NaN, K1 set elsewhere. It uses Z3-Z11, K2;
// Z31 must be zero.
#define CDF \
`)
	b.WriteString(cdf)
	b.WriteString(strings.ReplaceAll(geluTmpl, "INVSQRT2PI", c("invSqrt2Pi")))
	geluAVX2(b, t)
}

// geluAVX2 writes the AVX2 (with FMA) GELU kernels: CDF's operations on four float64
// lanes, constants broadcast into Y15 before use, compare masks and blends for the
// opmasks, VROUNDPD for VRNDSCALEPD and the exponent field for VSCALEFPD (k >= -244
// here). Every result is the AVX-512 kernel's, bit for bit.
func geluAVX2(b *bytes.Buffer, t *table) {
	e := expCode{ln2Hi: t.at("ln2Hi"), ln2Lo: t.at("ln2Lo"), coef: func(n int) operand { return t.at(fmt.Sprintf("e%d", n)) }, via: "Y15"}
	c := func(name string) string { return t.at(name).String() }
	bc := func(name, reg string) string { return "VBROADCASTSD " + c(name) + ", " + reg }
	p := []string{bc(fmt.Sprintf("p%d", len(poly.ErfcxP)-1), "Y11")}
	for i := len(poly.ErfcxP) - 2; i >= 0; i-- {
		p = append(p, e.ins("VFMADD213PD", t.at(fmt.Sprintf("p%d", i)), "Y10, Y11")...)
	}
	cdf := macro(
		one(bc("absMask", "Y15"), "VANDPD Y15, Y0, Y3",
			bc("invSqrt2", "Y15"), "VMULPD Y15, Y3, Y3",
			bc("thirteen", "Y15"), "VCMPPD $2, Y15, Y3, Y14", "VMINPD Y15, Y3, Y3",
			"VMULPD Y3, Y3, Y4"),
		e.round("Y4", "Y5", t.at("negLog2e")),
		one("VXORPD Y6, Y6, Y6", "VSUBPD Y4, Y6, Y6"),
		e.reduce("Y6", "Y5"),
		e.horner("Y6", "Y7", 0),
		one("VPBROADCASTQ "+c("bias")+", Y15"),
		scaleAVX2("Y7", "Y5", "Y8", reg("Y15")),
		one(bc("one", "Y8"), bc("a", "Y15"), "VFMADD231PD Y15, Y3, Y8",
			bc("one", "Y9"), "VDIVPD Y8, Y9, Y9",
			bc("u0", "Y10"), bc("u1", "Y15"), "VFMADD231PD Y15, Y9, Y10"),
		p,
		one("VMULPD Y9, Y11, Y11",
			"VMULPD Y7, Y11, Y11",
			bc("half", "Y15"), "VMULPD Y15, Y11, Y11",
			"VANDPD Y14, Y11, Y11",
			"VANDPD Y14, Y7, Y2",
			bc("one", "Y1"),
			"VSUBPD Y11, Y1, Y1",
			"VCMPPD $1, Y13, Y0, Y12",
			"VBLENDVPD Y12, Y11, Y1, Y1"),
	)
	b.WriteString(`
// CDF4 is CDF on four float64 lanes: x in Y0, Φ(x) in Y1, exp(-x²/2) in Y2, the mask
// of |x|/√2 <= 13 in Y14. It uses Y3-Y12 and Y15; Y13 must be zero.
#define CDF4 \
`)
	b.WriteString(cdf)
	b.WriteString(strings.ReplaceAll(geluAVX2Tmpl, "INVSQRT2PI", c("invSqrt2Pi")))
}

const geluAVX2Tmpl = `
// func geluAVX2(x, y *float32, n int); n is a multiple of 4.
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	SHRQ $2, CX
	JZ   f2done
	VXORPD Y13, Y13, Y13

f2loop:
	VCVTPS2PD (SI), Y0
	CDF4
	VMULPD Y1, Y0, Y12
	VCMPPD $4, Y13, Y1, Y14
	VANDPD Y14, Y12, Y12
	VCVTPD2PSY Y12, X12
	VMOVUPS X12, (DI)
	ADDQ $16, SI
	ADDQ $16, DI
	DECQ CX
	JNZ  f2loop

f2done:
	VZEROUPPER
	RET

// func geluGradAVX2(x, dy, dx *float32, n int); n is a multiple of 4.
TEXT ·geluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	SHRQ $2, CX
	JZ   b2done
	VXORPD Y13, Y13, Y13

b2loop:
	VCVTPS2PD (SI), Y0
	CDF4
	VBROADCASTSD INVSQRT2PI, Y15
	VMULPD Y15, Y0, Y12
	VMULPD Y2, Y12, Y12
	VANDPD Y14, Y12, Y12
	VADDPD Y12, Y1, Y12
	VCMPPD $3, Y0, Y0, Y11
	VBLENDVPD Y11, Y0, Y12, Y12
	VCVTPS2PD (DX), Y10
	VMULPD Y10, Y12, Y12
	VCVTPD2PSY Y12, X12
	VMOVUPS X12, (DI)
	ADDQ $16, SI
	ADDQ $16, DX
	ADDQ $16, DI
	DECQ CX
	JNZ  b2loop

b2done:
	VZEROUPPER
	RET
`

const geluTmpl = `
// func geluAVX512(x, y *float32, n int); n is a multiple of 8.
TEXT ·geluAVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   fdone
	VXORPD Z31, Z31, Z31

floop:
	VCVTPS2PD (SI), Z0
	CDF
	VCMPPD $4, Z31, Z1, K3
	VMULPD.Z Z1, Z0, K3, Z12
	VCVTPD2PS Z12, Y12
	VMOVUPS Y12, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  floop

fdone:
	VZEROUPPER
	RET

// func geluGradAVX512(x, dy, dx *float32, n int); n is a multiple of 8.
TEXT ·geluGradAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   bdone
	VXORPD Z31, Z31, Z31

bloop:
	VCVTPS2PD (SI), Z0
	CDF
	VMULPD.BCST INVSQRT2PI, Z0, Z12
	VMULPD.Z Z2, Z12, K1, Z12
	VADDPD Z12, Z1, Z12
	VCMPPD $3, Z0, Z0, K4
	VMOVAPD Z0, K4, Z12
	VCVTPS2PD (DX), Z13
	VMULPD Z13, Z12, Z12
	VCVTPD2PS Z12, Y12
	VMOVUPS Y12, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ  bloop

bdone:
	VZEROUPPER
	RET
`
