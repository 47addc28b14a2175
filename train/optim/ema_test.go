package optim_test

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/optim"
)

type emaCase struct {
	DType    string                 `json:"dtype"`
	Decay    float64                `json:"decay"`
	Warmup   bool                   `json:"warmup"`
	Initial  map[string][]float64   `json:"initial"`
	Values   []map[string][]float64 `json:"values"`
	Averages []map[string][]float64 `json:"averages"`
}

func setValues(t *testing.T, ps []*graph.Param, vals map[string][]float64) {
	t.Helper()
	for _, p := range ps {
		v := vals[strings.TrimPrefix(p.Name(), "lin/")]
		switch d := p.Value().Data().(type) {
		case []float32:
			for i := range d {
				d[i] = float32(v[i])
			}
		case []float64:
			copy(d, v)
		}
	}
}

// TestEMAMatchesPyTorch replays torch.optim.swa_utils.AveragedModel with timm's EMA
// average (testdata/ema/gen_ema.py): decay 0.9, and 0.99 with warm-up, in float64
// and float32.
func TestEMAMatchesPyTorch(t *testing.T) {
	b, err := os.ReadFile("../../testdata/ema/ema.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []emaCase }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Cases {
		dt, tol := graph.Float64, 1e-15
		if c.DType == "float32" {
			dt, tol = graph.Float32, 1e-6
		}
		s := graph.NewScope(dt).Sub("lin")
		w, err := s.Param("weight", graph.Weight, []int{2, 3}, graph.Zeros{})
		if err != nil {
			t.Fatal(err)
		}
		bias, err := s.Param("bias", graph.Bias, []int{2}, graph.Zeros{})
		if err != nil {
			t.Fatal(err)
		}
		ps := []*graph.Param{w, bias}
		setValues(t, ps, c.Initial)
		ema, err := optim.NewEMA(ps, optim.EMAConfig{Decay: c.Decay, Warmup: c.Warmup})
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for step, vals := range c.Values {
			setValues(t, ps, vals)
			if err := ema.Update(); err != nil {
				t.Fatal(err)
			}
			for name, avg := range ema.Averages() {
				want := c.Averages[step][strings.TrimPrefix(name, "lin/")]
				for i := range want {
					got := asFloat64(avg, i)
					e := math.Abs(got-want[i]) / math.Max(1, math.Abs(want[i]))
					worst = math.Max(worst, e)
				}
			}
		}
		if worst > tol {
			t.Errorf("%s decay %v warmup %v: worst relative error %.3g > %.0e", c.DType, c.Decay, c.Warmup, worst, tol)
		}
		if ema.Updates() != len(c.Values) {
			t.Errorf("Updates() = %d, want %d", ema.Updates(), len(c.Values))
		}
	}
}

func asFloat64(t *tensor.Dense, i int) float64 {
	switch d := t.Data().(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	}
	return math.NaN()
}

func TestEMASwapAndErrors(t *testing.T) {
	s := graph.NewScope(graph.Float64)
	p, err := s.Param("w", graph.Weight, []int{3}, graph.Constant{Value: 1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Param("running_mean", graph.State, []int{1}, graph.Constant{Value: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []float64{-0.1, 1, 1.5, math.NaN()} {
		if _, err := optim.NewEMA([]*graph.Param{p}, optim.EMAConfig{Decay: bad}); err == nil || !strings.Contains(err.Error(), "decay") {
			t.Errorf("decay %v: err = %v, want a decay error", bad, err)
		}
	}
	if _, err := optim.NewEMA([]*graph.Param{p, nil}, optim.EMAConfig{}); err == nil || !strings.Contains(err.Error(), "params[1] is nil") {
		t.Errorf("nil param: err = %v", err)
	}
	if _, err := optim.NewEMA([]*graph.Param{p, p}, optim.EMAConfig{}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate param: err = %v", err)
	}
	ema, err := optim.NewEMA([]*graph.Param{p, st}, optim.EMAConfig{Decay: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if ema.Decay() != 0.5 {
		t.Errorf("Decay() = %v", ema.Decay())
	}
	p.Value().Data().([]float64)[0] = 3
	st.Value().Data().([]float64)[0] = 8
	if err := ema.Update(); err != nil {
		t.Fatal(err)
	}
	if got := ema.Averages()["w"].Data().([]float64); got[0] != 2 || got[1] != 1 {
		t.Errorf("average of w = %v, want [2 1 1]", got)
	}
	if got := ema.Averages()["running_mean"].Data().([]float64)[0]; got != 6 {
		t.Errorf("State params are averaged too: got %v, want 6", got)
	}
	ema.Swap()
	if got := p.Value().Data().([]float64)[0]; got != 2 || !ema.Swapped() {
		t.Errorf("after Swap w[0] = %v (swapped %v), want the average 2", got, ema.Swapped())
	}
	if err := ema.Update(); err == nil || !strings.Contains(err.Error(), "swapped") {
		t.Errorf("Update while swapped: err = %v", err)
	}
	ema.Swap()
	if got := p.Value().Data().([]float64)[0]; got != 3 || ema.Swapped() {
		t.Errorf("after the second Swap w[0] = %v, want the training value 3", got)
	}
	only, err := optim.NewEMA([]*graph.Param{p, st}, optim.EMAConfig{TrainableOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := only.Averages()["running_mean"]; ok || len(only.Averages()) != 1 {
		t.Errorf("TrainableOnly averages %v", only.Averages())
	}
	// SetAverages restores a saved average and checks it.
	saved := map[string]*tensor.Dense{}
	for k, v := range ema.Averages() {
		saved[k] = v.Clone().(*tensor.Dense)
	}
	fresh, _ := optim.NewEMA([]*graph.Param{p, st}, optim.EMAConfig{Decay: 0.5})
	if err := fresh.SetAverages(saved, ema.Updates()); err != nil {
		t.Fatal(err)
	}
	if got := fresh.Averages()["w"].Data().([]float64)[0]; got != 2 || fresh.Updates() != 1 {
		t.Errorf("restored average %v, updates %d", got, fresh.Updates())
	}
	delete(saved, "w")
	if err := fresh.SetAverages(saved, 1); err == nil || !strings.Contains(err.Error(), `"w"`) {
		t.Errorf("missing average: err = %v", err)
	}
	saved["w"] = tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2}))
	if err := fresh.SetAverages(saved, 1); err == nil || !strings.Contains(err.Error(), "want") {
		t.Errorf("wrong shape: err = %v", err)
	}
}

func TestEMAWarmupDecay(t *testing.T) {
	s := graph.NewScope(graph.Float32)
	p, _ := s.Param("w", graph.Weight, []int{1}, graph.Zeros{})
	ema, err := optim.NewEMA([]*graph.Param{p}, optim.EMAConfig{Warmup: true})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		want := math.Min(0.999, (1+float64(n))/(10+float64(n)))
		if got := ema.Decay(); got != want {
			t.Errorf("update %d: Decay() = %v, want %v", n, got, want)
		}
		if err := ema.Update(); err != nil {
			t.Fatal(err)
		}
	}
}
