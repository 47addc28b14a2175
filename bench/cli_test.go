package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMainEndToEnd runs the command's code path: a run with -json and -benchfmt, then
// a run against a baseline that is twice as fast, with and without
// -fail-on-regression.
func TestMainEndToEnd(t *testing.T) {
	dir := t.TempDir()
	jsonPath, benchPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.txt")
	common := []string{"-workload", "testonly-alloc", "-systems", "gradflow", "-inprocess", "-rounds", "2", "-q"}
	var out, errs bytes.Buffer
	if st := Main(append(common, "-json", jsonPath, "-benchfmt", benchPath), &out, &errs); st != 0 {
		t.Fatalf("Main = %d, want 0; stderr:\n%s", st, errs.String())
	}
	if !strings.Contains(out.String(), "testonly-alloc: test workload") {
		t.Errorf("table lacks the workload:\n%s", out.String())
	}
	bf, err := os.ReadFile(benchPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(bf), "BenchmarkGradbench/testonly-alloc/gradflow\t5\t"); n != 2 {
		t.Errorf("benchfmt file has %d lines of 5 steps, want one per round (2):\n%s", n, bf)
	}
	res, err := ReadJSONFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	// A baseline where every step took a tenth of the time: the new run is slower.
	for i := range res.Workloads {
		for j := range res.Workloads[i].Systems {
			res.Workloads[i].Systems[j].Step.Median /= 10
		}
	}
	basePath := filepath.Join(dir, "base.json")
	if err := writeFile(basePath, res.WriteJSON); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if st := Main(append(common, "-baseline", basePath, "-threshold", "10%"), &out, &errs); st != 0 {
		t.Errorf("without -fail-on-regression Main = %d, want 0", st)
	}
	if !strings.Contains(out.String(), "REGRESSION") {
		t.Errorf("output does not report the regression:\n%s", out.String())
	}
	if st := Main(append(common, "-baseline", basePath, "-fail-on-regression"), &out, &errs); st != 1 {
		t.Errorf("with -fail-on-regression Main = %d, want 1", st)
	}
}

func TestMainUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-workload", "nosuch"},
		{"-threshold", "lots"},
		{"-torch-threads", "0"},
		{"-nosuchflag"},
	} {
		var out, errs bytes.Buffer
		if st := Main(args, &out, &errs); st != 2 {
			t.Errorf("Main(%q) = %d, want 2 (usage); stderr %s", args, st, errs.String())
		}
	}
	var out bytes.Buffer
	if st := Main([]string{"-list"}, &out, &out); st != 0 || !strings.Contains(out.String(), "mlp-f32") {
		t.Errorf("Main(-list) = %d, output %q: want 0 and the workloads", st, out.String())
	}
}
