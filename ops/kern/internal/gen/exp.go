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
}

// round emits k = round(w·m) for the multiplier m (log2 e, or -log2 e for an argument
// -w), leaving w.
func (e expCode) round(w, k string, m operand) []string {
	return []string{
		fmt.Sprintf("%s %s, %s, %s", m.op("VMULPD"), m, w, k),
		fmt.Sprintf("VRNDSCALEPD $0, %s, %s", k, k),
	}
}

// reduce emits r = w - k·ln2Hi - k·ln2Lo into w.
func (e expCode) reduce(w, k string) []string {
	return []string{
		fmt.Sprintf("%s %s, %s, %s", e.ln2Hi.op("VFNMADD231PD"), e.ln2Hi, k, w),
		fmt.Sprintf("%s %s, %s, %s", e.ln2Lo.op("VFNMADD231PD"), e.ln2Lo, k, w),
	}
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
		c := e.coef(n)
		s = append(s, fmt.Sprintf("%s %s, %s, %s", c.op("VFMADD213PD"), c, r, t))
	}
	return s
}

// scale emits out = p·2^k.
func scale(p, k, out string) string { return fmt.Sprintf("VSCALEFPD %s, %s, %s", k, p, out) }

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
