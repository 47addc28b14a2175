package graph

import (
	"bytes"
	"testing"

	"gorgonia.org/tensor"
)

// FuzzLoad feeds arbitrary bytes to the safetensors parser and to the strict and
// partial param loaders: they must return an error or succeed, never panic, and
// never allocate more than the input's size suggests (the parser checks every size
// against len(b) before it is used).
func FuzzLoad(f *testing.F) {
	var buf bytes.Buffer
	w := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1, 2, 3, 4, 5, 6}))
	b := tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{-1, 0, 1}))
	if err := WriteTensors(&buf, map[string]*tensor.Dense{"m/w": w, "m/b": b}, map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	good := buf.Bytes()
	f.Add(good)
	// A file without gradflow's metadata is not checksummed: mutations of it reach
	// the parser and loaders past the checksum.
	foreign := `{"m/w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"m/b":{"dtype":"F64","shape":[3],"data_offsets":[24,48]}}`
	f.Add(append(append([]byte{byte(len(foreign)), 0, 0, 0, 0, 0, 0, 0}, foreign...), make([]byte, 48)...))
	f.Add(good[:len(good)-1])
	f.Add(good[:9])
	f.Add([]byte{})
	f.Add([]byte(`{}`))
	f.Add(append([]byte{2, 0, 0, 0, 0, 0, 0, 0}, "{}"...))
	f.Add(append([]byte{64, 0, 0, 0, 0, 0, 0, 0}, `{"x":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}`...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, _, err := ReadTensors(data); err != nil {
			return
		}
		s := NewScope(Float32)
		pw, _ := s.Sub("m").Param("w", Weight, []int{2, 3}, Zeros{})
		pb, _ := s.Sub("m").Param("b", Bias, []int{3}, Zeros{})
		params := []*Param{pw, pb}
		_ = loadParams(data, params)
		_ = loadParams(data, params, Partial())
	})
}
