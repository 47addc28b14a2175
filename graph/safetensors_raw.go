package graph

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"sort"

	"github.com/pkg/errors"
)

// RawTensor is one tensor of a safetensors file as stored: its dtype name as the
// format spells it ("F16", "BF16", "F32", "F64", "I64", "BOOL", ...), its shape ([]
// for a scalar) and its little-endian bytes. ReadRawTensors and WriteRawTensors read
// and write every dtype; interpreting the bytes is the caller's (nn/torch converts
// F16, BF16 and the rest into a model's dtype).
type RawTensor struct {
	DType string
	Shape []int
	Data  []byte
}

// rawDTypeSizes are the safetensors dtypes and their element sizes in bytes.
var rawDTypeSizes = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4,
	"I64": 8, "U64": 8, "F64": 8,
}

// RawDTypeSize returns the size in bytes of one element of the safetensors dtype dt,
// and false for a name the format does not define.
func RawDTypeSize(dt string) (int, bool) {
	n, ok := rawDTypeSizes[dt]
	return n, ok
}

// ReadRawTensors parses a safetensors file held in b, of any dtype, in any order of
// the tensors in the data and with any padding of the header, and returns its tensors
// by name (their Data alias b) and its metadata. It applies the checks of
// ReadTensors: the header length, every shape and every data_offsets pair are
// checked against len(b) before they are used, the tensors must cover the data with
// no hole or overlap, and a malformed file is an error naming the tensor at fault,
// never a panic or an allocation larger than b.
func ReadRawTensors(b []byte) (map[string]RawTensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, errors.Errorf("graph: safetensors: file is %d bytes, too short for a header (8-byte length)", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) || n > stMaxHeader {
		return nil, nil, errors.Errorf("graph: safetensors: header length %d does not fit in the file (%d bytes): truncated or not safetensors", n, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, nil, errors.Wrap(err, "graph: safetensors: header is not a JSON object")
	}
	data := b[8+n:]
	var meta map[string]string
	if m, ok := raw[stMetadataKey]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, errors.Wrap(err, "graph: safetensors: __metadata__ is not a map of strings")
		}
		delete(raw, stMetadataKey)
	}
	type span struct {
		name       string
		begin, end uint64
	}
	spans := make([]span, 0, len(raw))
	out := make(map[string]RawTensor, len(raw))
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		var e stEntry
		if err := json.Unmarshal(raw[name], &e); err != nil {
			return nil, nil, errors.Wrapf(err, "graph: safetensors: tensor %q: bad header entry", name)
		}
		size, ok := RawDTypeSize(e.DType)
		if !ok {
			return nil, nil, errors.Errorf("graph: safetensors: tensor %q: unknown dtype %q", name, e.DType)
		}
		if len(e.Offsets) != 2 || e.Offsets[0] > e.Offsets[1] || e.Offsets[1] > uint64(len(data)) {
			return nil, nil, errors.Errorf("graph: safetensors: tensor %q: data_offsets %v outside the %d bytes of data", name, e.Offsets, len(data))
		}
		count := uint64(1)
		for _, d := range e.Shape {
			if d < 0 {
				return nil, nil, errors.Errorf("graph: safetensors: tensor %q: shape %v has a negative dimension", name, e.Shape)
			}
			if d != 0 && count > uint64(len(data))/uint64(d) {
				return nil, nil, errors.Errorf("graph: safetensors: tensor %q: shape %v is larger than the file", name, e.Shape)
			}
			count *= uint64(d)
		}
		if want := count * uint64(size); e.Offsets[1]-e.Offsets[0] != want {
			return nil, nil, errors.Errorf("graph: safetensors: tensor %q: %s shape %v needs %d bytes, data_offsets %v hold %d",
				name, e.DType, e.Shape, want, e.Offsets, e.Offsets[1]-e.Offsets[0])
		}
		shape := e.Shape
		if shape == nil {
			shape = []int{}
		}
		out[name] = RawTensor{DType: e.DType, Shape: shape, Data: data[e.Offsets[0]:e.Offsets[1]:e.Offsets[1]]}
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
			return nil, nil, errors.Errorf("graph: safetensors: tensor %q starts at byte %d of the data, want %d (a hole or an overlap)", s.name, s.begin, pos)
		}
		pos = s.end
	}
	if pos != uint64(len(data)) {
		return nil, nil, errors.Errorf("graph: safetensors: tensors cover %d bytes of data, the file has %d (truncated or trailing bytes)", pos, len(data))
	}
	return out, meta, nil
}

// WriteRawTensors writes tensors of any safetensors dtype, and metadata, in the
// safetensors format: the tensors in name order, the header padded to 8 bytes as the
// format's own writer does. Each tensor's Data must hold exactly its shape's elements.
func WriteRawTensors(w io.Writer, tensors map[string]RawTensor, meta map[string]string) error {
	names := slices.Sorted(maps.Keys(tensors))
	header := map[string]any{}
	if len(meta) > 0 {
		header[stMetadataKey] = meta
	}
	var off uint64
	for _, name := range names {
		t := tensors[name]
		size, ok := RawDTypeSize(t.DType)
		if !ok {
			return errors.Errorf("graph: safetensors: tensor %q: unknown dtype %q", name, t.DType)
		}
		count := 1
		for _, d := range t.Shape {
			if d < 0 {
				return errors.Errorf("graph: safetensors: tensor %q: shape %v has a negative dimension", name, t.Shape)
			}
			count *= d
		}
		if count*size != len(t.Data) {
			return errors.Errorf("graph: safetensors: tensor %q: %s shape %v needs %d bytes, has %d", name, t.DType, t.Shape, count*size, len(t.Data))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[name] = stEntry{DType: t.DType, Shape: shape, Offsets: []uint64{off, off + uint64(len(t.Data))}}
		off += uint64(len(t.Data))
	}
	js, err := json.Marshal(header)
	if err != nil {
		return errors.Wrap(err, "graph: safetensors: header")
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	bw := bufio.NewWriter(w)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(js)))
	bw.Write(lenBuf[:])
	bw.Write(js)
	for _, name := range names {
		bw.Write(tensors[name].Data)
	}
	return errors.Wrap(bw.Flush(), "graph: safetensors: write")
}
