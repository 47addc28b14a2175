package main

import (
	"bytes"
	"text/template"
)

// poolAVX2Variant is what differs between the float32 and float64 AVX2 pool kernels.
type poolAVX2Variant struct {
	Suf, T, P, Mov string // name suffix, Go type, instruction suffix (PS/PD), move
	Even, Odd      string // the shuffle immediates taking the even and odd lanes of two registers
	Lanes          int    // outputs a step (elements in a YMM register)
}

var poolAVX2Variants = []poolAVX2Variant{
	{Suf: "S", T: "float32", P: "PS", Mov: "VMOVUPS", Even: "$0x88", Odd: "$0xDD", Lanes: 8},
	{Suf: "D", T: "float64", P: "PD", Mov: "VMOVUPD", Even: "$0x00", Odd: "$0x0F", Lanes: 4},
}

// poolAVX2 writes the AVX2 2x2 max-pool kernels of one variant: the AVX-512 kernels'
// operations on whole chunks of a row (the Go callers do each row's tail), with
// in-lane shuffles and a 64-bit permute for VPERMT2PS/PD, unpacks for the
// interleaving permutes, and compare masks with blends and ands for the opmasks.
func poolAVX2(b *bytes.Buffer, v poolAVX2Variant) {
	tm := template.Must(template.New("pool2").Parse(poolAVX2Tmpl))
	if err := tm.Execute(b, v); err != nil {
		panic(err)
	}
}

const poolAVX2Tmpl = `
// func maxPool2FwdAVX2{{.Suf}}(x, y *{{.T}}, rows, wB, yB, nfull int)
// For rows pairs of input rows, the first at x, each pair 2*wB bytes after the last,
// and rows of outputs at y, yB bytes apart: the first nfull chunks of {{.Lanes}} outputs of
// each row, y[j] = max(r0[2j], r0[2j+1], r1[2j], r1[2j+1]), NaN propagating as in
// maxPool2FwdAVX512{{.Suf}}.
TEXT ·maxPool2FwdAVX2{{.Suf}}(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), R12
	MOVQ y+8(FP), R13
	MOVQ rows+16(FP), R11

f2Row{{.Suf}}:
	TESTQ R11, R11
	JZ    f2Done{{.Suf}}
	MOVQ  R12, SI
	MOVQ  R12, DI
	ADDQ  wB+24(FP), DI
	MOVQ  R13, DX
	MOVQ  nfull+40(FP), CX

f2Loop{{.Suf}}:
	TESTQ CX, CX
	JZ    f2Next{{.Suf}}
	{{.Mov}} (SI), Y0
	{{.Mov}} 32(SI), Y1
	{{.Mov}} (DI), Y2
	{{.Mov}} 32(DI), Y3
	VMAX{{.P}} Y2, Y0, Y4
	VCMP{{.P}} $3, Y0, Y0, Y8
	VBLENDV{{.P}} Y8, Y0, Y4, Y4
	VMAX{{.P}} Y3, Y1, Y5
	VCMP{{.P}} $3, Y1, Y1, Y8
	VBLENDV{{.P}} Y8, Y1, Y5, Y5
	VSHUF{{.P}} {{.Even}}, Y5, Y4, Y6
	VSHUF{{.P}} {{.Odd}}, Y5, Y4, Y7
	VPERMPD $0xD8, Y6, Y6
	VPERMPD $0xD8, Y7, Y7
	VMAX{{.P}} Y7, Y6, Y9
	VCMP{{.P}} $3, Y6, Y6, Y8
	VBLENDV{{.P}} Y8, Y6, Y9, Y9
	{{.Mov}} Y9, (DX)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $32, DX
	DECQ CX
	JMP  f2Loop{{.Suf}}

f2Next{{.Suf}}:
	ADDQ yB+32(FP), R13
	ADDQ wB+24(FP), R12
	ADDQ wB+24(FP), R12
	DECQ R11
	JMP  f2Row{{.Suf}}

f2Done{{.Suf}}:
	VZEROUPPER
	RET

// func maxPool2BwdAVX2{{.Suf}}(x, y, dy, dx *{{.T}}, rows, wB, yB, nfull int)
// The gradient of maxPool2FwdAVX2{{.Suf}}'s chunks, as maxPool2BwdAVX512{{.Suf}}: the first of
// r0[2j], r0[2j+1], r1[2j], r1[2j+1] equal to y[j] (the first NaN when y[j] is NaN, the
// last element when none) gets dy[j] in dx at the same place, the other three 0.
TEXT ·maxPool2BwdAVX2{{.Suf}}(SB), NOSPLIT, $0-64
	XORQ AX, AX
	XORQ DX, DX
	MOVQ rows+32(FP), R15

b2Row{{.Suf}}:
	TESTQ R15, R15
	JZ    b2Done{{.Suf}}
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

b2Loop{{.Suf}}:
	TESTQ CX, CX
	JZ    b2Next{{.Suf}}
	// a, b: the even and odd elements of row 0's pairs; c, d: of row 1's
	{{.Mov}} (SI), Y0
	{{.Mov}} 32(SI), Y1
	VSHUF{{.P}} {{.Even}}, Y1, Y0, Y4
	VSHUF{{.P}} {{.Odd}}, Y1, Y0, Y0
	VPERMPD $0xD8, Y4, Y4
	VPERMPD $0xD8, Y0, Y0
	{{.Mov}} (DI), Y2
	{{.Mov}} 32(DI), Y3
	VSHUF{{.P}} {{.Even}}, Y3, Y2, Y5
	VSHUF{{.P}} {{.Odd}}, Y3, Y2, Y2
	VPERMPD $0xD8, Y5, Y5
	VPERMPD $0xD8, Y2, Y2
	{{.Mov}} (R11), Y6
	{{.Mov}} (R12), Y7
	VCMP{{.P}} $3, Y6, Y6, Y15
	// Y8: a is the first match (equal, or both NaN)
	VCMP{{.P}} $0, Y6, Y4, Y8
	VCMP{{.P}} $3, Y4, Y4, Y12
	VAND{{.P}} Y15, Y12, Y12
	VOR{{.P}} Y12, Y8, Y8
	// Y9: b, and not a
	VCMP{{.P}} $0, Y6, Y0, Y9
	VCMP{{.P}} $3, Y0, Y0, Y12
	VAND{{.P}} Y15, Y12, Y12
	VOR{{.P}} Y12, Y9, Y9
	VANDN{{.P}} Y9, Y8, Y9
	// Y10: c, and neither a nor b; Y11: a, b or c
	VCMP{{.P}} $0, Y6, Y5, Y10
	VCMP{{.P}} $3, Y5, Y5, Y12
	VAND{{.P}} Y15, Y12, Y12
	VOR{{.P}} Y12, Y10, Y10
	VOR{{.P}} Y8, Y9, Y11
	VANDN{{.P}} Y10, Y11, Y10
	VOR{{.P}} Y11, Y10, Y11
	// the four gradients: dy where each is the one, 0 elsewhere (d: where none is)
	VAND{{.P}} Y7, Y8, Y8
	VAND{{.P}} Y7, Y9, Y9
	VAND{{.P}} Y7, Y10, Y10
	VANDN{{.P}} Y7, Y11, Y11
	// interleave back: row 0 from (a, b), row 1 from (c, d)
	VUNPCKL{{.P}} Y9, Y8, Y12
	VUNPCKH{{.P}} Y9, Y8, Y13
	VPERM2F128 $0x20, Y13, Y12, Y14
	VPERM2F128 $0x31, Y13, Y12, Y15
	{{.Mov}} Y14, (R13)
	{{.Mov}} Y15, 32(R13)
	VUNPCKL{{.P}} Y11, Y10, Y12
	VUNPCKH{{.P}} Y11, Y10, Y13
	VPERM2F128 $0x20, Y13, Y12, Y14
	VPERM2F128 $0x31, Y13, Y12, Y15
	{{.Mov}} Y14, (R14)
	{{.Mov}} Y15, 32(R14)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R13
	ADDQ $64, R14
	ADDQ $32, R11
	ADDQ $32, R12
	DECQ CX
	JMP  b2Loop{{.Suf}}

b2Next{{.Suf}}:
	ADDQ yB+48(FP), DX
	ADDQ wB+40(FP), AX
	ADDQ wB+40(FP), AX
	DECQ R15
	JMP  b2Row{{.Suf}}

b2Done{{.Suf}}:
	VZEROUPPER
	RET
`
