package bench

import (
	"bytes"
	"strings"
	"testing"
)

// resultOf builds a Result from "workload/system" -> median step time.
func resultOf(medians map[string]float64) *Result {
	r := &Result{}
	for key, m := range medians {
		wname, sys, _ := strings.Cut(key, "/")
		w := r.Workload(wname)
		if w == nil {
			r.Workloads = append(r.Workloads, WorkloadResult{Name: wname})
			w = &r.Workloads[len(r.Workloads)-1]
		}
		s := SystemResult{System: sys, Step: Stats{N: 10, Median: m}}
		if m < 0 {
			s = SystemResult{System: sys, Error: "failed"}
		}
		w.Systems = append(w.Systems, s)
	}
	return r
}

func TestCompare(t *testing.T) {
	base := resultOf(map[string]float64{
		"mlp/gradflow": 100, "mlp/gorgonia": 100, "mlp/pytorch-1t": 100,
		"xor/gradflow": 100, "gemm/gradflow": 100, "cnn/gradflow": 100,
	})
	cur := resultOf(map[string]float64{
		"mlp/gradflow":   111, // 11% slower: beyond 10%
		"mlp/gorgonia":   150, // slower, but gorgonia's slowdowns do not count here
		"mlp/pytorch-1t": 50,
		"xor/gradflow":   110, // exactly 10%: within the threshold
		"gemm/gradflow":  -1,  // failed now: reported as missing
		// cnn not run now: not compared
	})
	c, err := Compare(base, cur, 0.10, []string{Gradflow})
	if err != nil {
		t.Fatal(err)
	}
	regs := c.Regressions()
	if len(regs) != 1 || regs[0].Workload != "mlp" || regs[0].System != Gradflow {
		t.Fatalf("regressions = %+v, want mlp/gradflow alone", regs)
	}
	if d := regs[0].Delta; d < 0.1099 || d > 0.1101 {
		t.Errorf("delta = %g, want 0.11", d)
	}
	if len(c.Changes) != 4 {
		t.Errorf("%d changes, want 4 (mlp x3, xor)", len(c.Changes))
	}
	if len(c.Missing) != 1 || c.Missing[0] != "gemm/gradflow" {
		t.Errorf("missing = %v, want [gemm/gradflow]", c.Missing)
	}
	// With no system filter every slowdown counts.
	c, _ = Compare(base, cur, 0.10, nil)
	if n := len(c.Regressions()); n != 2 {
		t.Errorf("with every system counted: %d regressions, want 2", n)
	}
	var buf bytes.Buffer
	if err := c.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mlp/gradflow", "+11.0%", "REGRESSION", "-50.0%", "faster", "gemm/gradflow: in the baseline but not measured now", "2 regression(s)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("comparison text lacks %q:\n%s", want, buf.String())
		}
	}
	if _, err := Compare(base, cur, -1, nil); err == nil {
		t.Error("Compare with a negative threshold: no error")
	}
}

func TestParseThreshold(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"10%", 0.10, true},
		{" 2.5% ", 0.025, true},
		{"0.1", 0.1, true},
		{"0", 0, true},
		{"-5%", 0, false},
		{"ten", 0, false},
		{"%", 0, false},
	} {
		got, err := ParseThreshold(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseThreshold(%q) = %g, %v; want %g, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
