// Package sample draws the next token of a generated sequence from a model's logits:
// greedy, temperature, top-k and top-p (nucleus) sampling, seeded so that the same
// seed and logits give the same tokens. It is what a text-generation loop calls
// after each step of a language model (examples/charlm).
//
// The filters apply in the order of Hugging Face's generate(): the logits are
// divided by the temperature, then all but the TopK largest are dropped, then all
// but the smallest set of most likely tokens whose probability reaches TopP; the
// token is drawn from the softmax of what is left.
package sample

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/pkg/errors"
)

// Config chooses how tokens are drawn. The zero value samples from the model's own
// distribution (temperature 1, no filter).
type Config struct {
	// Temperature divides the logits: below 1 sharpens the distribution, above 1
	// flattens it. 0 means 1; it must be finite and > 0 otherwise.
	Temperature float64
	// TopK keeps only the K most likely tokens (ties broken by the lower index);
	// 0 keeps all.
	TopK int
	// TopP keeps the most likely tokens until their probability reaches TopP (at
	// least one), in (0, 1]; 0 means 1, no filter.
	TopP float64
	// Greedy always takes the most likely token (the lowest index among ties) and
	// draws no random number; the other fields are ignored.
	Greedy bool
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.Temperature != 0 && (math.IsNaN(c.Temperature) || math.IsInf(c.Temperature, 0) || c.Temperature <= 0) {
		return errors.Errorf("sample: Temperature %v: want a finite value > 0 (0 means 1)", c.Temperature)
	}
	if c.TopK < 0 {
		return errors.Errorf("sample: TopK %d: want >= 0 (0 keeps every token)", c.TopK)
	}
	if math.IsNaN(c.TopP) || c.TopP < 0 || c.TopP > 1 {
		return errors.Errorf("sample: TopP %v: want a value in (0, 1] (0 means 1)", c.TopP)
	}
	return nil
}

// Sampler draws tokens with one Config and its own random stream. It is not safe
// for concurrent use: give each generation its own.
type Sampler struct {
	cfg   Config
	rng   *rand.Rand
	probs []float64
	order []int
}

// New returns a Sampler for cfg whose random stream is seeded by seed.
func New(cfg Config, seed uint64) (*Sampler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Temperature == 0 {
		cfg.Temperature = 1
	}
	if cfg.TopP == 0 {
		cfg.TopP = 1
	}
	return &Sampler{cfg: cfg, rng: rand.New(rand.NewPCG(seed, 0x5eed5a3b1e))}, nil
}

// Next draws a token index from logits (one row of a model's output).
func (s *Sampler) Next(logits []float64) (int, error) {
	if s.cfg.Greedy {
		return argmax(logits)
	}
	p, err := s.Probs(logits)
	if err != nil {
		return 0, err
	}
	u := s.rng.Float64()
	last := 0
	for i, v := range p {
		if v == 0 {
			continue
		}
		last = i
		if u < v {
			return i, nil
		}
		u -= v
	}
	return last, nil // u ran past the sum by rounding: the last kept token
}

// Next32 is Next for float32 logits.
func (s *Sampler) Next32(logits []float32) (int, error) {
	l := make([]float64, len(logits))
	for i, v := range logits {
		l[i] = float64(v)
	}
	return s.Next(l)
}

// Probs returns the distribution Next draws from for logits: the softmax of the
// filtered, temperature-scaled logits, zero for every dropped token. The slice is
// the Sampler's own and is overwritten by the next call.
func (s *Sampler) Probs(logits []float64) ([]float64, error) {
	if len(logits) == 0 {
		return nil, errors.New("sample: no logits")
	}
	n := len(logits)
	s.probs = grow(s.probs, n)
	maxv := math.Inf(-1)
	for i, v := range logits {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			return nil, errors.Errorf("sample: logit %d is %v", i, v)
		}
		if v > maxv {
			maxv = v
		}
	}
	if math.IsInf(maxv, -1) {
		return nil, errors.New("sample: every logit is -Inf")
	}
	t := s.cfg.Temperature
	sum := 0.0
	for i, v := range logits {
		e := math.Exp((v - maxv) / t)
		s.probs[i] = e
		sum += e
	}
	for i := range s.probs {
		s.probs[i] /= sum
	}
	if s.cfg.TopK == 0 && s.cfg.TopP >= 1 {
		return s.probs, nil
	}
	// Most likely first, ties by index.
	s.order = grow(s.order, n)
	for i := range s.order {
		s.order[i] = i
	}
	sort.SliceStable(s.order, func(a, b int) bool { return s.probs[s.order[a]] > s.probs[s.order[b]] })
	keep := n
	if s.cfg.TopK > 0 && s.cfg.TopK < keep {
		keep = s.cfg.TopK
	}
	if s.cfg.TopP < 1 {
		// Renormalise over the top-k first, as the filters apply in turn.
		kept := 0.0
		for _, i := range s.order[:keep] {
			kept += s.probs[i]
		}
		cum := 0.0
		for r, i := range s.order[:keep] {
			cum += s.probs[i] / kept
			if cum >= s.cfg.TopP {
				keep = r + 1
				break
			}
		}
	}
	for _, i := range s.order[keep:] {
		s.probs[i] = 0
	}
	sum = 0
	for _, i := range s.order[:keep] {
		sum += s.probs[i]
	}
	for _, i := range s.order[:keep] {
		s.probs[i] /= sum
	}
	return s.probs, nil
}

func argmax(logits []float64) (int, error) {
	if len(logits) == 0 {
		return 0, errors.New("sample: no logits")
	}
	best := 0
	for i, v := range logits {
		if math.IsNaN(v) {
			return 0, errors.Errorf("sample: logit %d is NaN", i)
		}
		if v > logits[best] {
			best = i
		}
	}
	return best, nil
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
