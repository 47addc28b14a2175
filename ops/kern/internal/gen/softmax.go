package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gradflow/gradflow/ops/kern/internal/poly"
)

// softmax writes the AVX-512 exponentials of the attention softmax.
func softmax(b *bytes.Buffer) {
	t := &table{sym: "attnC"}
	t.add("log2e", poly.Log2e, "log2 e")
	t.add("ln2Hi", poly.Ln2Hi, "ln2 hi")
	t.add("ln2Lo", poly.Ln2Lo, "ln2 lo")
	t.add("floor", poly.ExpFloor, "-1000: below it exp is 0")
	for n := 0; n <= poly.ExpDegree; n++ {
		t.add(fmt.Sprintf("c%d", n), poly.ExpCoef[n], expName(n))
	}
	t.addBits("bias", 1023, "int64 1023, the exponent bias (AVX2)")
	b.WriteString("\n// The exponential's constants (ops/kern/internal/poly).")
	t.write(b)
	e := expCode{ln2Hi: t.at("ln2Hi"), ln2Lo: t.at("ln2Lo"), coef: func(n int) operand { return t.at(fmt.Sprintf("c%d", n)) }}
	body := lines(
		e.round("Z0", "Z1", t.at("log2e")),
		e.reduce("Z0", "Z1"),
		e.horner("Z0", "Z2", 0),
		one(scale("Z2", "Z1", "Z2")),
	)
	s := strings.ReplaceAll(softmaxTmpl, "FLOOR", t.at("floor").String())
	b.WriteString(strings.ReplaceAll(s, "\tEXP\n", body))

	// AVX2: the same operations on four lanes (the exponentials bit for bit; the sum
	// in four partial sums instead of eight).
	e.via = "Y15"
	body = lines(
		e.round("Y0", "Y1", t.at("log2e")),
		e.reduce("Y0", "Y1"),
		e.horner("Y0", "Y2", 0),
		scaleAVX2Wide("Y2", "Y1", "Y8", "Y9", reg("Y14")),
	)
	s = strings.ReplaceAll(softmaxAVX2Tmpl, "FLOOR", t.at("floor").String())
	s = strings.ReplaceAll(s, "BIAS", t.at("bias").String())
	b.WriteString(strings.ReplaceAll(s, "\tEXP\n", body))
}

const softmaxAVX2Tmpl = `
// func softmaxExpAVX2(x *float32, n int, scale, m float64) (sum float64)
// softmaxExpAVX512 for n a multiple of 4, on four float64 lanes.
TEXT ·softmaxExpAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD scale+16(FP), Y10
	VBROADCASTSD m+24(FP), Y11
	VBROADCASTSD FLOOR, Y12
	VPBROADCASTQ BIAS, Y14
	VXORPD Y13, Y13, Y13
	SHRQ $2, CX
	JZ   done2

loop2:
	VCVTPS2PD (SI), Y0
	VFMSUB213PD Y11, Y10, Y0 // w = x·scale - m
	VMAXPD Y0, Y12, Y0       // max(w, -1000), NaN kept
	EXP
	VADDPD Y2, Y13, Y13
	VCVTPD2PSY Y2, X2
	VMOVUPS X2, (SI)
	ADDQ $16, SI
	DECQ CX
	JNZ  loop2

done2:
	VEXTRACTF128 $1, Y13, X1
	VADDPD X1, X13, X0
	VUNPCKHPD X0, X0, X1
	VADDSD X1, X0, X0
	MOVSD X0, sum+32(FP)
	VZEROUPPER
	RET
`

const softmaxTmpl = `
// func softmaxExpAVX512(x *float32, n int, scale, m float64) (sum float64)
// x[j] = exp(x[j]·scale - m) for j < n (a multiple of 8), computed in float64 and
// rounded; returns the float64 sum of the exponentials (eight partial sums).
TEXT ·softmaxExpAVX512(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD scale+16(FP), Z20
	VBROADCASTSD m+24(FP), Z21
	VBROADCASTSD FLOOR, Z23
	VXORPD Z22, Z22, Z22
	SHRQ $3, CX
	JZ   done

loop:
	VCVTPS2PD (SI), Z0
	VFMSUB213PD Z21, Z20, Z0 // w = x·scale - m
	VMAXPD Z0, Z23, Z0       // max(w, -1000), NaN kept
	EXP
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
`
