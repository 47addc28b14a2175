package graph_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
)

// TestLoadParamsStrict checks that a strict load reports every missing, unexpected
// and mis-shaped name at once and changes nothing, and that Partial and Select load
// subsets.
func TestLoadParamsStrict(t *testing.T) {
	dir := t.TempDir()
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	a, _ := s.Param("a", graph.Weight, []int{2, 3}, graph.Constant{Value: 1})
	b, _ := s.Param("b", graph.Bias, []int{3}, graph.Constant{Value: 2})
	c, _ := s.Param("c", graph.Weight, []int{4}, graph.Constant{Value: 3})
	path := filepath.Join(dir, "p.safetensors")
	if err := graph.SaveParams(path, []*graph.Param{a, b, c}, map[string]string{"note": "test"}); err != nil {
		t.Fatal(err)
	}

	s2 := graph.NewScope(graph.Float32, graph.Seed(2))
	a2, _ := s2.Param("a", graph.Weight, []int{2, 3}, graph.Zeros{})
	b2, _ := s2.Param("b", graph.Bias, []int{5}, graph.Zeros{})   // wrong shape
	d2, _ := s2.Param("d", graph.Weight, []int{1}, graph.Zeros{}) // not in the file
	err := graph.LoadParams(path, []*graph.Param{a2, b2, d2})
	var le *graph.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LoadError", err)
	}
	if len(le.Missing) != 1 || le.Missing[0] != "d" || len(le.Unexpected) != 1 || le.Unexpected[0] != "c" || len(le.Mismatched) != 1 {
		t.Errorf("LoadError = %+v, want missing d, unexpected c, b mismatched", le)
	}
	for _, want := range []string{`"d"`, `"c"`, `"b": file has F32 [3], model has float32 [5]`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if a2.Float32s()[0] != 0 {
		t.Error("a failed strict load changed a param")
	}

	// Partial: a loads, d keeps its value, c is ignored; b's shape is still an error.
	if err := graph.LoadParams(path, []*graph.Param{a2, d2}, graph.Partial()); err != nil {
		t.Fatal(err)
	}
	if a2.Float32s()[5] != 1 || d2.Float32s()[0] != 0 {
		t.Errorf("partial load: a = %v, d = %v", a2.Float32s(), d2.Float32s())
	}
	if err := graph.LoadParams(path, []*graph.Param{b2}, graph.Partial()); err == nil {
		t.Error("partial load of a mis-shaped param: no error")
	}
	// Select: only the biases, from a file that has more. float64 params convert.
	s3 := graph.NewScope(graph.Float64)
	b3, _ := s3.Param("b", graph.Bias, []int{3}, graph.Zeros{})
	w3, _ := s3.Param("a", graph.Weight, []int{2, 3}, graph.Zeros{})
	biases := func(p *graph.Param) bool { return p.Kind() == graph.Bias }
	if err := graph.LoadParams(path, []*graph.Param{b3, w3}, graph.Select(biases)); err != nil {
		t.Fatal(err)
	}
	if b3.Float64s()[2] != 2 || w3.Float64s()[0] != 0 {
		t.Errorf("select biases: b = %v, a = %v", b3.Float64s(), w3.Float64s())
	}
	// The file is plain safetensors: read it back with its metadata.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tensors, meta, err := graph.ReadTensors(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(tensors) != 3 || meta["note"] != "test" || meta["format"] != "gradflow" {
		t.Errorf("ReadTensors: %d tensors, metadata %v", len(tensors), meta)
	}
}

// TestSaveIsAtomic checks that a failed save leaves the previous checkpoint intact
// and no temporary file behind.
func TestSaveIsAtomic(t *testing.T) {
	dir := t.TempDir()
	s := graph.NewScope(graph.Float64)
	p, _ := s.Param("p", graph.Weight, []int{3}, graph.Constant{Value: 7})
	path := filepath.Join(dir, "w.safetensors")
	if err := graph.SaveParams(path, []*graph.Param{p}, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	// The same name twice makes the write fail after the temporary file exists.
	if err := graph.SaveParams(path, []*graph.Param{p, p}, nil); err == nil {
		t.Fatal("saving a duplicate name: no error")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("a failed save changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed save, want 1", len(entries))
	}
	// Saving into a missing directory is an error, not a panic.
	if err := graph.SaveParams(filepath.Join(dir, "no", "such", "w"), []*graph.Param{p}, nil); err == nil {
		t.Error("save into a missing directory: no error")
	}
}

// TestSetParams checks that SetParams loads a map of tensors by LoadParams's rules,
// bit for bit as LoadParams loads the same tensors from a file, and that CheckParams
// and a failed SetParams change nothing.
func TestSetParams(t *testing.T) {
	s := graph.NewScope(graph.Float64, graph.Seed(1))
	w, _ := s.Param("w", graph.Weight, []int{2, 2}, graph.GlorotUniform{})
	b, _ := s.Param("b", graph.Bias, []int{2}, graph.Constant{Value: 0.1})
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := graph.SaveParams(path, []*graph.Param{w, b}, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tensors, _, err := graph.ReadTensors(raw)
	if err != nil {
		t.Fatal(err)
	}
	// float64 into float32 rounds, as a load from the file does.
	zeros32 := func() []*graph.Param {
		s := graph.NewScope(graph.Float32)
		w, _ := s.Param("w", graph.Weight, []int{2, 2}, graph.Zeros{})
		b, _ := s.Param("b", graph.Bias, []int{2}, graph.Zeros{})
		return []*graph.Param{w, b}
	}
	fromMap, fromFile := zeros32(), zeros32()
	if err := graph.CheckParams(fromMap, tensors); err != nil {
		t.Fatal(err)
	}
	if fromMap[0].Float32s()[0] != 0 {
		t.Error("CheckParams changed a param")
	}
	if err := graph.SetParams(fromMap, tensors); err != nil {
		t.Fatal(err)
	}
	if err := graph.LoadParams(path, fromFile); err != nil {
		t.Fatal(err)
	}
	for i := range fromMap {
		if got, want := fromMap[i].Float32s(), fromFile[i].Float32s(); !slices.Equal(got, want) || got[0] == 0 {
			t.Errorf("%s: SetParams gives %v, LoadParams %v", fromMap[i].Name(), got, want)
		}
	}
	// Strict by default, with every problem at once; nothing changes.
	extra := map[string]*tensor.Dense{"w": tensors["w"], "x": tensors["b"]}
	fresh := zeros32()
	err = graph.SetParams(fresh, extra)
	var le *graph.LoadError
	if !errors.As(err, &le) || len(le.Missing) != 1 || le.Missing[0] != "b" || len(le.Unexpected) != 1 || le.Unexpected[0] != "x" {
		t.Errorf("SetParams with a missing and an unexpected tensor: %v", err)
	}
	if err := graph.CheckParams(fresh, extra); !errors.As(err, &le) {
		t.Errorf("CheckParams = %v, want a *LoadError", err)
	}
	if fresh[0].Float32s()[0] != 0 {
		t.Error("a failed SetParams changed a param")
	}
	// A checkpoint's optimizer state is not a param.
	withState := map[string]*tensor.Dense{"w": tensors["w"], "b": tensors["b"],
		graph.OptimizerPrefix + "w/exp_avg": tensors["w"]}
	if err := graph.SetParams(fromMap, withState); err != nil {
		t.Errorf("SetParams with optimizer state: %v", err)
	}
	ints := tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))
	err = graph.SetParams(fromMap[1:], map[string]*tensor.Dense{"b": ints})
	if err == nil || !strings.Contains(err.Error(), "want float32 or float64") {
		t.Errorf("SetParams of an int tensor: %v", err)
	}
}
