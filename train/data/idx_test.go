package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// idxBytes encodes an IDX file of unsigned bytes: magic 0x000008nn, big-endian dims, data.
func idxBytes(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadIDX(t *testing.T) {
	images := idxBytes([]uint32{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255})
	labels := idxBytes([]uint32{4}, []byte{5, 0, 4, 1})
	for _, tc := range []struct {
		name     string
		file     []byte
		wantDims []int
		wantData []byte
	}{
		{"images", images, []int{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255}},
		{"labels", labels, []int{4}, []byte{5, 0, 4, 1}},
		{"images gzip", gzipBytes(t, images), []int{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255}},
		{"labels gzip", gzipBytes(t, labels), []int{4}, []byte{5, 0, 4, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f")
			writeFile(t, path, tc.file)
			fromFile, err := ReadIDXFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fromReader, err := ReadIDX(bytes.NewReader(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range []*IDX{fromFile, fromReader} {
				if !slices.Equal(m.Dims, tc.wantDims) || !bytes.Equal(m.Data, tc.wantData) {
					t.Errorf("read dims %v data %v, want %v %v", m.Dims, m.Data, tc.wantDims, tc.wantData)
				}
			}
		})
	}
}

func TestReadIDXErrors(t *testing.T) {
	valid := idxBytes([]uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	validGz := gzipBytes(t, valid)
	corruptGz := slices.Clone(validGz)
	corruptGz[len(corruptGz)-8] ^= 0xff // the CRC-32 of the gzip trailer
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "reading the magic number: unexpected EOF"},
		{"short magic", []byte{0, 0, 8}, "reading the magic number: unexpected EOF"},
		{"bad magic", []byte{0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 0}, "bad magic number 0x12340801"},
		{"float type code", []byte{0, 0, 0x0d, 0x01, 0, 0, 0, 1, 0, 0, 0, 0}, "type code 0x0d not supported"},
		{"zero dims", []byte{0, 0, 0x08, 0}, "0 dimensions, want 1 to 8"},
		{"too many dims", []byte{0, 0, 0x08, 9}, "9 dimensions, want 1 to 8"},
		{"truncated dims", []byte{0, 0, 0x08, 3, 0, 0, 0, 1, 0, 0}, "reading the 3 dimension sizes: unexpected EOF"},
		{"zero size", idxBytes([]uint32{2, 0}, nil), "dimension 1 has size 0"},
		{"huge dim", idxBytes([]uint32{0xffffffff}, nil), "dimension 0 has size 4294967295"},
		{"huge product", idxBytes([]uint32{1 << 16, 1 << 16}, nil), "dimensions [65536 65536] hold more than 268435456 values"},
		{"truncated data", valid[:len(valid)-1], "want 6 bytes of data, the file holds 5"},
		{"extra data", append(slices.Clone(valid), 7), "want 6 bytes of data, the file holds"},
		{"gzip truncated data", gzipBytes(t, valid[:len(valid)-2]), "want 6 bytes of data, the file holds 4 (truncated)"},
		{"gzip extra data", gzipBytes(t, append(slices.Clone(valid), 7)), "the file holds more"},
		{"gzip huge header, little data", gzipBytes(t, idxBytes([]uint32{1 << 28}, []byte{1})), "want 268435456 bytes of data, the file holds 1 (truncated)"},
		{"gzip bad header", []byte{0x1f, 0x8b, 0, 0}, "gzip"},
		{"gzip cut short", validGz[:len(validGz)-4], "unexpected EOF"},
		{"gzip bad checksum", corruptGz, "checksum"},
		{"gzip then garbage", append(slices.Clone(validGz), bytes.Repeat([]byte{1}, 20)...), "gzip: invalid header"},
		{"gzip of bad magic", gzipBytes(t, []byte{1, 2, 3, 4}), "bad magic number 0x01020304"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad-idx")
			writeFile(t, path, tc.file)
			_, err := ReadIDXFile(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) ||
				!strings.HasPrefix(err.Error(), "data: idx") {
				t.Errorf("ReadIDXFile() error = %v, want one naming %s and holding %q", err, path, tc.want)
			}
			if _, err := ReadIDX(bytes.NewReader(tc.file)); err == nil {
				t.Error("ReadIDX() error = nil, want one")
			}
		})
	}
	if _, err := ReadIDXFile(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("ReadIDXFile(missing file) error = %v, want one naming it", err)
	}
}

// FuzzReadIDX checks that no input makes the reader panic or return data that disagrees
// with its dimensions. Run it with go test -fuzz FuzzReadIDX ./train/data/.
func FuzzReadIDX(f *testing.F) {
	valid := idxBytes([]uint32{2, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(valid)
	f.Add(gzipBytes(f, valid))
	f.Add(idxBytes([]uint32{3}, []byte{9, 0, 1}))
	f.Add(valid[:7])
	f.Add(idxBytes([]uint32{1 << 28}, []byte{1}))
	f.Add(gzipBytes(f, idxBytes([]uint32{1 << 28}, []byte{1})))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadIDX(bytes.NewReader(b))
		if err != nil {
			return
		}
		n := 1
		for _, d := range m.Dims {
			if d < 1 {
				t.Fatalf("dims %v hold a size < 1", m.Dims)
			}
			n *= d
		}
		if n != len(m.Data) || n > idxMaxElems {
			t.Fatalf("dims %v but %d bytes of data", m.Dims, len(m.Data))
		}
		// The file path must agree with the reader path.
		path := filepath.Join(t.TempDir(), "f")
		writeFile(t, path, b)
		mf, err := ReadIDXFile(path)
		if err != nil || !slices.Equal(mf.Dims, m.Dims) || !bytes.Equal(mf.Data, m.Data) {
			t.Fatalf("ReadIDXFile = %v, %v; ReadIDX = %v", mf, err, m)
		}
	})
}
