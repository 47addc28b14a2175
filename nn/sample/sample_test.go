package sample_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/nn/sample"
)

type golden struct {
	Logits []float64
	Cases  []struct {
		Temperature float64
		TopK        int     `json:"top_k"`
		TopP        float64 `json:"top_p"`
		Probs       []float64
	}
}

// TestProbsMatchHuggingFace compares the filtered distribution with transformers'
// warpers written out in torch (testdata/sample/gen.py).
func TestProbsMatchHuggingFace(t *testing.T) {
	b, err := os.ReadFile("../../testdata/sample/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Cases {
		s, err := sample.New(sample.Config{Temperature: c.Temperature, TopK: c.TopK, TopP: c.TopP}, 1)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Probs(g.Logits)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p {
			if math.Abs(p[i]-c.Probs[i]) > 1e-12 {
				t.Errorf("T %v k %d p %v: prob[%d] = %.15g, want %.15g", c.Temperature, c.TopK, c.TopP, i, p[i], c.Probs[i])
			}
		}
	}
}

// TestNextFrequencies draws many tokens and checks each one's frequency against its
// probability (within 5 standard deviations), that dropped tokens never come, and
// that a seed repeats its stream.
func TestNextFrequencies(t *testing.T) {
	logits := []float64{2, 1, 0.5, -1, 3, 0}
	cfg := sample.Config{Temperature: 0.9, TopK: 4, TopP: 0.95}
	s, _ := sample.New(cfg, 42)
	probs, _ := s.Probs(logits)
	want := append([]float64(nil), probs...)
	const n = 200000
	counts := make([]int, len(logits))
	first := make([]int, 50)
	for i := range n {
		tok, err := s.Next(logits)
		if err != nil {
			t.Fatal(err)
		}
		counts[tok]++
		if i < len(first) {
			first[i] = tok
		}
	}
	for i, p := range want {
		got := float64(counts[i]) / n
		sd := math.Sqrt(p * (1 - p) / n)
		if p == 0 && counts[i] > 0 || math.Abs(got-p) > 5*sd+1e-9 {
			t.Errorf("token %d: frequency %.5f, probability %.5f", i, got, p)
		}
	}
	again, _ := sample.New(cfg, 42)
	other, _ := sample.New(cfg, 43)
	same, diff := true, false
	for i := range first {
		a, _ := again.Next(logits)
		b, _ := other.Next(logits)
		same = same && a == first[i]
		diff = diff || b != first[i]
	}
	if !same || !diff {
		t.Errorf("seed 42 repeats: %v; seed 43 differs: %v", same, diff)
	}
}

func TestGreedyAndLimits(t *testing.T) {
	logits := []float64{0.1, 2.5, 2.5, -3}
	for _, cfg := range []sample.Config{{Greedy: true}, {TopK: 1}, {TopP: 1e-9}} {
		s, err := sample.New(cfg, 7)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			if tok, err := s.Next(logits); err != nil || tok != 1 {
				t.Fatalf("%+v: token %d, %v; want 1, the first of the most likely", cfg, tok, err)
			}
		}
	}
	cold, _ := sample.New(sample.Config{Temperature: 1e-3}, 7)
	for range 20 {
		if tok, _ := cold.Next([]float64{0.1, 2.5, 2.4, -3}); tok != 1 {
			t.Fatalf("temperature 1e-3: token %d, want the most likely, 1", tok)
		}
	}
	s, _ := sample.New(sample.Config{}, 1)
	if tok, err := s.Next32([]float32{-1, 5, float32(math.Inf(-1))}); err != nil || tok > 1 {
		t.Errorf("Next32: %d, %v", tok, err)
	}
	for _, c := range []struct {
		logits []float64
		want   string
	}{{nil, "no logits"}, {[]float64{1, math.NaN()}, "NaN"}, {[]float64{math.Inf(1)}, "+Inf"}, {[]float64{math.Inf(-1), math.Inf(-1)}, "-Inf"}} {
		if _, err := s.Next(c.logits); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("logits %v: err = %v, want %q", c.logits, err, c.want)
		}
	}
	for _, cfg := range []sample.Config{{Temperature: -1}, {Temperature: math.NaN()}, {Temperature: math.Inf(1)}, {TopK: -2}, {TopP: 1.5}, {TopP: -0.1}} {
		if _, err := sample.New(cfg, 1); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// Draw the next token from a model's logits with temperature and nucleus sampling.
func ExampleSampler_Next() {
	s, err := sample.New(sample.Config{Temperature: 1.5, TopP: 0.9}, 1)
	if err != nil {
		panic(err)
	}
	logits := []float64{0.2, 3.1, 1.7, -0.5} // one row of the model's output
	var toks []int
	for range 8 {
		tok, err := s.Next(logits)
		if err != nil {
			panic(err)
		}
		toks = append(toks, tok)
	}
	fmt.Println(toks)
	// Output: [1 1 1 1 1 1 2 1]
}
