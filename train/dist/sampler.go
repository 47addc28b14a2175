package dist

import (
	"github.com/pkg/errors"
)

// DistributedSampler splits the indices 0..N-1 of a dataset among World ranks as
// PyTorch's torch.utils.data.DistributedSampler does, index for index: with Shuffle,
// the indices are permuted by torch.randperm(N) from a generator seeded with
// Seed + epoch (the same MT19937 and Fisher-Yates steps as torch 1.13's CPU
// randperm); the list is padded by repeating its start (or, with DropLast, cut) to
// a multiple of World; rank r takes the indices at positions r, r+World, r+2*World...
// Every rank gets the same number of indices, so every rank takes the same number of
// optimizer steps.
type DistributedSampler struct {
	N        int // examples in the dataset
	World    int // ranks
	Rank     int // this rank, 0 <= Rank < World
	Shuffle  bool
	Seed     uint64
	DropLast bool
}

// NumSamples returns the number of indices each rank takes per epoch.
func (s DistributedSampler) NumSamples() int {
	if s.World < 1 {
		return 0
	}
	if s.DropLast && s.N%s.World != 0 {
		return s.N / s.World
	}
	return (s.N + s.World - 1) / s.World
}

// Indices returns this rank's indices for epoch (PyTorch's set_epoch(epoch) then
// iter(sampler)).
func (s DistributedSampler) Indices(epoch int) ([]int, error) {
	if s.N < 1 || s.World < 1 || s.Rank < 0 || s.Rank >= s.World || epoch < 0 {
		return nil, errors.Errorf("dist: DistributedSampler: N %d, World %d, Rank %d, epoch %d: want N >= 1, World >= 1, 0 <= Rank < World, epoch >= 0",
			s.N, s.World, s.Rank, epoch)
	}
	idx := make([]int, s.N)
	for i := range idx {
		idx[i] = i
	}
	if s.Shuffle {
		idx = randperm(s.N, s.Seed+uint64(epoch))
	}
	per := s.NumSamples()
	total := per * s.World
	if total > len(idx) { // pad with the start of the list, repeated as often as needed
		for pad := total - len(idx); pad > 0; {
			k := min(pad, s.N)
			idx = append(idx, idx[:k]...)
			pad -= k
		}
	}
	idx = idx[:total]
	out := make([]int, 0, per)
	for i := s.Rank; i < total; i += s.World {
		out = append(out, idx[i])
	}
	return out, nil
}

// randperm is torch.randperm(n, generator=torch.Generator().manual_seed(seed)) of
// torch 1.13 on the CPU: swap position i with i + random() % (n - i), for i from 0,
// where random() is the next 32-bit output of MT19937 seeded with the low 32 bits of
// seed.
func randperm(n int, seed uint64) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	mt := newMT19937(uint32(seed))
	for i := 0; i < n-1; i++ {
		z := int(uint64(mt.next()) % uint64(n-i))
		p[i], p[i+z] = p[i+z], p[i]
	}
	return p
}

// mt19937 is the 32-bit Mersenne Twister (Matsumoto and Nishimura, 1998), seeded
// as init_genrand does.
type mt19937 struct {
	s [624]uint32
	i int
}

func newMT19937(seed uint32) *mt19937 {
	m := &mt19937{i: 624}
	m.s[0] = seed
	for i := 1; i < 624; i++ {
		m.s[i] = 1812433253*(m.s[i-1]^(m.s[i-1]>>30)) + uint32(i)
	}
	return m
}

func (m *mt19937) next() uint32 {
	if m.i >= 624 {
		for k := 0; k < 624; k++ {
			y := m.s[k]&0x80000000 | m.s[(k+1)%624]&0x7fffffff
			v := m.s[(k+397)%624] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			m.s[k] = v
		}
		m.i = 0
	}
	y := m.s[m.i]
	m.i++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}
