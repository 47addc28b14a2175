package data

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
)

var (
	_ Augmentation = RandomCrop{}
	_ Augmentation = HFlip{}
	_ Augmentation = ChannelNorm{}
)

// RandomCrop pads an example of shape (C, H, W) with Padding zeros on every side and
// crops a window of Size x Size at a random place, every place equally likely, as
// torchvision's RandomCrop(size, padding) does with its default zero fill: the
// standard CIFAR and Fashion-MNIST augmentation is RandomCrop{Size: 32, Padding: 4}
// or {Size: 28, Padding: 4}. Output shape (C, Size, Size); Size 0 keeps (C, H, W).
// It draws the top row, then the left column.
type RandomCrop struct {
	Size    int // side of the square window; 0 means the example's own H and W
	Padding int // zeros added on each of the four sides; >= 0
}

// Shape returns (C, Size, Size), or (C, H, W) if Size is 0.
func (r RandomCrop) Shape(in [3]int) ([3]int, error) {
	if r.Size < 0 || r.Padding < 0 {
		return [3]int{}, errors.Errorf("random crop: Size = %d, Padding = %d, want both >= 0", r.Size, r.Padding)
	}
	oh, ow := in[1], in[2]
	if r.Size > 0 {
		oh, ow = r.Size, r.Size
	}
	if ph, pw := in[1]+2*r.Padding, in[2]+2*r.Padding; oh > ph || ow > pw {
		return [3]int{}, errors.Errorf("random crop: window %dx%d larger than the padded example (%dx%d padded by %d: %dx%d)",
			oh, ow, in[1], in[2], r.Padding, ph, pw)
	}
	return [3]int{in[0], oh, ow}, nil
}

// Apply crops src into dst at a place drawn from rng.
func (r RandomCrop) Apply(dst, src []float64, in [3]int, rng *rand.Rand) {
	c, h, w := in[0], in[1], in[2]
	out, _ := r.Shape(in) // checked by Augment
	oh, ow, p := out[1], out[2], r.Padding
	top := rng.IntN(h+2*p-oh+1) - p // the window's first row and column in src
	left := rng.IntN(w+2*p-ow+1) - p
	for ch := range c {
		for y := range oh {
			row := dst[(ch*oh+y)*ow : (ch*oh+y+1)*ow]
			sy := top + y
			if sy < 0 || sy >= h {
				clear(row)
				continue
			}
			srow := src[(ch*h+sy)*w : (ch*h+sy+1)*w]
			for x := range row {
				if sx := left + x; sx >= 0 && sx < w {
					row[x] = srow[sx]
				} else {
					row[x] = 0
				}
			}
		}
	}
}

// HFlip mirrors an example of shape (C, H, W) left to right with probability P, as
// torchvision's RandomHorizontalFlip(p); P = 0 means the default 0.5. The shape stays.
// It draws one number per example, flipped or not.
type HFlip struct {
	P float64 // probability of a flip, in (0, 1]; 0 means 0.5
}

// Shape returns in; it rejects a P outside [0, 1].
func (f HFlip) Shape(in [3]int) ([3]int, error) {
	if !(f.P >= 0 && f.P <= 1) { // also rejects NaN
		return [3]int{}, errors.Errorf("horizontal flip: P = %v, want in (0, 1] (or 0 for 0.5)", f.P)
	}
	return in, nil
}

// Apply copies src to dst, mirrored along W if a draw from rng is below P.
func (f HFlip) Apply(dst, src []float64, in [3]int, rng *rand.Rand) {
	p := f.P
	if p == 0 {
		p = 0.5
	}
	if rng.Float64() >= p {
		copy(dst, src)
		return
	}
	w := in[2]
	for r := 0; r < in[0]*in[1]; r++ {
		s, d := src[r*w:(r+1)*w], dst[r*w:(r+1)*w]
		for x := range d {
			d[x] = s[w-1-x]
		}
	}
}

// ChannelNorm standardises each channel of an example of shape (C, H, W):
// (x - Mean[c]) / Std[c], as torchvision's Normalize(mean, std). Mean and Std hold one
// value per channel, or one for all. It draws nothing. (data.Normalize, a Source
// wrapper, standardises per feature element instead.)
type ChannelNorm struct {
	Mean, Std []float64 // finite; every Std > 0
}

// Shape returns in; it checks Mean and Std against C.
func (n ChannelNorm) Shape(in [3]int) ([3]int, error) {
	if len(n.Mean) != len(n.Std) || (len(n.Mean) != 1 && len(n.Mean) != in[0]) {
		return [3]int{}, errors.Errorf("channel norm: %d means and %d stds for %d channels, want 1 or %d of each",
			len(n.Mean), len(n.Std), in[0], in[0])
	}
	for i, s := range n.Std {
		m := n.Mean[i]
		if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(m) || math.IsInf(m, 0) {
			return [3]int{}, errors.Errorf("channel norm: Mean[%d] = %v, Std[%d] = %v, want finite values and Std > 0", i, m, i, s)
		}
	}
	return in, nil
}

// Apply writes the standardised src to dst.
func (n ChannelNorm) Apply(dst, src []float64, in [3]int, _ *rand.Rand) {
	plane := in[1] * in[2]
	for c := range in[0] {
		k := c
		if len(n.Mean) == 1 {
			k = 0
		}
		m, s := n.Mean[k], n.Std[k]
		for i := c * plane; i < (c+1)*plane; i++ {
			dst[i] = (src[i] - m) / s
		}
	}
}
