package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gradflow/gradflow/ops/kern/internal/poly"
)

// gatesAVX2 writes the AVX2 (with FMA) versions of the gate kernels: the AVX-512
// bodies on four float64 lanes (gatesTmpl translated register for register), the
// constants broadcast into Y15 before each use, blends for the opmasks, bit selects for
// VPTERNLOGQ and the exponent field, in two factors, for VSCALEFPD (k reaches -1443).
// Every result is the AVX-512 kernels', bit for bit.
func gatesAVX2(b *bytes.Buffer) {
	t := gateTable("gate4C")
	t.addBits("bias", 1023, "int64 1023, the exponent bias")
	b.WriteString("\n// The constants of gates_amd64.s, and the exponent bias.")
	t.write(b)
	c := func(name string) string { return t.at(name).String() }
	bc := func(name, reg string) string { return "VBROADCASTSD " + c(name) + ", " + reg }
	e := expCode{ln2Hi: t.at("ln2Hi"), ln2Lo: t.at("ln2Lo"), via: "Y15", coef: func(n int) operand {
		if n == 1 {
			return t.at("one")
		}
		return t.at(fmt.Sprintf("c%d", n))
	}}
	// factors sets Ya, Yb to 2^k1, 2^k2 (k1 = k>>1, k2 = k - k1) for the integral k.
	factors := func(k, a, bb string) []string {
		xa, xb := "X"+strings.TrimPrefix(a, "Y"), "X"+strings.TrimPrefix(bb, "Y")
		return []string{
			fmt.Sprintf("VCVTPD2DQY %s, %s", k, xb),
			fmt.Sprintf("VPSRAD $1, %s, %s", xb, xa),
			fmt.Sprintf("VPSUBD %s, %s, %s", xa, xb, xb),
			fmt.Sprintf("VPMOVSXDQ %s, %s", xa, a),
			fmt.Sprintf("VPMOVSXDQ %s, %s", xb, bb),
			"VPBROADCASTQ " + c("bias") + ", Y15",
			fmt.Sprintf("VPADDQ Y15, %s, %s", a, a),
			fmt.Sprintf("VPADDQ Y15, %s, %s", bb, bb),
			fmt.Sprintf("VPSLLQ $52, %s, %s", a, a),
			fmt.Sprintf("VPSLLQ $52, %s, %s", bb, bb),
		}
	}
	b.WriteString(`
// EXPCORE4 is EXPCORE on four lanes.
#define EXPCORE4(w, k, t) \
`)
	b.WriteString(macro(e.round("w", "k", t.at("log2e")), e.reduce("w", "k"),
		one(bc(fmt.Sprintf("c%d", poly.ExpDegree), "t")), e.horner("w", "t", 1)[1:], one("VMULPD w, t, t")))
	b.WriteString(`
// SIGMOID4 is SIGMOID on four lanes; it uses Y2-Y6 and Y15, and keeps x.
#define SIGMOID4(x, out) \
`)
	b.WriteString(macro(
		one(bc("sign", "Y15"), "VORPD Y15, x, Y2", bc("floor", "Y15"), "VMAXPD Y2, Y15, Y2"),
		one("EXPCORE4(Y2, Y3, Y4)"),
		one(bc("one", "Y15"), "VADDPD Y15, Y4, Y4"),
		factors("Y3", "Y2", "Y6"),
		one("VMULPD Y2, Y4, Y5", "VMULPD Y6, Y5, Y5"),
		one(bc("one", "Y15"), "VADDPD Y15, Y5, Y6", "VDIVPD Y6, Y15, out",
			"VXORPD Y2, Y2, Y2", "VCMPPD $1, Y2, x, Y2", "VMULPD Y5, out, Y6", "VBLENDVPD Y2, Y6, out, out"),
	))
	b.WriteString(`
// TANH4 is TANH on four lanes; it uses Y2-Y6 and Y15, and keeps x.
#define TANH4(x, out) \
`)
	b.WriteString(macro(
		one(bc("sign", "Y15"), "VANDNPD x, Y15, Y2", bc("minusTwo", "Y15"), "VMULPD Y15, Y2, Y2",
			bc("floor", "Y15"), "VMAXPD Y2, Y15, Y2"),
		one("EXPCORE4(Y2, Y3, Y4)"),
		factors("Y3", "Y2", "Y6"),
		one("VMULPD Y2, Y4, Y4", "VMULPD Y6, Y4, Y4",
			bc("one", "Y5"), "VMULPD Y2, Y5, Y5", "VMULPD Y6, Y5, Y5",
			bc("one", "Y15"), "VSUBPD Y15, Y5, Y5",
			"VADDPD Y5, Y4, Y4",
			bc("minusTwo", "Y15"), "VSUBPD Y4, Y15, Y6",
			"VDIVPD Y6, Y4, out",
			bc("sign", "Y15"), "VANDNPD out, Y15, out", "VANDPD x, Y15, Y2", "VORPD Y2, out, out"),
	))
	b.WriteString(avx2Cells(strings.ReplaceAll(gatesTmpl, "ONE", c("one"))))
}

// avx2Cells translates the AVX-512 cell kernels to four lanes: Z registers to Y,
// eight-float loads and stores to four, the macros to their AVX2 versions.
func avx2Cells(s string) string {
	s = s[strings.Index(s, "// func lstmCellAVX512"):] // the AVX-512 macros stay behind
	r := strings.NewReplacer(
		"AVX512(SB)", "AVX2(SB)", "AVX512(", "AVX2(", "a multiple of 8", "a multiple of 4",
		"\tLOADC\n", "",
		"SIGMOID(", "SIGMOID4(", "TANH(", "TANH4(",
		"$32, ", "$16, ", "SHRQ $3, CX", "SHRQ $2, CX",
		"Z27", "Y15",
	)
	s = r.Replace(s)
	// Registers, conversions and stores, line by line.
	var out []string
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 3 && f[0] == "VCVTPD2PS": // VCVTPD2PS Zm, Yn -> VCVTPD2PSY Ym, Xn
			m := strings.TrimSuffix(strings.TrimPrefix(f[1], "Z"), ",")
			l = "\tVCVTPD2PSY Y" + m + ", X" + strings.TrimPrefix(f[2], "Y")
		case len(f) >= 3 && f[0] == "VCVTPS2PD" && strings.HasPrefix(f[1], "Y"): // register form
			n := strings.TrimSuffix(strings.TrimPrefix(f[1], "Y"), ",")
			l = "\tVCVTPS2PD X" + n + ", " + strings.Replace(f[2], "Z", "Y", 1)
		case len(f) >= 3 && f[0] == "VMOVUPS" && strings.HasPrefix(f[1], "Y"):
			l = strings.Replace(l, "VMOVUPS Y", "VMOVUPS X", 1)
		}
		l = zToY(l)
		out = append(out, l)
	}
	s = strings.Join(out, "\n")
	// Labels: the AVX2 kernels' own.
	for _, lb := range []string{"lcdone", "lcloop", "lcnb1", "lcnb2", "lcnb3", "lcnb4", "lcnb5", "lgdone", "lgloop",
		"tbdone", "tbloop", "tbnb", "gcdone", "gcloop", "gcnb1"} {
		s = strings.ReplaceAll(s, lb, lb+"4")
	}
	return s
}

// zToY renames the Z registers of a line to Y.
func zToY(l string) string {
	var b strings.Builder
	for i := 0; i < len(l); i++ {
		if l[i] == 'Z' && i+1 < len(l) && l[i+1] >= '0' && l[i+1] <= '9' && (i == 0 || !isIdent(l[i-1])) {
			b.WriteByte('Y')
			continue
		}
		b.WriteByte(l[i])
	}
	return b.String()
}

func isIdent(c byte) bool {
	return c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
