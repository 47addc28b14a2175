package bench

import (
	"slices"
	"strings"
	"testing"
)

func nopSetup(*Env) (*Instance, error) { return &Instance{Step: func() error { return nil }}, nil }

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	for _, n := range []string{"mlp-f32", "mlp-f64", "gemm-f32-256", "gemm-f32-2048", "xor", "xorish"} {
		if err := r.Register(Workload{Name: n, Setup: nopSetup}); err != nil {
			t.Fatalf("Register(%q): %v", n, err)
		}
	}
	for _, tc := range []struct {
		patterns string
		want     []string
		err      string
	}{
		{"mlp", []string{"mlp-f32", "mlp-f64"}, ""},
		{"xor", []string{"xor"}, ""}, // a prefix must end before a '-': not xorish
		{"gemm-f32", []string{"gemm-f32-256", "gemm-f32-2048"}, ""},
		{"xor, mlp-f64 ,mlp", []string{"mlp-f32", "mlp-f64", "xor"}, ""}, // registration order, each once
		{"all", []string{"mlp-f32", "mlp-f64", "gemm-f32-256", "gemm-f32-2048", "xor", "xorish"}, ""},
		{"ml", nil, `no workload matches "ml"`},
		{" , ", nil, "no workload selected"},
	} {
		ws, err := r.Select(tc.patterns)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Select(%q) error = %v, want %q", tc.patterns, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q): %v", tc.patterns, err)
			continue
		}
		var got []string
		for _, w := range ws {
			got = append(got, w.Name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Select(%q) = %v, want %v", tc.patterns, got, tc.want)
		}
	}
}

func TestRegisterRejects(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(Workload{Name: "a", Setup: nopSetup}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		w   Workload
		err string
	}{
		{Workload{Name: "a", Setup: nopSetup}, "registered twice"},
		{Workload{Name: "", Setup: nopSetup}, "empty name"},
		{Workload{Name: "Big", Setup: nopSetup}, "lower case"},
		{Workload{Name: "a,b", Setup: nopSetup}, "lower case"},
		{Workload{Name: "b"}, "Setup is nil"},
		{Workload{Name: "c", Setup: nopSetup, Steps: -1}, "want >= 0"},
	} {
		if err := r.Register(tc.w); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Register(%+v) = %v, want an error with %q", tc.w.Name, err, tc.err)
		}
	}
}

// The built-in workloads the issue asks for are registered with all three systems.
func TestBuiltinWorkloads(t *testing.T) {
	want := []string{"mlp-f32", "mlp-f64", "xor", "cnn"}
	for _, dt := range []string{"f32", "f64"} {
		for _, n := range []string{"256", "512", "1024", "2048"} {
			want = append(want, "gemm-"+dt+"-"+n)
		}
	}
	for _, n := range want {
		w := Lookup(n)
		if w == nil {
			t.Errorf("workload %q not registered", n)
			continue
		}
		if w.Setup == nil || w.Gorgonia == nil || w.Reference == "" {
			t.Errorf("workload %q: Setup %v, Gorgonia %v, Reference %q: want all three systems",
				n, w.Setup != nil, w.Gorgonia != nil, w.Reference)
		}
	}
	// The sequence workloads have no raw gorgonia peer (workloads_seq.go says why).
	for _, n := range []string{"lstm", "transformer"} {
		if w := Lookup(n); w == nil || w.Setup == nil || w.Reference != n || w.Gorgonia != nil {
			t.Errorf("workload %q = %+v, want gradflow and PyTorch only", n, w)
		}
	}
	if w := Lookup("mlp-f32"); w.Samples != 128 || w.FLOPs <= 0 {
		t.Errorf("mlp-f32: Samples %d, FLOPs %g, want 128 and > 0", w.Samples, w.FLOPs)
	}
	// 2·n³ for a square GEMM.
	if w := Lookup("gemm-f64-512"); w.FLOPs != 2*512*512*512 {
		t.Errorf("gemm-f64-512 FLOPs = %g, want %d", w.FLOPs, 2*512*512*512)
	}
	// Forward 2·B·(2·8 + 8·1), dW the same, dx of the second layer 2·B·8·1: B = 4.
	if got, want := mlpFLOPs([]int{2, 8, 1}, 4), float64(2*4*(16+8)*2+2*4*8); got != want {
		t.Errorf("mlpFLOPs(2-8-1, 4) = %g, want %g", got, want)
	}
}
