package graph

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"hash/crc32"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// ChecksumKey is the metadata entry in which WriteTensors records the CRC-32C
// (Castagnoli) checksums of a file: one of the header and one of each tensor's bytes,
// as JSON {"alg": "crc32c", "header": "89abcdef", "tensors": ["01234567", ...]}, the
// tensors in name order. The header's checksum covers every metadata entry but this
// one, and every tensor's name, dtype, shape and offsets (not the JSON's layout, so
// a file rewritten by another tool with the same content still verifies).
//
// ReadTensors, LoadParams and the trainer's LoadCheckpoint verify the checksums
// when the entry is present, and require it in files marked as gradflow's (metadata
// "format": "gradflow" or any "gradflow." entry), so that a flipped bit anywhere in
// such a file is an error, not a different model. Files written by other tools
// (PyTorch's safetensors) have no such entries and load unchecked.
const ChecksumKey = "gradflow.checksum"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type checksums struct {
	Alg     string   `json:"alg"`
	Header  string   `json:"header"`
	Tensors []string `json:"tensors"`
}

func crcHex(h hash.Hash32) string { return fmt.Sprintf("%08x", h.Sum32()) }

// headerChecksum hashes what the header says, in a canonical order, each string
// length-prefixed so that no two headers hash the same bytes.
func headerChecksum(meta map[string]string, entries map[string]stEntry) string {
	h := crc32.New(castagnoli)
	var buf [binary.MaxVarintLen64]byte
	str := func(s string) {
		h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	var keys []string
	for k := range meta {
		if k != ChecksumKey {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	str(strconv.Itoa(len(keys)))
	for _, k := range keys {
		str(k)
		str(meta[k])
	}
	str(strconv.Itoa(len(entries)))
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		e := entries[name]
		str(name)
		str(e.DType)
		str(fmt.Sprint(e.Shape, e.Offsets))
	}
	return crcHex(h)
}

// encodeChunks calls fn with t's little-endian bytes, a chunk at a time, in a buffer
// reused between calls.
func encodeChunks(t *tensor.Dense, fn func([]byte) error) error {
	var buf [32 << 10]byte
	n := 0
	flush := func() error {
		err := fn(buf[:n])
		n = 0
		return err
	}
	if t.Dtype() == tensor.Float32 {
		for _, v := range t.Float32s() {
			if n+4 > len(buf) {
				if err := flush(); err != nil {
					return err
				}
			}
			binary.LittleEndian.PutUint32(buf[n:], math.Float32bits(v))
			n += 4
		}
	} else {
		for _, v := range t.Float64s() {
			if n+8 > len(buf) {
				if err := flush(); err != nil {
					return err
				}
			}
			binary.LittleEndian.PutUint64(buf[n:], math.Float64bits(v))
			n += 8
		}
	}
	if n == 0 {
		return nil
	}
	return flush()
}

// sumTensors returns the checksum entry of a file with this metadata, header entries
// and tensors (in name order).
func sumTensors(meta map[string]string, entries map[string]stEntry, names []string, tensors map[string]*tensor.Dense) (string, error) {
	c := checksums{Alg: "crc32c", Header: headerChecksum(meta, entries), Tensors: make([]string, len(names))}
	for i, name := range names {
		h := crc32.New(castagnoli)
		encodeChunks(tensors[name], func(b []byte) error { h.Write(b); return nil })
		c.Tensors[i] = crcHex(h)
	}
	js, err := json.Marshal(c)
	return string(js), err
}

// markedGradflow reports whether meta says gradflow wrote the file.
func markedGradflow(meta map[string]string) bool {
	if meta[metaFormat] == metaFormatName {
		return true
	}
	for k := range meta {
		if strings.HasPrefix(k, "gradflow.") {
			return true
		}
	}
	return false
}

// verifyChecksums checks a parsed file against its checksum entry and removes the
// entry from its metadata.
func verifyChecksums(f *stFile) error {
	raw, ok := f.meta[ChecksumKey]
	if !ok {
		if markedGradflow(f.meta) {
			return errors.Errorf("metadata says gradflow wrote the file but has no %q: corrupt header", ChecksumKey)
		}
		return nil
	}
	var c checksums
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return errors.Errorf("metadata %q is not a checksum record: corrupt header", ChecksumKey)
	}
	if c.Alg != "crc32c" {
		return errors.Errorf("metadata %q: algorithm %q, want crc32c", ChecksumKey, c.Alg)
	}
	if got := headerChecksum(f.meta, f.entries); got != c.Header {
		return errors.Errorf("header checksum %s, recorded %s: the header is corrupt", got, c.Header)
	}
	names := slices.Sorted(maps.Keys(f.entries))
	if len(c.Tensors) != len(names) {
		return errors.Errorf("%d tensor checksums for %d tensors: the header is corrupt", len(c.Tensors), len(names))
	}
	for i, name := range names {
		h := crc32.New(castagnoli)
		h.Write(f.bytes(name))
		if got := crcHex(h); got != c.Tensors[i] {
			return errors.Errorf("tensor %q: checksum %s, recorded %s: its data is corrupt", name, got, c.Tensors[i])
		}
	}
	delete(f.meta, ChecksumKey)
	if len(f.meta) == 0 {
		f.meta = nil
	}
	return nil
}
