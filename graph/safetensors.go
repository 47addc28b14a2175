package graph

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON, then the tensors' raw little-endian
// bytes. The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin,
// end]} (offsets into the data after the header) and may hold "__metadata__", a map
// of strings to strings. The data must be covered by the tensors with no hole or
// overlap. gradflow reads and writes F32 and F64 tensors.

const (
	stMetadataKey = "__metadata__"
	// stMaxHeader bounds the JSON header; safetensors' own reader uses 100 MB.
	stMaxHeader = 100 << 20
)

type stEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets []uint64 `json:"data_offsets"`
}

// stFile is a parsed safetensors file; data slices alias the input bytes.
type stFile struct {
	meta    map[string]string
	entries map[string]stEntry
	data    []byte // the byte buffer after the header
}

func stDTypeSize(dt string) (tensor.Dtype, int, bool) {
	switch dt {
	case "F32":
		return tensor.Float32, 4, true
	case "F64":
		return tensor.Float64, 8, true
	}
	return tensor.Dtype{}, 0, false
}

func stDTypeName(dt tensor.Dtype) (string, error) {
	switch dt {
	case tensor.Float32:
		return "F32", nil
	case tensor.Float64:
		return "F64", nil
	}
	return "", errors.Errorf("dtype %v, want float32 or float64", dt)
}

// parseSafetensors validates b as a safetensors file. Every size in the header is
// checked against the length of b before it is used, so a corrupt header can cause
// neither a panic nor an allocation larger than b.
func parseSafetensors(b []byte) (*stFile, error) {
	if len(b) < 8 {
		return nil, errors.Errorf("file is %d bytes, too short for a safetensors header (8-byte length)", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) || n > stMaxHeader {
		return nil, errors.Errorf("header length %d does not fit in the file (%d bytes): truncated or not safetensors", n, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, errors.Wrap(err, "header is not a JSON object")
	}
	f := &stFile{entries: map[string]stEntry{}, data: b[8+n:]}
	if m, ok := raw[stMetadataKey]; ok {
		if err := json.Unmarshal(m, &f.meta); err != nil {
			return nil, errors.Wrap(err, "__metadata__ is not a map of strings")
		}
		delete(raw, stMetadataKey)
	}
	type span struct {
		name       string
		begin, end uint64
	}
	spans := make([]span, 0, len(raw))
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		var e stEntry
		if err := json.Unmarshal(raw[name], &e); err != nil {
			return nil, errors.Wrapf(err, "tensor %q: bad header entry", name)
		}
		_, size, ok := stDTypeSize(e.DType)
		if !ok {
			return nil, errors.Errorf("tensor %q: dtype %q not supported, want F32 or F64", name, e.DType)
		}
		if len(e.Offsets) != 2 || e.Offsets[0] > e.Offsets[1] || e.Offsets[1] > uint64(len(f.data)) {
			return nil, errors.Errorf("tensor %q: data_offsets %v outside the %d bytes of data", name, e.Offsets, len(f.data))
		}
		count := uint64(1)
		for _, d := range e.Shape {
			if d < 0 {
				return nil, errors.Errorf("tensor %q: shape %v has a negative dimension", name, e.Shape)
			}
			if d != 0 && count > uint64(len(f.data))/uint64(d) {
				return nil, errors.Errorf("tensor %q: shape %v is larger than the file", name, e.Shape)
			}
			count *= uint64(d)
		}
		if want := count * uint64(size); e.Offsets[1]-e.Offsets[0] != want {
			return nil, errors.Errorf("tensor %q: %s shape %v needs %d bytes, data_offsets %v hold %d",
				name, e.DType, e.Shape, want, e.Offsets, e.Offsets[1]-e.Offsets[0])
		}
		f.entries[name] = e
		spans = append(spans, span{name, e.Offsets[0], e.Offsets[1]})
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	pos := uint64(0)
	for _, s := range spans {
		if s.begin != pos {
			return nil, errors.Errorf("tensor %q starts at byte %d of the data, want %d (a hole or an overlap)", s.name, s.begin, pos)
		}
		pos = s.end
	}
	if pos != uint64(len(f.data)) {
		return nil, errors.Errorf("tensors cover %d bytes of data, the file has %d (truncated or trailing bytes)", pos, len(f.data))
	}
	if err := verifyChecksums(f); err != nil {
		return nil, err
	}
	return f, nil
}

// shape returns the tensor's shape and dtype.
func (f *stFile) shape(name string) ([]int, tensor.Dtype) {
	e := f.entries[name]
	dt, _, _ := stDTypeSize(e.DType)
	return e.Shape, dt
}

// bytes returns the raw bytes of a tensor.
func (f *stFile) bytes(name string) []byte {
	e := f.entries[name]
	return f.data[e.Offsets[0]:e.Offsets[1]]
}

// decodeInto converts the tensor's little-endian bytes into dst, of the same element
// count; float64 data into a float32 tensor is rounded, and the reverse is exact.
func (f *stFile) decodeInto(name string, dst *tensor.Dense) {
	raw := f.bytes(name)
	_, src := f.shape(name)
	var d32 []float32
	var d64 []float64
	if dst.Dtype() == tensor.Float32 {
		d32 = dst.Float32s()
	} else {
		d64 = dst.Float64s()
	}
	if src == tensor.Float32 {
		for i := 0; i+4 <= len(raw); i += 4 {
			v := math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))
			if d32 != nil {
				d32[i/4] = v
			} else {
				d64[i/4] = float64(v)
			}
		}
		return
	}
	for i := 0; i+8 <= len(raw); i += 8 {
		v := math.Float64frombits(binary.LittleEndian.Uint64(raw[i:]))
		if d32 != nil {
			d32[i/8] = float32(v)
		} else {
			d64[i/8] = v
		}
	}
}

// decode returns a new tensor holding the named tensor.
func (f *stFile) decode(name string) *tensor.Dense {
	shape, dt := f.shape(name)
	d := tensor.New(tensor.WithShape(shapeOrScalar(shape)...), tensor.Of(dt))
	f.decodeInto(name, d)
	return d
}

// shapeOrScalar maps the shape [] of a scalar to gorgonia's one-element tensor.
func shapeOrScalar(s []int) []int {
	if len(s) == 0 {
		return []int{1}
	}
	return s
}

// ReadTensors parses a safetensors file held in b and returns its F32 and F64
// tensors by name and its metadata (without ChecksumKey, which it verifies). A
// truncated or corrupt file is an error naming the tensor at fault, never a panic;
// allocations are bounded by len(b).
func ReadTensors(b []byte) (map[string]*tensor.Dense, map[string]string, error) {
	f, err := parseSafetensors(b)
	if err != nil {
		return nil, nil, errors.Wrap(err, "graph: safetensors")
	}
	out := make(map[string]*tensor.Dense, len(f.entries))
	for name := range f.entries {
		out[name] = f.decode(name)
	}
	return out, f.meta, nil
}

// WriteTensors writes tensors (float32 or float64) and metadata in the safetensors
// format, the tensors in name order, with the checksums of ChecksumKey added to the
// metadata (replacing any given).
func WriteTensors(w io.Writer, tensors map[string]*tensor.Dense, meta map[string]string) error {
	names := slices.Sorted(maps.Keys(tensors))
	header := map[string]any{}
	entries := make(map[string]stEntry, len(names))
	var off uint64
	for _, name := range names {
		t := tensors[name]
		if t == nil {
			return errors.Errorf("graph: safetensors: tensor %q is nil", name)
		}
		dt, err := stDTypeName(t.Dtype())
		if err != nil {
			return errors.Wrapf(err, "graph: safetensors: tensor %q", name)
		}
		_, size, _ := stDTypeSize(dt)
		n := uint64(t.Size() * size)
		shape := []int(t.Shape())
		if shape == nil {
			shape = []int{}
		}
		entries[name] = stEntry{DType: dt, Shape: shape, Offsets: []uint64{off, off + n}}
		header[name] = entries[name]
		off += n
	}
	m := maps.Clone(meta)
	if m == nil {
		m = map[string]string{}
	}
	sum, err := sumTensors(m, entries, names, tensors)
	if err != nil {
		return errors.Wrap(err, "graph: safetensors: checksums")
	}
	m[ChecksumKey] = sum
	header[stMetadataKey] = m
	js, err := json.Marshal(header)
	if err != nil {
		return errors.Wrap(err, "graph: safetensors: header")
	}
	for len(js)%8 != 0 { // align the data to 8 bytes, as safetensors does
		js = append(js, ' ')
	}
	bw := bufio.NewWriter(w)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(js)))
	bw.Write(lenBuf[:])
	bw.Write(js)
	for _, name := range names {
		if err := encodeChunks(tensors[name], func(b []byte) error { _, err := bw.Write(b); return err }); err != nil {
			return errors.Wrap(err, "graph: safetensors: write")
		}
	}
	return errors.Wrap(bw.Flush(), "graph: safetensors: write")
}
