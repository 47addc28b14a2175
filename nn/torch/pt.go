package torch

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"

	"github.com/gradflow/gradflow/graph"
	"github.com/nlpodyssey/gopickle/types"
	"github.com/pkg/errors"
)

// torch.save writes one of two formats. The zip format (PyTorch >= 1.6): an archive
// "<name>/data.pkl" (the pickle), "<name>/data/<key>" (each storage's raw bytes,
// stored uncompressed), "<name>/version" and, from 2.x, "<name>/byteorder". The legacy
// format: five pickles in a row (the magic number, the protocol version 1001, a
// sys_info dict, the object, the list of storage keys) and then, for each key in
// that order, its element count as a little-endian int64 and its bytes.

// maxPickle bounds the pickle of a zip file's data.pkl record.
const maxPickle = 256 << 20

// readPT reads a torch.save file held in b into raw tensors: every size is checked
// against len(b) before anything is allocated, and the pickle runs only after
// scanPickle has accepted it.
func readPT(b []byte) (map[string]graph.RawTensor, error) {
	if len(b) >= 4 && string(b[:4]) == "PK\x03\x04" {
		return readZipPT(b)
	}
	return readLegacyPT(b)
}

func readZipPT(b []byte) (map[string]graph.RawTensor, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, errors.Wrap(err, "zip")
	}
	var pkl *zip.File
	records := map[string]*zip.File{}
	for _, f := range zr.File {
		records[f.Name] = f
		if strings.HasSuffix(f.Name, "/data.pkl") || f.Name == "data.pkl" {
			if pkl != nil {
				return nil, errors.Errorf("zip: two pickles, %q and %q", pkl.Name, f.Name)
			}
			pkl = f
		}
		if strings.HasSuffix(f.Name, "/constants.pkl") {
			return nil, errors.New("zip: a TorchScript archive (torch.jit.save); save the module's state_dict() with torch.save")
		}
	}
	if pkl == nil {
		return nil, errors.New("zip: no data.pkl record: not a torch.save file")
	}
	prefix := strings.TrimSuffix(pkl.Name, "data.pkl")
	if bo, ok := records[prefix+"byteorder"]; ok {
		order, err := readRecord(bo, 16, uint64(len(b)))
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(order)); s != "little" {
			return nil, errors.Errorf("zip: byteorder %q, gradflow reads little-endian files", s)
		}
	}
	p, err := readRecord(pkl, maxPickle, uint64(len(b)))
	if err != nil {
		return nil, err
	}
	n, err := scanPickle(p)
	if err != nil {
		return nil, err
	}
	storages := map[string]*storageRef{}
	obj, err := unpickle(p[:n], storages)
	if err != nil {
		return nil, err
	}
	sd, err := stateDict(obj)
	if err != nil {
		return nil, err
	}
	for key, s := range storages {
		size, _ := graph.RawDTypeSize(s.dtype)
		want := uint64(s.numel) * uint64(size)
		rec, ok := records[prefix+"data/"+key]
		if !ok {
			return nil, errors.Errorf("zip: storage %q has no record %q", key, prefix+"data/"+key)
		}
		if rec.UncompressedSize64 < want {
			return nil, errors.Errorf("zip: storage %q holds %s[%d], %d bytes, its record has %d: truncated", key, s.dtype, s.numel, want, rec.UncompressedSize64)
		}
		if s.data, err = readRecord(rec, want, uint64(len(b))); err != nil {
			return nil, err
		}
		s.data = s.data[:want]
	}
	return materialize(sd)
}

// readRecord reads a stored (uncompressed) zip record of at most limit bytes.
func readRecord(f *zip.File, limit, archive uint64) ([]byte, error) {
	if f.Method != zip.Store {
		return nil, errors.Errorf("zip: record %q is compressed (method %d); torch.save stores records uncompressed", f.Name, f.Method)
	}
	if f.CompressedSize64 > archive {
		return nil, errors.Errorf("zip: record %q claims %d bytes, the archive has %d: truncated or corrupt", f.Name, f.CompressedSize64, archive)
	}
	if f.CompressedSize64 != f.UncompressedSize64 {
		return nil, errors.Errorf("zip: record %q: sizes %d and %d of a stored record differ", f.Name, f.CompressedSize64, f.UncompressedSize64)
	}
	n := min(f.UncompressedSize64, limit)
	rc, err := f.Open()
	if err != nil {
		return nil, errors.Wrapf(err, "zip: record %q", f.Name)
	}
	defer rc.Close()
	// n <= the archive's size, checked above: a corrupt size cannot allocate more
	buf := make([]byte, n)
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil, errors.Wrapf(err, "zip: record %q: truncated", f.Name)
	}
	return buf, nil
}

func readLegacyPT(b []byte) (map[string]graph.RawTensor, error) {
	pos := 0
	next := func(what string) ([]byte, error) {
		n, err := scanPickle(b[pos:])
		if err != nil {
			return nil, errors.Wrapf(err, "legacy format: %s", what)
		}
		p := b[pos : pos+n]
		pos += n
		return p, nil
	}
	magic, err := next("magic number")
	if err != nil {
		return nil, errors.Wrap(err, "not a torch.save or safetensors file")
	}
	v, err := unpickle(magic, map[string]*storageRef{})
	if err != nil || !isMagic(v) {
		return nil, errors.New("not a torch.save or safetensors file (no zip archive, no legacy magic number)")
	}
	proto, err := next("protocol version")
	if err != nil {
		return nil, err
	}
	if v, err := unpickle(proto, map[string]*storageRef{}); err != nil || v != 1001 {
		return nil, errors.Errorf("legacy format: protocol version %v, want 1001", v)
	}
	sys, err := next("sys_info")
	if err != nil {
		return nil, err
	}
	if v, err := unpickle(sys, map[string]*storageRef{}); err == nil {
		if es, err := dictEntries(v); err == nil {
			for _, e := range es {
				if e.key == "little_endian" && e.value != true {
					return nil, errors.New("legacy format: written big-endian; gradflow reads little-endian files")
				}
			}
		}
	} else {
		return nil, errors.Wrap(err, "legacy format: sys_info")
	}
	main, err := next("state_dict")
	if err != nil {
		return nil, err
	}
	storages := map[string]*storageRef{}
	obj, err := unpickle(main, storages)
	if err != nil {
		return nil, err
	}
	sd, err := stateDict(obj)
	if err != nil {
		return nil, err
	}
	keysP, err := next("storage keys")
	if err != nil {
		return nil, err
	}
	kv, err := unpickle(keysP, map[string]*storageRef{})
	if err != nil {
		return nil, errors.Wrap(err, "legacy format: storage keys")
	}
	items, ok := listStrings(kv)
	if !ok || len(items) != len(storages) {
		return nil, errors.Errorf("legacy format: storage keys %v do not match the %d storages", kv, len(storages))
	}
	for _, key := range items {
		s, ok := storages[key]
		if !ok {
			return nil, errors.Errorf("legacy format: storage key %q is not used by the state_dict", key)
		}
		if len(b)-pos < 8 {
			return nil, errors.Errorf("legacy format: storage %q: truncated before its size", key)
		}
		numel := le64(b[pos:])
		pos += 8
		if numel != uint64(s.numel) {
			return nil, errors.Errorf("legacy format: storage %q has %d elements, the pickle says %d", key, numel, s.numel)
		}
		size, _ := graph.RawDTypeSize(s.dtype)
		if numel > uint64(len(b)-pos)/uint64(size) {
			return nil, errors.Errorf("legacy format: storage %q holds %s[%d], more than the %d bytes left: truncated", key, s.dtype, numel, len(b)-pos)
		}
		n := int(numel) * size
		s.data = b[pos : pos+n : pos+n]
		pos += n
	}
	return materialize(sd)
}

// listStrings returns the strings of a pickled list.
func listStrings(v any) ([]string, bool) {
	l, ok := v.(*types.List)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, l.Len())
	for _, it := range *l {
		s, ok := it.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func isMagic(v any) bool {
	type texter interface{ Text(int) string }
	t, ok := v.(texter)
	return ok && t.Text(16) == "1950a86a20f9469cfc6c"
}

// materialize copies each tensor's strided view of its storage into a contiguous
// raw tensor, after checking the view lies inside the storage.
func materialize(sd map[string]*tensorRef) (map[string]graph.RawTensor, error) {
	out := make(map[string]graph.RawTensor, len(sd))
	for name, t := range sd {
		s := t.storage
		if s.data == nil && s.numel > 0 {
			return nil, errors.Errorf("tensor %q: storage %q has no data", name, s.key)
		}
		size, _ := graph.RawDTypeSize(s.dtype)
		count, last := 1, t.offset
		for i, d := range t.shape {
			if d == 0 {
				count = 0
				break
			}
			if count > s.numel/d { // more elements than the storage: a broadcast view, or a bogus size
				return nil, errors.Errorf("tensor %q: shape %v has more elements than its storage of %d", name, t.shape, s.numel)
			}
			count *= d
			if t.stride[i] > s.numel {
				return nil, errors.Errorf("tensor %q: stride %v outside its storage of %d elements", name, t.stride, s.numel)
			}
			last += (d - 1) * t.stride[i]
		}
		if count > 0 && last >= s.numel {
			return nil, errors.Errorf("tensor %q: shape %v, stride %v at offset %d reach element %d of a storage of %d", name, t.shape, t.stride, t.offset, last, s.numel)
		}
		data := make([]byte, count*size)
		if count > 0 {
			gather(data, s.data, t.shape, t.stride, t.offset, size)
		}
		out[name] = graph.RawTensor{DType: s.dtype, Shape: append([]int{}, t.shape...), Data: data}
	}
	return out, nil
}

// gather copies the strided view (shape, stride in elements, from offset) of src
// into dst in row-major order.
func gather(dst, src []byte, shape, stride []int, offset, size int) {
	if contiguous(shape, stride) {
		copy(dst, src[offset*size:])
		return
	}
	idx := make([]int, len(shape))
	for i := 0; i*size < len(dst); i++ {
		at := offset
		for k, j := range idx {
			at += j * stride[k]
		}
		copy(dst[i*size:(i+1)*size], src[at*size:])
		for k := len(idx) - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
}

func contiguous(shape, stride []int) bool {
	want := 1
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && stride[i] != want {
			return false
		}
		want *= shape[i]
	}
	return true
}
