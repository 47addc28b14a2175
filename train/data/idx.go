package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"

	"github.com/pkg/errors"
)

// IDX is the content of an IDX file of unsigned bytes, the format of MNIST and its
// relatives (Fashion-MNIST, KMNIST, EMNIST). The format is a 4-byte magic number (two zero
// bytes, the type code 0x08 for unsigned byte, the number of dimensions), one big-endian
// 32-bit size per dimension, then the values in row-major order. MNIST images are
// 0x00000803 (count, rows, cols) and labels 0x00000801 (count).
type IDX struct {
	Dims []int  // the size of each dimension, outermost first
	Data []byte // the values in row-major order; len(Data) is the product of Dims
}

const (
	idxTypeUbyte = 0x08
	idxMaxDims   = 8
	// idxMaxElems bounds the element count a header may claim (256 MiB of data; MNIST's
	// train images are 47 MB), so that a corrupt header cannot make the reader ask for an
	// absurd amount of memory.
	idxMaxElems = 1 << 28
)

// ReadIDXFile reads an IDX file of unsigned bytes, plain or gzip-compressed (detected by
// the gzip magic number, not the name). A truncated, corrupt or oversized file is an error
// naming the file and the problem.
func ReadIDXFile(path string) (*IDX, error) {
	m, err := readIDXFile(path)
	return m, errors.Wrap(err, "data: idx")
}

// readIDXFile is ReadIDXFile with errors that name the file but not the package.
func readIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError names the file
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	m, err := readIDX(f, size)
	if err != nil {
		return nil, errors.Wrap(err, path)
	}
	return m, nil
}

// ReadIDX reads an IDX file of unsigned bytes, plain or gzip-compressed, from r. The
// reader must hold exactly one IDX file: trailing bytes are an error.
func ReadIDX(r io.Reader) (*IDX, error) {
	m, err := readIDX(r, -1)
	if err != nil {
		return nil, errors.Wrap(err, "data: idx")
	}
	return m, nil
}

// readIDX reads from r, whose length is size bytes, or unknown if size < 0.
func readIDX(r io.Reader, size int64) (*IDX, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errors.Wrap(err, "gzip")
		}
		defer zr.Close()
		return readIDXData(zr, -1)
	}
	return readIDXData(br, size)
}

// readIDXData parses uncompressed IDX from r, of size bytes or unknown (size < 0). It
// never allocates more than the data it has seen, or than size when it is known.
func readIDXData(r io.Reader, size int64) (*IDX, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, errors.Wrap(noEOF(err), "reading the magic number")
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, errors.Errorf("bad magic number 0x%08x, want 0x000008nn", binary.BigEndian.Uint32(magic[:]))
	}
	if magic[2] != idxTypeUbyte {
		return nil, errors.Errorf("magic number 0x%08x: type code 0x%02x not supported, want 0x08 (unsigned byte)",
			binary.BigEndian.Uint32(magic[:]), magic[2])
	}
	ndims := int(magic[3])
	if ndims < 1 || ndims > idxMaxDims {
		return nil, errors.Errorf("magic number 0x%08x: %d dimensions, want 1 to %d",
			binary.BigEndian.Uint32(magic[:]), ndims, idxMaxDims)
	}
	var buf [4 * idxMaxDims]byte
	if _, err := io.ReadFull(r, buf[:4*ndims]); err != nil {
		return nil, errors.Wrapf(noEOF(err), "reading the %d dimension sizes", ndims)
	}
	dims := make([]int, ndims)
	total := int64(1)
	for i := range dims {
		s := int64(binary.BigEndian.Uint32(buf[4*i:]))
		if s < 1 || s > idxMaxElems {
			return nil, errors.Errorf("dimension %d has size %d, want 1 to %d", i, s, idxMaxElems)
		}
		total *= s // both factors <= 2^28 < 2^31: no overflow before the check below
		if total > idxMaxElems {
			return nil, errors.Errorf("dimensions %v hold more than %d values", headerDims(buf[:4*ndims]), idxMaxElems)
		}
		dims[i] = int(s)
	}

	if size >= 0 {
		// The length is known: check it before allocating what the header asks for.
		if have := size - 4 - 4*int64(ndims); have != total {
			return nil, errors.Errorf("dimensions %v want %d bytes of data, the file holds %d", dims, total, have)
		}
		data := make([]byte, total)
		if n, err := io.ReadFull(r, data); err != nil {
			return nil, errors.Wrapf(noEOF(err), "dimensions %v want %d bytes of data, read %d", dims, total, n)
		}
		return &IDX{Dims: dims, Data: data}, nil
	}
	// The length is unknown (gzip): read what there is, at most one byte past the header's
	// count, so the buffer grows with the data actually present, then compare.
	data, err := io.ReadAll(io.LimitReader(r, total+1))
	if err != nil {
		return nil, errors.Wrapf(err, "dimensions %v: reading %d bytes of data", dims, total)
	}
	if int64(len(data)) != total {
		if int64(len(data)) > total {
			return nil, errors.Errorf("dimensions %v want %d bytes of data, the file holds more", dims, total)
		}
		return nil, errors.Errorf("dimensions %v want %d bytes of data, the file holds %d (truncated)", dims, total, len(data))
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// headerDims decodes the dimension sizes for an error message.
func headerDims(b []byte) []uint32 {
	d := make([]uint32, len(b)/4)
	for i := range d {
		d[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return d
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: a header cut short is a truncated file.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
