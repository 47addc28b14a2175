package main

import (
	"bytes"
	"fmt"
	"text/template"
)

// variant holds what differs between the float32 and float64 kernels.
type poolVariant struct {
	Suf, T                     string // name suffix, Go element type
	MovU, MovA, Max, Cmp, Perm string // instructions
	Full                       string // the mask of a whole vector
	Lanes, Size                int    // elements in a 512-bit vector, bytes in one
}

var variants = []poolVariant{
	{Suf: "S", T: "float32", MovU: "VMOVUPS", MovA: "VMOVAPS", Max: "VMAXPS", Cmp: "VCMPPS", Perm: "VPERMT2PS", Full: "0xFFFF", Lanes: 16, Size: 4},
	{Suf: "D", T: "float64", MovU: "VMOVUPD", MovA: "VMOVAPD", Max: "VMAXPD", Cmp: "VCMPPD", Perm: "VPERMT2PD", Full: "0xFF", Lanes: 8, Size: 8},
}

// pool writes the AVX-512 kernels of the 2x2 stride-2 max pooling of one variant
// (float32 or float64, one template), with the permutation tables they load.
func pool(b *bytes.Buffer, v poolVariant) {
	tm := template.Must(template.New("pool").Parse(kernels))
	tables(b, v)
	if err := tm.Execute(b, v); err != nil {
		panic(err)
	}
}

// tables writes the index vectors of VPERMT2PS/PD over two tables of n lanes: even and
// odd take the even and odd lanes of their concatenation (splitting window columns),
// ilo and ihi interleave the first halves and the second halves (joining them back).
func tables(b *bytes.Buffer, v poolVariant) {
	n := v.Lanes
	idx := map[string]func(i int) int{
		"even": func(i int) int { return 2 * i },
		"odd":  func(i int) int { return 2*i + 1 },
		"ilo":  func(i int) int { return i/2 + n*(i%2) },
		"ihi":  func(i int) int { return n/2 + i/2 + n*(i%2) },
	}
	for _, name := range []string{"even", "odd", "ilo", "ihi"} {
		b.WriteString("\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(b, "DATA pool%s%s<>+%d(SB)/%d, $%d\n", name, v.Suf, i*v.Size, v.Size, idx[name](i))
		}
		fmt.Fprintf(b, "GLOBL pool%s%s<>(SB), RODATA|NOPTR, $64\n", name, v.Suf)
	}
}

// kernels are the forward and backward kernels of one variant.
const kernels = `
// func maxPool2FwdAVX512{{.Suf}}(x, y *{{.T}}, rows, wB, yB, nfull int, tail uint64)
// For rows pairs of input rows, the first at x, each pair 2*wB bytes after the last
// (wB: one input row), and rows of outputs at y, yB bytes apart: y[j] = max(r0[2j],
// r0[2j+1], r1[2j], r1[2j+1]), NaN propagating, for nfull chunks of {{.Lanes}}
// outputs, then one chunk under the masks packed in tail (bits 0-15: the first input
// vector of a row, 16-31: the second, 32-47: the outputs; 0: no tail).
TEXT ·maxPool2FwdAVX512{{.Suf}}(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), R12
	MOVQ y+8(FP), R13
	MOVQ rows+16(FP), R11
	{{.MovU}} pooleven{{.Suf}}<>(SB), Z30
	{{.MovU}} poolodd{{.Suf}}<>(SB), Z31

fwdRow{{.Suf}}:
	TESTQ R11, R11
	JZ    fwdDone{{.Suf}}
	MOVQ  R12, SI
	MOVQ  R12, DI
	ADDQ  wB+24(FP), DI
	MOVQ  R13, DX
	MOVQ  nfull+40(FP), CX
	MOVQ  tail+48(FP), BX
	MOVQ  ${{.Full}}, R8
	MOVQ  ${{.Full}}, R9
	MOVQ  ${{.Full}}, R10

fwdLoop{{.Suf}}:
	TESTQ CX, CX
	JNZ   fwdBody{{.Suf}}
	TESTQ BX, BX
	JZ    fwdNext{{.Suf}}
	MOVQ BX, R8
	ANDQ $0xFFFF, R8
	MOVQ BX, R9
	SHRQ $16, R9
	ANDQ $0xFFFF, R9
	MOVQ BX, R10
	SHRQ $32, R10
	ANDQ $0xFFFF, R10
	XORQ BX, BX
	MOVQ $1, CX

fwdBody{{.Suf}}:
	KMOVW R8, K1
	KMOVW R9, K2
	KMOVW R10, K4
	{{.MovU}}.Z (SI), K1, Z0
	{{.MovU}}.Z 64(SI), K2, Z1
	{{.MovU}}.Z (DI), K1, Z2
	{{.MovU}}.Z 64(DI), K2, Z3
	{{.Max}} Z2, Z0, Z4
	{{.Cmp}} $3, Z0, Z0, K3
	{{.MovA}} Z0, K3, Z4
	{{.Max}} Z3, Z1, Z5
	{{.Cmp}} $3, Z1, Z1, K3
	{{.MovA}} Z1, K3, Z5
	{{.MovA}} Z4, Z6
	{{.Perm}} Z5, Z30, Z6
	{{.Perm}} Z5, Z31, Z4
	{{.Max}} Z4, Z6, Z7
	{{.Cmp}} $3, Z6, Z6, K3
	{{.MovA}} Z6, K3, Z7
	{{.MovU}} Z7, K4, (DX)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $64, DX
	DECQ CX
	JMP  fwdLoop{{.Suf}}

fwdNext{{.Suf}}:
	ADDQ yB+32(FP), R13
	ADDQ wB+24(FP), R12
	ADDQ wB+24(FP), R12
	DECQ R11
	JMP  fwdRow{{.Suf}}

fwdDone{{.Suf}}:
	VZEROUPPER
	RET

// func maxPool2BwdAVX512{{.Suf}}(x, y, dy, dx *{{.T}}, rows, wB, yB, nfull int, tail uint64)
// For rows pairs of input rows as in the forward (dx laid out as x, dy as y): the first
// of r0[2j], r0[2j+1], r1[2j], r1[2j+1] equal to y[j] (the first NaN when y[j] is NaN,
// the last element when none) gets dy[j] in dx at the same place, the other three get
// 0: dx is assigned, not added to.
TEXT ·maxPool2BwdAVX512{{.Suf}}(SB), NOSPLIT, $0-72
	XORQ AX, AX
	XORQ DX, DX
	MOVQ rows+32(FP), R15
	{{.MovU}} pooleven{{.Suf}}<>(SB), Z28
	{{.MovU}} poolodd{{.Suf}}<>(SB), Z29
	{{.MovU}} poolilo{{.Suf}}<>(SB), Z30
	{{.MovU}} poolihi{{.Suf}}<>(SB), Z31

bwdRow{{.Suf}}:
	TESTQ R15, R15
	JZ    bwdDone{{.Suf}}
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
	MOVQ  tail+64(FP), BX
	MOVQ  ${{.Full}}, R8
	MOVQ  ${{.Full}}, R9
	MOVQ  ${{.Full}}, R10

bwdLoop{{.Suf}}:
	TESTQ CX, CX
	JNZ   bwdBody{{.Suf}}
	TESTQ BX, BX
	JZ    bwdNext{{.Suf}}
	MOVQ BX, R8
	ANDQ $0xFFFF, R8
	MOVQ BX, R9
	SHRQ $16, R9
	ANDQ $0xFFFF, R9
	MOVQ BX, R10
	SHRQ $32, R10
	ANDQ $0xFFFF, R10
	XORQ BX, BX
	MOVQ $1, CX

bwdBody{{.Suf}}:
	KMOVW R8, K1
	KMOVW R9, K2
	KMOVW R10, K4
	{{.MovU}}.Z (SI), K1, Z0
	{{.MovU}}.Z 64(SI), K2, Z1
	{{.MovU}}.Z (DI), K1, Z2
	{{.MovU}}.Z 64(DI), K2, Z3
	{{.MovA}} Z0, Z4
	{{.Perm}} Z1, Z28, Z4
	{{.Perm}} Z1, Z29, Z0
	{{.MovA}} Z2, Z5
	{{.Perm}} Z3, Z28, Z5
	{{.Perm}} Z3, Z29, Z2
	{{.MovU}}.Z (R11), K4, Z6
	{{.MovU}}.Z (R12), K4, Z7
	{{.Cmp}} $3, Z6, Z6, K5
	{{.Cmp}} $0, Z6, Z4, K6
	{{.Cmp}} $3, Z4, Z4, K7
	KANDW K5, K7, K7
	KORW  K7, K6, K6
	{{.Cmp}} $0, Z6, Z0, K1
	{{.Cmp}} $3, Z0, Z0, K7
	KANDW K5, K7, K7
	KORW  K7, K1, K1
	KANDNW K1, K6, K1
	{{.Cmp}} $0, Z6, Z5, K2
	{{.Cmp}} $3, Z5, Z5, K7
	KANDW K5, K7, K7
	KORW  K7, K2, K2
	KORW  K6, K1, K3
	KANDNW K2, K3, K2
	KORW  K3, K2, K3
	KNOTW K3, K3
	{{.MovA}}.Z Z7, K6, Z8
	{{.MovA}}.Z Z7, K1, Z9
	{{.MovA}}.Z Z7, K2, Z10
	{{.MovA}}.Z Z7, K3, Z11
	{{.MovA}} Z8, Z12
	{{.Perm}} Z9, Z30, Z12
	{{.Perm}} Z9, Z31, Z8
	{{.MovA}} Z10, Z13
	{{.Perm}} Z11, Z30, Z13
	{{.Perm}} Z11, Z31, Z10
	KMOVW R8, K1
	KMOVW R9, K2
	{{.MovU}} Z12, K1, (R13)
	{{.MovU}} Z8, K2, 64(R13)
	{{.MovU}} Z13, K1, (R14)
	{{.MovU}} Z10, K2, 64(R14)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, R13
	ADDQ $128, R14
	ADDQ $64, R11
	ADDQ $64, R12
	DECQ CX
	JMP  bwdLoop{{.Suf}}

bwdNext{{.Suf}}:
	ADDQ yB+48(FP), DX
	ADDQ wB+40(FP), AX
	ADDQ wB+40(FP), AX
	DECQ R15
	JMP  bwdRow{{.Suf}}

bwdDone{{.Suf}}:
	VZEROUPPER
	RET
`
