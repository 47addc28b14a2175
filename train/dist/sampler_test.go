package dist

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestSamplerMatchesPyTorch compares the index lists with those of torch 1.13's
// DistributedSampler (testdata/dist/sampler.py writes sampler.json).
func TestSamplerMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/dist/sampler.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []struct {
			N, World, Seed, Epoch int
			Shuffle               bool
			DropLast              bool `json:"drop_last"`
			Ranks                 [][]int
		}
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) == 0 {
		t.Fatal("no cases in sampler.json")
	}
	for _, c := range golden.Cases {
		for r, want := range c.Ranks {
			s := DistributedSampler{N: c.N, World: c.World, Rank: r, Shuffle: c.Shuffle, Seed: uint64(c.Seed), DropLast: c.DropLast}
			got, err := s.Indices(c.Epoch)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v rank %d: Indices(%d) = %v, want %v", s, r, c.Epoch, head(got), head(want))
			}
			if s.NumSamples() != len(want) {
				t.Errorf("%+v: NumSamples() = %d, want %d", s, s.NumSamples(), len(want))
			}
		}
	}
}

func head(x []int) []int { return x[:min(len(x), 12)] }

func TestSamplerRejects(t *testing.T) {
	for _, s := range []DistributedSampler{{N: 0, World: 1}, {N: 3, World: 0}, {N: 3, World: 2, Rank: 2}, {N: 3, World: 2, Rank: -1}} {
		if _, err := s.Indices(0); err == nil {
			t.Errorf("%+v: Indices succeeded, want an error", s)
		}
	}
}
