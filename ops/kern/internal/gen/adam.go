package main

import (
	"bytes"
	"text/template"
)

// adam writes the AVX2 Adam kernels.
func adam(b *bytes.Buffer) {
	t := template.Must(template.New("adam").Funcs(template.FuncMap{
		"off": func(v avx2Variant, i int) int { return i * v.Size },
	}).Parse(adamTmpl))
	for _, v := range avx2Variants {
		if err := t.Execute(b, v); err != nil {
			panic(err)
		}
	}
}

// Bcast is the broadcast of one element.
func (v avx2Variant) Bcast() string {
	if v.Size == 4 {
		return "VBROADCASTSS"
	}
	return "VBROADCASTSD"
}

const adamTmpl = `
// func adamAVX2{{.Suf}}(wp, gp, mp, vp *{{.T}}, n int, c *[9]{{.T}})
// n elements, a multiple of {{.Lanes}}. c holds, as {{.T}} in this order: beta1, beta2,
// 1-beta1, 1-beta2, (unused), decay, stepSize, bc2Sqrt, eps. Every operation is the
// one Adam's Go body does, in the same order and without fused multiply-adds, so the
// results are bit-identical to it.
TEXT ·adamAVX2{{.Suf}}(SB), NOSPLIT, $0-48
	MOVQ wp+0(FP), SI
	MOVQ gp+8(FP), DI
	MOVQ mp+16(FP), R8
	MOVQ vp+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), DX
	{{.Bcast}} {{off . 0}}(DX), Y8  // beta1
	{{.Bcast}} {{off . 1}}(DX), Y9  // beta2
	{{.Bcast}} {{off . 2}}(DX), Y10 // 1 - beta1
	{{.Bcast}} {{off . 3}}(DX), Y11 // 1 - beta2
	{{.Bcast}} {{off . 5}}(DX), Y12 // decay
	{{.Bcast}} {{off . 6}}(DX), Y13 // stepSize
	{{.Bcast}} {{off . 7}}(DX), Y14 // bc2Sqrt
	{{.Bcast}} {{off . 8}}(DX), Y15 // eps
	XORQ AX, AX

adam{{.Suf}}_loop:
	CMPQ AX, CX
	JGE  adam{{.Suf}}_done
	{{.Mov}} (SI)(AX*{{.Size}}), Y0 // w
	{{.Mov}} (DI)(AX*{{.Size}}), Y1 // g
	VMUL{{.P}}  Y12, Y0, Y0    // w *= decay
	{{.Mov}} (R8)(AX*{{.Size}}), Y2
	VMUL{{.P}}  Y8, Y2, Y2     // m*beta1
	VMUL{{.P}}  Y1, Y10, Y4    // (1-beta1)*g
	VADD{{.P}}  Y4, Y2, Y2     // m = m*beta1 + (1-beta1)*g
	{{.Mov}} Y2, (R8)(AX*{{.Size}})
	{{.Mov}} (R9)(AX*{{.Size}}), Y3
	VMUL{{.P}}  Y9, Y3, Y3     // v*beta2
	VMUL{{.P}}  Y1, Y11, Y4    // (1-beta2)*g
	VMUL{{.P}}  Y1, Y4, Y4     // ((1-beta2)*g)*g
	VADD{{.P}}  Y4, Y3, Y3     // v = v*beta2 + (1-beta2)*g*g
	{{.Mov}} Y3, (R9)(AX*{{.Size}})
	VSQRT{{.P}} Y3, Y4         // sqrt(v)
	VDIV{{.P}}  Y14, Y4, Y4    // sqrt(v)/bc2Sqrt
	VADD{{.P}}  Y15, Y4, Y4    // + eps
	VMUL{{.P}}  Y2, Y13, Y5    // stepSize*m
	VDIV{{.P}}  Y4, Y5, Y5     // (stepSize*m)/denom
	VSUB{{.P}}  Y5, Y0, Y0     // w - ...
	{{.Mov}} Y0, (SI)(AX*{{.Size}})
	ADDQ    ${{.Lanes}}, AX
	JMP     adam{{.Suf}}_loop

adam{{.Suf}}_done:
	VZEROUPPER
	RET
`
