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
}

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
