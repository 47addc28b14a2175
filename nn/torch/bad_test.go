package torch_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn/torch"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// forbidden is a legacy torch.save stream whose state_dict pickle calls os.system:
// Python would run the command; gradflow refuses the global before running anything.
func forbidden() []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.") // magic number
	b.WriteString("\x80\x02M\xe9\x03.")                                        // protocol 1001
	b.WriteString("\x80\x02}.")                                                // sys_info
	b.WriteString("\x80\x02cos\nsystem\nX\x05\x00\x00\x00touch\x85R.")         // os.system("touch")
	return b.Bytes()
}

// Bad files are clear errors, never a panic, and load nothing.
func TestBadFiles(t *testing.T) {
	pt, legacy, st := fixture(t, "mlp.pt"), fixture(t, "mlp_legacy.pt"), fixture(t, "mlp.safetensors")
	hugeLegacy := append([]byte(nil), legacy...)
	// the first storage's element count, after the five pickles, made 2^62
	i := bytes.Index(hugeLegacy, []byte("\x80\x02]q\x00(X")) // the storage keys list
	if i < 0 {
		t.Fatal("no storage keys in the legacy fixture")
	}
	j := i + bytes.IndexByte(hugeLegacy[i:], '.') + 1
	binary.LittleEndian.PutUint64(hugeLegacy[j:], 1<<62)
	hugeST := append([]byte{0, 0, 0, 0, 0, 0, 0, 0}, `{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}`...)
	binary.LittleEndian.PutUint64(hugeST, uint64(len(hugeST)-8))
	hugeST = append(hugeST, make([]byte, 16)...)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"truncated zip", pt[:len(pt)/2], "zip"},
		{"truncated legacy", legacy[:len(legacy)-20], "truncated"},
		{"truncated safetensors", st[:len(st)-3], "outside the 265 bytes of data"},
		{"empty", nil, "not a torch.save or safetensors file"},
		{"forbidden global", forbidden(), "os.system"},
		{"huge legacy storage", hugeLegacy, "4611686018427387904 elements, the pickle says 3"},
		{"huge safetensors shape", hugeST, "larger than the file"},
		{"unknown safetensors dtype", bytes.Replace(st, []byte(`"F32"`), []byte(`"X99"`), 1), "unknown dtype"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := torch.Read(c.b)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Read: %v, want an error containing %q", err, c.want)
			}
			if c.name == "forbidden global" {
				var fe *torch.ForbiddenGlobalError
				if !errors.As(err, &fe) || fe.Global != "os.system" {
					t.Errorf("error %v is not a ForbiddenGlobalError for os.system", err)
				}
			}
		})
	}
}

// A tensor of the wrong dtype (int64 where the model has floats) is a mismatch
// naming it, and nothing loads.
func TestWrongDType(t *testing.T) {
	ts, err := torch.ReadFile(filepath.Join(fixtures, "mlp.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	w := ts["0.bias"]
	ts["0.bias"] = graph.RawTensor{DType: "I64", Shape: w.Shape, Data: make([]byte, 8*len(w.Data)/4)}
	m := model(t, "mlp", graph.Float32)
	before := m.Params()[0].Float32s()[0]
	err = torch.LoadTensors(ts, m)
	var le *torch.LoadError
	if !errors.As(err, &le) || len(le.Mismatched) != 1 || !strings.Contains(le.Mismatched[0], `"0.bias": file has I64 [8]`) {
		t.Fatalf("err = %v", err)
	}
	if m.Params()[0].Float32s()[0] != before {
		t.Error("a failed load changed a param")
	}
}

// A pickle whose tensor starts before its storage is refused.
func TestNegativeOffset(t *testing.T) {
	b := append([]byte(nil), fixture(t, "mlp_legacy.pt")...)
	// the first tensor's storage_offset, BININT1 0 after the first BINPERSID, made
	// BININT -1
	i := bytes.Index(b, []byte("Q\x4b\x00"))
	if i < 0 {
		t.Fatal("no storage offset in the legacy fixture")
	}
	bad := append(append(append([]byte(nil), b[:i+1]...), 'J', 0xff, 0xff, 0xff, 0xff), b[i+3:]...)
	if _, err := torch.Read(bad); err == nil || !strings.Contains(err.Error(), "negative offset") {
		t.Fatalf("Read: %v, want a negative offset error", err)
	}
}
