package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"slices"
	"testing"
)

// SplitMix64 seeded with 0 gives 0xE220A8397B1DCDAF first (Vigna's splitmix64.c, the
// reference for Steele et al.'s generator); synthUniform(0, 0, 1) is that value's top
// 53 bits scaled to [0, 1).
func TestSynthUniformReference(t *testing.T) {
	got := synthUniform(0, 0, 1)[0]
	if want := float64(uint64(0xE220A8397B1DCDAF)>>11) / (1 << 53); got != want {
		t.Errorf("synthUniform(0, 0, 1) = %v, want %v", got, want)
	}
	// A value depends on its index only: a slice from the middle matches.
	all, part := synthUniform(7, 0, 10), synthUniform(7, 4, 3)
	if !slices.Equal(all[4:7], part) {
		t.Errorf("synthUniform(7, 4, 3) = %v, want %v", part, all[4:7])
	}
}

func TestLSTMTokens(t *testing.T) {
	const n, seq, vocab = 400, 16, 50
	ids, labels := lstmTokens(1, n, seq, vocab)
	ones := 0
	for i, l := range labels {
		marked := slices.Contains(ids[i*seq:(i+1)*seq], lstmMarker)
		if marked != (l == 1) {
			t.Fatalf("sequence %d: label %d, marker present %v", i, l, marked)
		}
		ones += l
	}
	for _, id := range ids {
		if id < lstmMarker || id >= vocab || id != float32(int(id)) {
			t.Fatalf("id %v out of [%d, %d)", id, lstmMarker, vocab)
		}
	}
	// Half the labels are 1: 400 fair draws give 200 ± 10 (one standard deviation).
	if ones < 160 || ones > 240 {
		t.Errorf("%d of %d labels are 1, want about half", ones, n)
	}
}

func TestTFInputs(t *testing.T) {
	const n, seq, dim = 64, 8, 16
	x, labels := tfInputs(1, n, seq, dim, 0.5)
	// With a large signal, the mean of each sequence's projection on the direction
	// has the label's sign.
	v := synthUniform(synthStream(1, streamTFDirection), 0, dim)
	for i, l := range labels {
		var p float64
		for j := 0; j < seq*dim; j++ {
			p += float64(x[i*seq*dim+j]) * (2*v[j%dim] - 1)
		}
		if (p > 0) != (l == 1) {
			t.Errorf("sequence %d: label %d, projection %g", i, l, p)
		}
	}
	for _, f := range x {
		if !(math.Abs(float64(f)) <= 1.5) {
			t.Fatalf("input %v outside [-1.5, 1.5]", f)
		}
	}
}

// TestSynthMatchesPython checks that worker.py generates the same synthetic data bit
// for bit: PyTorch trains on exactly the examples the Go systems do.
func TestSynthMatchesPython(t *testing.T) {
	py := PeerConfig{}.python()
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s has no numpy: %v", py, err)
	}
	// n = 70 crosses the 64-example slices in which tf_inputs generates.
	const seed, n, seq, vocab, dim, signal = 3, 70, 8, 50, 16, 0.02
	script := fmt.Sprintf(`
import json, sys
import numpy as np
ns = {"__name__": "worker"}
exec(compile(open("reference/worker.py").read(), "worker.py", "exec"), ns)
ids, labels = ns["lstm_tokens"](np, %d, %d, %d, %d)
x, xl = ns["tf_inputs"](np, %d, %d, %d, %d, %v)
json.dump({"ids": ids.reshape(-1).tolist(), "labels": labels.tolist(),
           "x_bits": x.reshape(-1).view(np.uint32).tolist(), "x_labels": xl.tolist()}, sys.stdout)
`, seed, n, seq, vocab, seed, n, seq, dim, signal)
	out, err := exec.Command(py, "-c", script).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var got struct {
		IDs     []int    `json:"ids"`
		Labels  []int    `json:"labels"`
		XBits   []uint32 `json:"x_bits"`
		XLabels []int    `json:"x_labels"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	ids, labels := lstmTokens(seed, n, seq, vocab)
	wantIDs := make([]int, len(ids))
	for i, id := range ids {
		wantIDs[i] = int(id)
	}
	if !slices.Equal(got.IDs, wantIDs) || !slices.Equal(got.Labels, labels) {
		t.Errorf("lstm tokens differ:\npython ids %v labels %v\ngo     ids %v labels %v", got.IDs, got.Labels, wantIDs, labels)
	}
	x, xl := tfInputs(seed, n, seq, dim, signal)
	if len(got.XBits) != len(x) || !slices.Equal(got.XLabels, xl) {
		t.Fatalf("transformer inputs: python %d values, labels %v; go %d, %v", len(got.XBits), got.XLabels, len(x), xl)
	}
	for i, f := range x {
		if got.XBits[i] != math.Float32bits(f) {
			t.Fatalf("transformer input %d: python %v, go %v", i, math.Float32frombits(got.XBits[i]), f)
		}
	}
}
