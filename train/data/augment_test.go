package data_test

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/train/data"
)

// imageSet returns n random images of shape (c, h, w), dtype dt, labels i % 3.
func imageSet(t testing.TB, n, c, h, w int, dt tensor.Dtype) *data.Dataset {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	shape := tensor.WithShape(n, c, h, w)
	var x *tensor.Dense
	if dt == tensor.Float32 {
		v := make([]float32, n*c*h*w)
		for i := range v {
			v[i] = float32(rng.Float64())
		}
		x = tensor.New(shape, tensor.WithBacking(v))
	} else {
		v := make([]float64, n*c*h*w)
		for i := range v {
			v[i] = rng.Float64()
		}
		x = tensor.New(shape, tensor.WithBacking(v))
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % 3
	}
	d, err := data.New(x, labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// passes returns a hash of every batch of epochs passes of src, streamed with one
// generator seeded 5, as the Trainer streams its epochs.
func passes(t *testing.T, src data.Source, bs, epochs int) []uint64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	var out []uint64
	for range epochs {
		h := fnv.New64a()
		for b, err := range src.Stream(bs, rng) {
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprint(h, b.X.Data(), b.T.Data(), b.Index)
		}
		out = append(out, h.Sum64())
	}
	return out
}

var fashionAugs = []data.Augmentation{
	data.RandomCrop{Size: 8, Padding: 2},
	data.HFlip{},
	data.ChannelNorm{Mean: []float64{0.5, 0.4}, Std: []float64{0.25, 0.3}},
}

// TestAugmentReproducible checks that the batches depend on the seed and the
// generator's state only: the same for 1, 2, 4 and 7 workers, for GOMAXPROCS 1 and 4
// and behind Prefetch, bit for bit; different from one epoch to the next and from
// another seed.
func TestAugmentReproducible(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		ds := imageSet(t, 37, 2, 8, 8, dt)
		aug := func(seed uint64, workers int) data.Source {
			s, err := data.Augment(ds, data.AugmentConfig{Seed: seed, Workers: workers}, fashionAugs...)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		want := passes(t, aug(1, 1), 10, 3)
		if want[0] == want[1] || want[1] == want[2] {
			t.Errorf("%v: epochs augmented alike: %x", dt, want)
		}
		if other := passes(t, aug(2, 1), 10, 3); other[0] == want[0] {
			t.Errorf("%v: seeds 1 and 2 augment alike", dt)
		}
		if plain := passes(t, ds, 10, 1); plain[0] == want[0] {
			t.Errorf("%v: augmented batches equal the plain ones", dt)
		}
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
		for _, procs := range []int{1, 4} {
			runtime.GOMAXPROCS(procs)
			for _, workers := range []int{0, 1, 2, 4, 7} {
				if got := passes(t, aug(1, workers), 10, 3); !slices.Equal(got, want) {
					t.Errorf("%v, GOMAXPROCS %d, %d workers: batches %x, want %x (1 worker)", dt, procs, workers, got, want)
				}
			}
			pre, err := data.Prefetch(aug(1, 4), 2)
			if err != nil {
				t.Fatal(err)
			}
			if got := passes(t, pre, 10, 3); !slices.Equal(got, want) {
				t.Errorf("%v, GOMAXPROCS %d: prefetched %x, want %x", dt, procs, got, want)
			}
		}
	}
}

// TestAugmentPerExample checks that an example's augmentation depends on its index,
// not on the batch size or its place in the pass, and that a resumed generator
// (MarshalBinary and back, as a checkpoint stores it) gives the same next epochs.
func TestAugmentPerExample(t *testing.T) {
	ds := imageSet(t, 23, 1, 6, 6, tensor.Float32)
	src, err := data.Augment(ds, data.AugmentConfig{Seed: 3, Workers: 3}, fashionAugs[:2]...)
	if err != nil {
		t.Fatal(err)
	}
	byIndex := func(bs int, rng *rand.Rand) map[int]string {
		m := map[int]string{}
		for b, err := range src.Stream(bs, rng) {
			if err != nil {
				t.Fatal(err)
			}
			x, size := b.X.Float32s(), 64 // (1, 8, 8) after the crop
			for i, j := range b.Index {
				m[j] = fmt.Sprint(x[i*size : (i+1)*size])
			}
		}
		return m
	}
	a, b := byIndex(4, nil), byIndex(23, nil)
	c := byIndex(5, rand.New(rand.NewPCG(1, 1)))
	d := byIndex(23, rand.New(rand.NewPCG(1, 1)))
	for j := range 23 {
		if a[j] != b[j] || c[j] != d[j] {
			t.Errorf("example %d augmented differently with batch sizes 4 and 23", j)
		}
	}

	// Resume: three epochs in one go, or one epoch, a saved and restored generator, two more.
	want := passes(t, src, 4, 3)
	pcg := rand.NewPCG(5, 6)
	rng := rand.New(pcg)
	var got []uint64
	for b, err := range src.Stream(4, rng) {
		_, _ = b, err
	}
	state, err := pcg.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	restored := rand.NewPCG(0, 0)
	if err := restored.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	rng = rand.New(restored)
	for range 2 {
		h := fnv.New64a()
		for b, err := range src.Stream(4, rng) {
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprint(h, b.X.Data(), b.T.Data(), b.Index)
		}
		got = append(got, h.Sum64())
	}
	if !slices.Equal(got, want[1:]) {
		t.Errorf("epochs 2 and 3 after a resume %x, want %x", got, want[1:])
	}
	if err := data.Check(src, 4); err != nil {
		t.Error(err)
	}
}

// TestAugmentErrors checks Augment's validation and that a panicking Augmentation is
// an error for any number of workers.
func TestAugmentErrors(t *testing.T) {
	img := imageSet(t, 4, 1, 4, 4, tensor.Float64)
	flat := rangeSet(t, 4)
	for _, tc := range []struct {
		name string
		src  data.Source
		cfg  data.AugmentConfig
		augs []data.Augmentation
		want string
	}{
		{"flat examples", flat, data.AugmentConfig{}, []data.Augmentation{data.HFlip{}}, "examples of shape [2], want (C, H, W)"},
		{"no augmentations", img, data.AugmentConfig{}, nil, "no augmentations"},
		{"negative workers", img, data.AugmentConfig{Workers: -1}, []data.Augmentation{data.HFlip{}}, "Workers = -1"},
		{"nil augmentation", img, data.AugmentConfig{}, []data.Augmentation{nil}, "augmentation 0 is nil"},
		{"crop too large", img, data.AugmentConfig{}, []data.Augmentation{data.RandomCrop{Size: 7, Padding: 1}},
			"augmentation 0 (data.RandomCrop) on examples of shape [1 4 4]: random crop: window 7x7 larger than the padded example (4x4 padded by 1: 6x6)"},
		{"negative padding", img, data.AugmentConfig{}, []data.Augmentation{data.RandomCrop{Padding: -1}}, "Padding = -1"},
		{"flip P 2", img, data.AugmentConfig{}, []data.Augmentation{data.HFlip{P: 2}}, "P = 2, want in (0, 1]"},
		{"flip P NaN", img, data.AugmentConfig{}, []data.Augmentation{data.HFlip{P: math.NaN()}}, "P = NaN"},
		{"norm 2 means for 1 channel", img, data.AugmentConfig{}, []data.Augmentation{data.ChannelNorm{Mean: []float64{0, 0}, Std: []float64{1, 1}}},
			"2 means and 2 stds for 1 channels, want 1 or 1 of each"},
		{"norm std 0", img, data.AugmentConfig{}, []data.Augmentation{data.ChannelNorm{Mean: []float64{0}, Std: []float64{0}}}, "Std > 0"},
		{"second step sees the cropped shape", img, data.AugmentConfig{}, []data.Augmentation{data.RandomCrop{Size: 2}, data.RandomCrop{Size: 3}},
			"augmentation 1 (data.RandomCrop) on examples of shape [1 2 2]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := data.Augment(tc.src, tc.cfg, tc.augs...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "data: augment: ") {
				t.Errorf("Augment err = %v, want %q", err, tc.want)
			}
		})
	}
	for _, workers := range []int{1, 3} {
		src, err := data.Augment(img, data.AugmentConfig{Workers: workers}, data.HFlip{}, panicky{})
		if err != nil {
			t.Fatal(err)
		}
		var last error
		for _, err := range src.Stream(2, nil) {
			last = err
		}
		if last == nil || !strings.Contains(last.Error(), "data: augment: an augmentation panicked in github.com/gradflow/gradflow/train/data_test.panicky.Apply at ") ||
			!strings.Contains(last.Error(), "augment_test.go") || !strings.Contains(last.Error(), "index out of range") {
			t.Errorf("%d workers: err = %v, want the panic and where", workers, last)
		}
	}
}

// panicky is an Augmentation with an indexing bug.
type panicky struct{}

func (panicky) Shape(in [3]int) ([3]int, error) { return in, nil }
func (panicky) Apply(dst, src []float64, in [3]int, rng *rand.Rand) {
	dst[len(src)+rng.IntN(1)] = 0
}

// TestAugmentWorkersStop checks that abandoned streams leave no worker running.
func TestAugmentWorkersStop(t *testing.T) {
	src, err := data.Augment(imageSet(t, 30, 1, 4, 4, tensor.Float32), data.AugmentConfig{Workers: 4}, data.HFlip{})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		for range src.Stream(5, nil) {
			break
		}
	}
	// The stream waits for its workers before it returns, so none may be left: look
	// for them by name (a count of goroutines also sees the runtime's own).
	buf := make([]byte, 1<<20)
	if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "train/data/augment.go") {
		t.Errorf("workers still running after 20 abandoned streams:\n%s", stacks)
	}
}

// BenchmarkAugment times one pass of 256 Fashion-MNIST-sized images, batch 64,
// through RandomCrop{28, 4}, HFlip and ChannelNorm.
func BenchmarkAugment(b *testing.B) {
	ds := imageSet(b, 256, 1, 28, 28, tensor.Float32)
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			src, err := data.Augment(ds, data.AugmentConfig{Seed: 1, Workers: workers},
				data.RandomCrop{Size: 28, Padding: 4}, data.HFlip{}, data.ChannelNorm{Mean: []float64{0.286}, Std: []float64{0.353}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				for _, err := range src.Stream(64, nil) {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
