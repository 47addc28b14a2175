package main

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/gradflow/gradflow/ops/kern/internal/poly"
)

// The exponential's constants are poly's (ops/kern/internal/poly); this file emits
// its instructions, once, for every kernel that needs it.

// expName names coefficient n in the DATA comments.
// expCoefValue returns poly.ExpCoef[n] (for the test).
func expCoefValue(n int) float64 { return poly.ExpCoef[n] }

func expName(n int) string {
	if n < 2 {
		return "1"
	}
	f := 1
	for i := 2; i <= n; i++ {
		f *= i
	}
	return fmt.Sprintf("1/%d", f)
}

// data writes one float64 DATA line.
func data(b *bytes.Buffer, sym string, off int, v float64, comment string) {
	fmt.Fprintf(b, "DATA %s<>+%d(SB)/8, $0x%016x // %s\n", sym, off, math.Float64bits(v), comment)
}

// dataBits writes one DATA line of raw bits.
func dataBits(b *bytes.Buffer, sym string, off int, v uint64, comment string) {
	fmt.Fprintf(b, "DATA %s<>+%d(SB)/8, $0x%016x // %s\n", sym, off, v, comment)
}

// operand is where a constant of the exponential comes from: a register, or a
// float64 in memory (sym<>+off(SB)), broadcast.
type operand struct {
	reg string
	mem string
}

func reg(r string) operand            { return operand{reg: r} }
func mem(sym string, off int) operand { return operand{mem: fmt.Sprintf("%s<>+%d(SB)", sym, off)} }
func (o operand) isMem() bool         { return o.mem != "" }
func (o operand) String() string      { return o.reg + o.mem }
func (o operand) op(in string) string {
	if o.isMem() && strings.HasPrefix(in, "V") {
		return in + ".BCST"
	}
	return in
}

// expCode emits the pieces of the exponential on 512-bit (Z) registers; the kernels
// compose them around their own argument handling.
type expCode struct {
	log2e, ln2Hi, ln2Lo operand
	coef                func(n int) operand // 1/n!
	// via, for AVX2 (no embedded broadcast), is the register a constant in memory is
	// broadcast into before each use; empty for AVX-512.
	via string
}

// use returns the instructions that make o usable as a source, and its name there.
func (e expCode) use(o operand) ([]string, string) {
	if o.isMem() && e.via != "" {
		return []string{fmt.Sprintf("VBROADCASTSD %s, %s", o, e.via)}, e.via
	}
	return nil, o.String()
}

// ins emits instruction in with constant o as its first source.
func (e expCode) ins(in string, o operand, rest string) []string {
	pre, name := e.use(o)
	if e.via == "" {
		in = o.op(in)
	}
	return append(pre, fmt.Sprintf("%s %s, %s", in, name, rest))
}

// round emits k = round(w·m) for the multiplier m (log2 e, or -log2 e for an argument
// -w), leaving w.
func (e expCode) round(w, k string, m operand) []string {
	round := fmt.Sprintf("VRNDSCALEPD $0, %s, %s", k, k)
	if e.via != "" {
		round = fmt.Sprintf("VROUNDPD $0, %s, %s", k, k) // the same rounding, to nearest even
	}
	return append(e.ins("VMULPD", m, w+", "+k), round)
}

// reduce emits r = w - k·ln2Hi - k·ln2Lo into w.
func (e expCode) reduce(w, k string) []string {
	return append(e.ins("VFNMADD231PD", e.ln2Hi, k+", "+w), e.ins("VFNMADD231PD", e.ln2Lo, k+", "+w)...)
}

// horner emits t = sum_{n=lo..poly.ExpDegree} r^(n-lo)/n! by Horner's rule, fused
// multiply-adds from the highest coefficient: lo = 0 gives p(r), lo = 1 the q(r) of
// expm1 (exp(r) - 1 = r·q(r)).
func (e expCode) horner(r, t string, lo int) []string {
	var s []string
	top := e.coef(poly.ExpDegree)
	if top.isMem() {
		s = append(s, fmt.Sprintf("VBROADCASTSD %s, %s", top, t))
	} else {
		s = append(s, fmt.Sprintf("VMOVAPD %s, %s", top, t))
	}
	for n := poly.ExpDegree - 1; n >= lo; n-- {
		s = append(s, e.ins("VFMADD213PD", e.coef(n), r+", "+t)...)
	}
	return s
}

// scale emits out = p·2^k.
func scale(p, k, out string) string { return fmt.Sprintf("VSCALEFPD %s, %s, %s", k, p, out) }

// scaleAVX2 emits p = p·2^k without VSCALEFPD: 2^k built in the exponent field of t
// (Yt, with Xt its low half) from the integral k, bias the int64 1023. Exact, and
// equal to VSCALEFPD's result, while p·2^k is a normal number (k >= -1022).
func scaleAVX2(p, k, t string, bias operand) []string {
	x := "X" + strings.TrimPrefix(t, "Y")
	return []string{
		fmt.Sprintf("VCVTPD2DQY %s, %s", k, x),
		fmt.Sprintf("VPMOVSXDQ %s, %s", x, t),
		fmt.Sprintf("VPADDQ %s, %s, %s", bias, t, t),
		fmt.Sprintf("VPSLLQ $52, %s, %s", t, t),
		fmt.Sprintf("VMULPD %s, %s, %s", t, p, p),
	}
}

// scaleAVX2Wide is scaleAVX2 for k down to -2044 (arguments down to -1000): 2^k as
// 2^k1·2^k2, k1 = k>>1, k2 = k - k1, each a normal number; p·2^k1 is exact, so the
// second product rounds once, as VSCALEFPD does (denormal results included). It uses
// Yt and Yu (and their low halves).
func scaleAVX2Wide(p, k, t, u string, bias operand) []string {
	xt, xu := "X"+strings.TrimPrefix(t, "Y"), "X"+strings.TrimPrefix(u, "Y")
	return []string{
		fmt.Sprintf("VCVTPD2DQY %s, %s", k, xt),
		fmt.Sprintf("VPSRAD $1, %s, %s", xt, xu),
		fmt.Sprintf("VPSUBD %s, %s, %s", xu, xt, xt),
		fmt.Sprintf("VPMOVSXDQ %s, %s", xt, t),
		fmt.Sprintf("VPMOVSXDQ %s, %s", xu, u),
		fmt.Sprintf("VPADDQ %s, %s, %s", bias, t, t),
		fmt.Sprintf("VPADDQ %s, %s, %s", bias, u, u),
		fmt.Sprintf("VPSLLQ $52, %s, %s", t, t),
		fmt.Sprintf("VPSLLQ $52, %s, %s", u, u),
		fmt.Sprintf("VMULPD %s, %s, %s", u, p, p),
		fmt.Sprintf("VMULPD %s, %s, %s", t, p, p),
	}
}

// lines joins instructions for the body of a function.
func lines(s ...[]string) string {
	var b strings.Builder
	for _, l := range s {
		for _, x := range l {
			b.WriteString("\t" + x + "\n")
		}
	}
	return b.String()
}

// macro joins instructions for a #define body.
func macro(s ...[]string) string {
	var all []string
	for _, l := range s {
		all = append(all, l...)
	}
	return "\t" + strings.Join(all, "; \\\n\t") + "\n"
}

func one(s ...string) []string { return s }
