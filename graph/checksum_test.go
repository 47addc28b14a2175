package graph_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
)

// TestChecksumCatchesEveryFlip flips one bit of every byte of a SaveParams file, in
// turn: each corrupt file must be an error of LoadParams and ReadTensors (the header
// and every tensor's bytes are checksummed), never a different model.
func TestChecksumCatchesEveryFlip(t *testing.T) {
	s := graph.NewScope(graph.Float32, graph.Seed(3))
	w, _ := s.Sub("fc").Param("weight", graph.Weight, []int{3, 2}, graph.GlorotUniform{})
	bias, _ := s.Sub("fc").Param("bias", graph.Bias, []int{2}, graph.Constant{Value: 0.5})
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := graph.SaveParams(path, []*graph.Param{w, bias}, map[string]string{"note": "<tiny>"}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, meta, err := graph.ReadTensors(good); err != nil || meta[graph.ChecksumKey] != "" || meta["note"] != "<tiny>" {
		t.Fatalf("ReadTensors of the good file: meta %v, %v; want the caller's metadata without the checksum", meta, err)
	}
	// LoadParams parses with the same code as ReadTensors; one corrupt load of it
	// stands for the rest (writing a file per flip would be slow).
	for i := range good {
		for _, bit := range []byte{0x01, 0x80} {
			b := bytes.Clone(good)
			b[i] ^= bit
			if _, _, err := graph.ReadTensors(b); err == nil {
				t.Errorf("byte %d ^ %#x (%q): ReadTensors succeeded", i, bit, good[i])
			}
		}
	}
	b := bytes.Clone(good)
	b[len(b)-1] ^= 1 // the last byte of data
	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := graph.LoadParams(bad, []*graph.Param{w, bias}); err == nil || !strings.Contains(err.Error(), "its data is corrupt") {
		t.Errorf("LoadParams of a corrupt file: err = %v, want its data is corrupt", err)
	}
}

// foreign returns a safetensors file as another tool (PyTorch's safetensors) writes
// it: no gradflow metadata and so no checksum.
func foreign(meta string) []byte {
	header := `{"fc/bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}` + meta + `}`
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint64(len(header)))
	out.WriteString(header)
	binary.Write(&out, binary.LittleEndian, []float32{1.5, -2})
	return out.Bytes()
}

// TestForeignFilesLoad checks that files without gradflow's metadata load unchecked,
// and that a file marked as gradflow's without its checksum, or with a wrong one, is
// an error.
func TestForeignFilesLoad(t *testing.T) {
	cases := []struct {
		name, meta, want string // want "" for success
	}{
		{"pytorch", ``, ""},
		{"pytorch-meta", `,"__metadata__":{"format":"pt"}`, ""},
		{"gradflow-no-checksum", `,"__metadata__":{"format":"gradflow"}`, `no "gradflow.checksum": corrupt header`},
		{"gradflow-kind-no-checksum", `,"__metadata__":{"gradflow.kind":"params"}`, `no "gradflow.checksum"`},
		{"bad-record", `,"__metadata__":{"gradflow.checksum":"{}"}`, "algorithm"},
		{"not-a-record", `,"__metadata__":{"gradflow.checksum":"x"}`, "not a checksum record"},
		{"wrong-header", `,"__metadata__":{"gradflow.checksum":"{\"alg\":\"crc32c\",\"header\":\"00000000\",\"tensors\":[\"00000000\"]}"}`, "header checksum"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tensors, _, err := graph.ReadTensors(foreign(c.meta))
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := tensors["fc/bias"].Data().([]float32); got[0] != 1.5 || got[1] != -2 {
					t.Errorf("fc/bias = %v, want [1.5 -2]", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
	// What gradflow writes, another tool can rewrite with the same content (here:
	// the header's JSON in another key order) and it still verifies.
	var buf bytes.Buffer
	x := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}))
	if err := graph.WriteTensors(&buf, map[string]*tensor.Dense{"a": x, "b": x}, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	n := binary.LittleEndian.Uint64(b)
	header := string(b[8 : 8+n])
	i := strings.Index(header, `"a":`)
	j := strings.Index(header, `,"b":`)
	swapped := "{" + header[j+1:len(strings.TrimRight(header, " "))-1] + "," + header[i:j] + "}"
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint64(len(swapped)))
	out.WriteString(swapped)
	out.Write(b[8+n:])
	if _, _, err := graph.ReadTensors(out.Bytes()); err != nil {
		t.Errorf("reordered header %s: %v", swapped, err)
	}
}
