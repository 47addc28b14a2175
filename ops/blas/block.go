package blas

//go:generate go run gen_block.go

// CopyBlock32 copies the rows x cols block of a row-major matrix src (row stride lds)
// into dst (row stride ldd): dst[q*ldd+i] = src[q*lds+i] for i < cols, q < rows. For
// blocks at most four vectors wide (64 float32 with AVX-512) it uses the masked vector
// moves of the GEMM's packing, a few cycles a row where a copy call per row costs tens:
// nn's im2col copies rows of eight values this way. It panics with an index error
// when a slice is too short.
func CopyBlock32(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	copyBlock(&active32.pk, dst, ldd, src, lds, rows, cols)
}

// CopyBlock64 is CopyBlock32 for float64.
func CopyBlock64(dst []float64, ldd int, src []float64, lds, rows, cols int) {
	copyBlock(&active64.pk, dst, ldd, src, lds, rows, cols)
}

func copyBlock[T float](pk *packer[T], dst []T, ldd int, src []T, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ldd < cols || lds < cols {
		panic("blas: CopyBlock: row stride shorter than the block")
	}
	copyRows(pk, dst, ldd, cols, src, lds, cols, rows)
}

// AddBlock32 adds the rows x cols block of src (row stride lds) into dst (row stride
// ldd): dst[q*ldd+i] += src[q*lds+i] for i < cols, q < rows, with AVX-512 when the CPU
// has it (nn's col2im adds rows of eight values this way). It panics with an index
// error when a slice is too short.
func AddBlock32(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	addBlock(&addAsm32, dst, ldd, src, lds, rows, cols)
}

// AddBlock64 is AddBlock32 for float64.
func AddBlock64(dst []float64, ldd int, src []float64, lds, rows, cols int) {
	addBlock(&addAsm64, dst, ldd, src, lds, rows, cols)
}

// addAsm is an assembly AddBlock for vectors of v values (fn nil: none).
type addAsm[T float] struct {
	fn func(dst *T, ldd int, src *T, lds, rows, nv int, tail uint64)
	v  int
}

// addAsm32 and addAsm64 are set by init where the CPU runs them; tests clear them
// to cover the Go loop.
var (
	addAsm32 addAsm[float32]
	addAsm64 addAsm[float64]
)

func addBlock[T float](as *addAsm[T], dst []T, ldd int, src []T, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ldd < cols || lds < cols {
		panic("blas: AddBlock: row stride shorter than the block")
	}
	// The last element of each operand, checked here for the assembly.
	_ = src[(rows-1)*lds+cols-1]
	_ = dst[(rows-1)*ldd+cols-1]
	if as.fn != nil {
		as.fn(&dst[0], ldd, &src[0], lds, rows, cols/as.v, laneMask(cols%as.v, as.v))
		return
	}
	for q := 0; q < rows; q++ {
		d := dst[q*ldd : q*ldd+cols]
		for i, v := range src[q*lds : q*lds+cols] {
			d[i] += v
		}
	}
}
