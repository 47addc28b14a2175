package data_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/train/data"
)

// TestRandomCrop checks every crop against a plain reference (pad with zeros, then cut
// the window) and that every window place occurs, for square and narrower windows.
func TestRandomCrop(t *testing.T) {
	in := [3]int{2, 4, 5}
	src := make([]float64, 40)
	for i := range src {
		src[i] = float64(i + 1) // no zeros, so a zero is padding
	}
	for _, tc := range []struct {
		crop   data.RandomCrop
		places int // (H + 2p - size + 1) * (W + 2p - size + 1)
	}{
		{data.RandomCrop{Padding: 2}, 5 * 5},
		{data.RandomCrop{Size: 3, Padding: 1}, 4 * 5},
		{data.RandomCrop{Size: 4}, 1 * 2},
		{data.RandomCrop{}, 1},
	} {
		out, err := tc.crop.Shape(in)
		if err != nil {
			t.Fatal(err)
		}
		p := tc.crop.Padding
		ph, pw := in[1]+2*p, in[2]+2*p
		padded := make([]float64, in[0]*ph*pw)
		for c := range in[0] {
			for y := range in[1] {
				for x := range in[2] {
					padded[(c*ph+y+p)*pw+x+p] = src[(c*in[1]+y)*in[2]+x]
				}
			}
		}
		window := func(top, left int) []float64 {
			var w []float64
			for c := range out[0] {
				for y := range out[1] {
					w = append(w, padded[(c*ph+top+y)*pw+left:(c*ph+top+y)*pw+left+out[2]]...)
				}
			}
			return w
		}
		seen := map[[2]int]int{}
		rng := rand.New(rand.NewPCG(1, 2))
		dst := make([]float64, out[0]*out[1]*out[2])
		for range 2000 {
			tc.crop.Apply(dst, src, in, rng)
			found := false
			for top := 0; top+out[1] <= ph && !found; top++ {
				for left := 0; left+out[2] <= pw && !found; left++ {
					if slices.Equal(dst, window(top, left)) {
						seen[[2]int{top, left}]++
						found = true
					}
				}
			}
			if !found {
				t.Fatalf("%+v: %v is no window of the padded example", tc.crop, dst)
			}
		}
		if len(seen) != tc.places {
			t.Errorf("%+v: %d window places seen, want %d: %v", tc.crop, len(seen), tc.places, seen)
		}
	}
}

func TestHFlip(t *testing.T) {
	in := [3]int{2, 2, 3}
	src := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	dst := make([]float64, 12)
	rng := rand.New(rand.NewPCG(1, 2))
	data.HFlip{P: 1}.Apply(dst, src, in, rng)
	if want := []float64{3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10}; !slices.Equal(dst, want) {
		t.Errorf("HFlip{P: 1} = %v, want %v", dst, want)
	}
	// The default P is 0.5: of 4000 examples about 2000 flip (binomial sd 32).
	flips := 0
	for range 4000 {
		data.HFlip{}.Apply(dst, src, in, rng)
		if dst[0] == 3 {
			flips++
		} else if !slices.Equal(dst, src) {
			t.Fatalf("HFlip = %v, neither the example nor its mirror", dst)
		}
	}
	if flips < 2000-4*32 || flips > 2000+4*32 {
		t.Errorf("%d of 4000 flipped with the default P, want about 2000", flips)
	}
}

func TestChannelNorm(t *testing.T) {
	in := [3]int{2, 1, 2}
	dst := make([]float64, 4)
	data.ChannelNorm{Mean: []float64{1, 2}, Std: []float64{2, 4}}.Apply(dst, []float64{1, 3, 2, 10}, in, nil)
	if want := []float64{0, 1, 0, 2}; !slices.Equal(dst, want) {
		t.Errorf("per channel: %v, want %v", dst, want)
	}
	data.ChannelNorm{Mean: []float64{1}, Std: []float64{2}}.Apply(dst, []float64{1, 3, 2, 10}, in, nil)
	if want := []float64{0, 1, 0.5, 4.5}; !slices.Equal(dst, want) {
		t.Errorf("one for all: %v, want %v", dst, want)
	}
}

// TestAugmentShapes checks the shape after a crop to a smaller window, and that a
// crop with no padding to the full size leaves float32 values bit for bit.
func TestAugmentShapes(t *testing.T) {
	ds := imageSet(t, 5, 3, 6, 6, tensor.Float32)
	src, err := data.Augment(ds, data.AugmentConfig{}, data.RandomCrop{Size: 4, Padding: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := src.FeatureShape(); !slices.Equal(got, []int{3, 4, 4}) {
		t.Errorf("FeatureShape() = %v, want [3 4 4]", got)
	}
	if err := data.Check(src, 2); err != nil {
		t.Error(err)
	}
	same, err := data.Augment(ds, data.AugmentConfig{}, data.RandomCrop{})
	if err != nil {
		t.Fatal(err)
	}
	for b, err := range same.Stream(5, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(b.X.Float32s(), ds.X().Float32s()) {
			t.Error("RandomCrop{} changed the values")
		}
	}
}
