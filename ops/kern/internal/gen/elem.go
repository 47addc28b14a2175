package main

import (
	"bytes"
	"text/template"
)

// avx2Variant is what differs between the float32 and float64 AVX2 kernels.
type avx2Variant struct {
	Suf, T, P, Mov string // name suffix, Go type, instruction suffix (PS/PD), move
	Size, Lanes    int    // bytes in an element, elements in a YMM register
}

var avx2Variants = []avx2Variant{
	{Suf: "S", T: "float32", P: "PS", Mov: "VMOVUPS", Size: 4, Lanes: 8},
	{Suf: "D", T: "float64", P: "PD", Mov: "VMOVUPD", Size: 8, Lanes: 4},
}

// Mask4 and Mask2 clear the bits below four and two registers of elements.
func (v avx2Variant) Mask4() int { return 4*v.Lanes - 1 }
func (v avx2Variant) Mask2() int { return 2*v.Lanes - 1 }

// elem writes the AVX2 ReLU, ReLU mask and Add kernels.
func elem(b *bytes.Buffer) {
	b.WriteString("\n// AVX2 element-wise kernels (elem.go). n is the number of elements, a multiple of\n// 8 (float32) or 4 (float64); the Go callers do the tails.\n")
	t := template.Must(template.New("elem").Parse(elemTmpl))
	for _, v := range avx2Variants {
		if err := t.Execute(b, v); err != nil {
			panic(err)
		}
	}
}

const elemTmpl = `
// func reluAVX2{{.Suf}}(x, y *{{.T}}, n int)
// y = (0 > x) ? 0 : x: VMAX returns its second source when the first is not greater,
// so NaN and -0 pass through unchanged, as in PyTorch.
TEXT ·reluAVX2{{.Suf}}(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXOR{{.P}} Y0, Y0, Y0
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $~{{.Mask4}}, BX
relu{{.Suf}}_loop4:
	CMPQ AX, BX
	JGE relu{{.Suf}}_loop1
	{{.Mov}} 0(SI)(AX*{{.Size}}), Y1
	{{.Mov}} 32(SI)(AX*{{.Size}}), Y2
	{{.Mov}} 64(SI)(AX*{{.Size}}), Y3
	{{.Mov}} 96(SI)(AX*{{.Size}}), Y4
	VMAX{{.P}} Y1, Y0, Y1
	VMAX{{.P}} Y2, Y0, Y2
	VMAX{{.P}} Y3, Y0, Y3
	VMAX{{.P}} Y4, Y0, Y4
	{{.Mov}} Y1, 0(DI)(AX*{{.Size}})
	{{.Mov}} Y2, 32(DI)(AX*{{.Size}})
	{{.Mov}} Y3, 64(DI)(AX*{{.Size}})
	{{.Mov}} Y4, 96(DI)(AX*{{.Size}})
	ADDQ ${{.Lanes}}*4, AX
	JMP relu{{.Suf}}_loop4
relu{{.Suf}}_loop1:
	CMPQ AX, CX
	JGE relu{{.Suf}}_done
	{{.Mov}} (SI)(AX*{{.Size}}), Y1
	VMAX{{.P}} Y1, Y0, Y1
	{{.Mov}} Y1, (DI)(AX*{{.Size}})
	ADDQ ${{.Lanes}}, AX
	JMP relu{{.Suf}}_loop1
relu{{.Suf}}_done:
	VZEROUPPER
	RET

// func reluMaskAVX2{{.Suf}}(y, dy, dx *{{.T}}, n int)
// dx = !(y <= 0) ? dy : 0: compare not-less-or-equal, unordered (true for NaN), then and.
TEXT ·reluMaskAVX2{{.Suf}}(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), SI
	MOVQ dy+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VXOR{{.P}} Y0, Y0, Y0
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $~{{.Mask2}}, BX
mask{{.Suf}}_loop2:
	CMPQ AX, BX
	JGE mask{{.Suf}}_loop1
	{{.Mov}} 0(SI)(AX*{{.Size}}), Y1
	{{.Mov}} 32(SI)(AX*{{.Size}}), Y2
	VCMP{{.P}} $0x16, Y0, Y1, Y1
	VCMP{{.P}} $0x16, Y0, Y2, Y2
	VAND{{.P}} 0(DX)(AX*{{.Size}}), Y1, Y1
	VAND{{.P}} 32(DX)(AX*{{.Size}}), Y2, Y2
	{{.Mov}} Y1, 0(DI)(AX*{{.Size}})
	{{.Mov}} Y2, 32(DI)(AX*{{.Size}})
	ADDQ ${{.Lanes}}*2, AX
	JMP mask{{.Suf}}_loop2
mask{{.Suf}}_loop1:
	CMPQ AX, CX
	JGE mask{{.Suf}}_done
	{{.Mov}} (SI)(AX*{{.Size}}), Y1
	VCMP{{.P}} $0x16, Y0, Y1, Y1
	VAND{{.P}} (DX)(AX*{{.Size}}), Y1, Y1
	{{.Mov}} Y1, (DI)(AX*{{.Size}})
	ADDQ ${{.Lanes}}, AX
	JMP mask{{.Suf}}_loop1
mask{{.Suf}}_done:
	VZEROUPPER
	RET

// func addAVX2{{.Suf}}(dst, src *{{.T}}, n int)
// dst += src, element by element (the same IEEE additions as a scalar loop).
TEXT ·addAVX2{{.Suf}}(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $~{{.Mask4}}, BX
add{{.Suf}}_loop4:
	CMPQ AX, BX
	JGE add{{.Suf}}_loop1
	{{.Mov}} 0(DI)(AX*{{.Size}}), Y1
	{{.Mov}} 32(DI)(AX*{{.Size}}), Y2
	{{.Mov}} 64(DI)(AX*{{.Size}}), Y3
	{{.Mov}} 96(DI)(AX*{{.Size}}), Y4
	VADD{{.P}} 0(SI)(AX*{{.Size}}), Y1, Y1
	VADD{{.P}} 32(SI)(AX*{{.Size}}), Y2, Y2
	VADD{{.P}} 64(SI)(AX*{{.Size}}), Y3, Y3
	VADD{{.P}} 96(SI)(AX*{{.Size}}), Y4, Y4
	{{.Mov}} Y1, 0(DI)(AX*{{.Size}})
	{{.Mov}} Y2, 32(DI)(AX*{{.Size}})
	{{.Mov}} Y3, 64(DI)(AX*{{.Size}})
	{{.Mov}} Y4, 96(DI)(AX*{{.Size}})
	ADDQ ${{.Lanes}}*4, AX
	JMP add{{.Suf}}_loop4
add{{.Suf}}_loop1:
	CMPQ AX, CX
	JGE add{{.Suf}}_done
	{{.Mov}} (DI)(AX*{{.Size}}), Y1
	VADD{{.P}} (SI)(AX*{{.Size}}), Y1, Y1
	{{.Mov}} Y1, (DI)(AX*{{.Size}})
	ADDQ ${{.Lanes}}, AX
	JMP add{{.Suf}}_loop1
add{{.Suf}}_done:
	VZEROUPPER
	RET
`
