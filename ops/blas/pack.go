package blas

import "unsafe"

// Packing copies a block of A or B into the layout the micro-kernel reads
// sequentially: micro-panels of mr rows of A (or nr columns of B), each
// stored k step by k step. Rows or columns past the edge of the matrix are
// zero, so the kernel always computes a full tile.

// panelStride is the distance between packed A micro-panels of mr*kc
// values: one cache line more, so that the panels, written side by side
// when packing a transposed A, do not all map to the same L1 set when
// mr*kc values are a multiple of 4 KiB.
func panelStride[T float](mr, kc int) int {
	var z T
	return mr*kc + 64/int(unsafe.Sizeof(z))
}

// packA packs the mc x kc block of op(A) starting at row i0, column p0 into
// dst as ceil(mc/mr) micro-panels of mr*kc values, panelStride apart.
// op(A)[i][p] is a[i*lda+p], or a[p*lda+i] when trans.
func packA[T float](pk *packer[T], dst, a []T, lda int, trans bool, i0, p0, mc, kc, mr int) {
	stride := panelStride[T](mr, kc)
	if trans {
		// Row by row (each row of the stored A, a column of op(A), is
		// read once): panel by panel would revisit the cache lines of
		// every row, which thrashes when lda is a power of two.
		full := mc / mr
		if full > 0 {
			for p := 0; p < kc; p++ {
				copyRows(pk, dst[p*mr:], stride, mr, a[(p0+p)*lda+i0:], mr, mr, full)
			}
		}
		if rows := mc - full*mr; rows > 0 {
			copyRows(pk, dst[full*stride:], mr, mr, a[p0*lda+i0+full*mr:], lda, rows, kc)
		}
		return
	}
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		panel := dst[ir/mr*stride:][:mr*kc]
		gather(pk, panel, mr, a[(i0+ir)*lda+p0:], lda, rows, kc)
		if rows < mr {
			for p := 0; p < kc; p++ {
				clear(panel[p*mr+rows : p*mr+mr])
			}
		}
	}
}

// packB packs the kc x nc block of op(B) starting at row p0, column j0 into
// dst as ceil(nc/nr) micro-panels of kc*nr values. op(B)[p][j] is
// b[p*ldb+j], or b[j*ldb+p] when trans.
func packB[T float](pk *packer[T], dst, b []T, ldb int, trans bool, p0, j0, kc, nc, nr int) {
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		panel := dst[jr*kc : jr*kc+nr*kc]
		if !trans {
			// Panel by panel: an nr-wide row is at least two cache lines,
			// and one call per panel keeps the calls few.
			copyRows(pk, panel, nr, nr, b[p0*ldb+j0+jr:], ldb, cols, kc)
			continue
		}
		gather(pk, panel, nr, b[(j0+jr)*ldb+p0:], ldb, cols, kc)
		if cols < nr {
			for p := 0; p < kc; p++ {
				clear(panel[p*nr+cols : p*nr+nr])
			}
		}
	}
}

// copyRows sets dst[q*ldd+i] = src[q*lds+i] for i < r and to zero for
// r <= i < w, for q < rows, with pk's assembly if it has one.
func copyRows[T float](pk *packer[T], dst []T, ldd, w int, src []T, lds, r, rows int) {
	if pk.copy != nil && w <= 4*pk.v {
		// The assembly reads src[q*lds+i] for i < r and writes
		// dst[q*ldd+i] for i < w, q < rows: check the last of each here.
		_ = src[(rows-1)*lds+r-1]
		_ = dst[(rows-1)*ldd+w-1]
		nv := (w + pk.v - 1) / pk.v
		var lmask uint64
		for c := 0; c < nv; c++ {
			lmask |= laneMask(r-c*pk.v, pk.v) << (16 * c)
		}
		smask := laneMask(w-(nv-1)*pk.v, pk.v)
		pk.copy(&dst[0], ldd, &src[0], lds, rows, nv, lmask, smask)
		return
	}
	for q := 0; q < rows; q++ {
		d := dst[q*ldd : q*ldd+w]
		copy(d, src[q*lds:q*lds+r])
		clear(d[r:])
	}
}

// laneMask has the low min(max(n, 0), v) bits set.
func laneMask(n, v int) uint64 {
	n = min(max(n, 0), v)
	return 1<<n - 1
}

// gather transposes: dst[p*w+i] = src[i*ld+p] for i < r <= w and p < kc,
// with pk's assembly for whole v x v blocks if it has one.
func gather[T float](pk *packer[T], dst []T, w int, src []T, ld, r, kc int) {
	if pk.transpose != nil && kc >= pk.v {
		nblk := kc / pk.v
		done := nblk * pk.v
		for i := 0; i < r; i += pk.v {
			rows := min(pk.v, r-i)
			// The assembly reads src[(i+q)*ld+p] and writes dst[p*w+i+q]
			// for q < rows, p < done: check the last of each here.
			_ = src[(i+rows-1)*ld+done-1]
			_ = dst[(done-1)*w+i+rows-1]
			pk.transpose(&dst[i], w, &src[i*ld], ld, rows, nblk)
		}
		if done == kc {
			return
		}
		dst, src, kc = dst[done*w:], src[done:], kc-done
	}
	gatherGo(dst, w, src, ld, r, kc)
}

// gatherGo is gather in Go. Eight (then four) source rows at a time make the
// writes wide.
func gatherGo[T float](dst []T, w int, src []T, ld, r, kc int) {
	i := 0
	for ; i+8 <= r; i += 8 {
		s0 := src[i*ld:][:kc]
		s1 := src[(i+1)*ld:][:kc]
		s2 := src[(i+2)*ld:][:kc]
		s3 := src[(i+3)*ld:][:kc]
		s4 := src[(i+4)*ld:][:kc]
		s5 := src[(i+5)*ld:][:kc]
		s6 := src[(i+6)*ld:][:kc]
		s7 := src[(i+7)*ld:][:kc]
		for p := range s0 {
			d := dst[p*w+i:][:8]
			d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
			d[4], d[5], d[6], d[7] = s4[p], s5[p], s6[p], s7[p]
		}
	}
	for ; i+4 <= r; i += 4 {
		s0 := src[i*ld:][:kc]
		s1 := src[(i+1)*ld:][:kc]
		s2 := src[(i+2)*ld:][:kc]
		s3 := src[(i+3)*ld:][:kc]
		for p := range s0 {
			d := dst[p*w+i:][:4]
			d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
		}
	}
	for ; i < r; i++ {
		s := src[i*ld:][:kc]
		for p, v := range s {
			dst[p*w+i] = v
		}
	}
}
