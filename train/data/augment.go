package data

import (
	"iter"
	"math/rand/v2"
	"sync"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Augmentation is one step of image augmentation: it changes a single example of shape
// (C, H, W), channels first, as torchvision's transforms change one image. RandomCrop,
// HFlip and ChannelNorm are Augmentations; Augment chains them over a Source.
//
// Values travel as float64 whatever the source's dtype (a float32 value converts
// exactly), so an Augmentation is written once.
type Augmentation interface {
	// Shape returns the shape of an example after the augmentation, given its shape
	// before, or an error if the augmentation cannot apply to it or is misconfigured.
	Shape(in [3]int) ([3]int, error)
	// Apply writes the augmented src, an example of shape in, to dst, of shape
	// Shape(in); they do not overlap. It must draw all its randomness from rng, and
	// the same number of draws whatever it draws, so that the example's result
	// depends only on rng's state; it may run on several goroutines at once, each
	// with its own rng, and must not keep src, dst or rng.
	Apply(dst, src []float64, in [3]int, rng *rand.Rand)
}

// AugmentConfig configures Augment. The zero value augments with seed 0 in the
// consumer's goroutine.
type AugmentConfig struct {
	// Seed keys the randomness of every example, with the pass and the example's
	// index: see Augment.
	Seed uint64
	// Workers is the number of goroutines that augment the examples of each batch;
	// 0 or 1 means the consumer's goroutine. The batches are the same, bit for bit,
	// for any number of workers and any GOMAXPROCS.
	Workers int
}

// Augment returns a Source that applies augs, in order, to every example of src,
// whose examples must have shape (C, H, W) (load MNIST and Fashion-MNIST with
// MNISTConfig{Shape4D: true}). Targets and indices pass through; FeatureShape is the
// shape after the last augmentation. Compose it with the other wrappers:
// Prefetch(Augment(ds, ...)) augments the next batches in the background.
//
// Reproducible: an example's randomness is a generator of its own, seeded from
// cfg.Seed, the pass, and the example's index in src (Batch.Index, or its position
// in the pass when src does not report indices). It never depends on the batch
// size, on the example's place in the shuffled order, or on which worker augments it.
// A pass streamed with a generator rng draws one number from it (before src draws
// its order) to key the pass, so that each epoch augments anew while the same rng
// state (the same seed, the same epoch, or a resumed trainer's restored generator)
// gives the same batches bit for bit; a pass with a nil rng (in order, as for
// evaluation) is keyed 0 and augments alike every time.
//
// A panic in an Augmentation is recovered and ends the stream with an error naming
// where it panicked, with any number of workers.
func Augment(src Source, cfg AugmentConfig, augs ...Augmentation) (Source, error) {
	fs := src.FeatureShape()
	if len(fs) != 3 {
		return nil, errors.Errorf("data: augment: examples of shape %v, want (C, H, W) (MNISTConfig.Shape4D loads MNIST so)", fs)
	}
	if len(augs) == 0 {
		return nil, errors.New("data: augment: no augmentations, want at least one")
	}
	if cfg.Workers < 0 {
		return nil, errors.Errorf("data: augment: Workers = %d, want >= 0", cfg.Workers)
	}
	shapes := [][3]int{{fs[0], fs[1], fs[2]}}
	for i, a := range augs {
		if a == nil {
			return nil, errors.Errorf("data: augment: augmentation %d is nil", i)
		}
		out, err := a.Shape(shapes[i])
		if err != nil {
			return nil, errors.Wrapf(err, "data: augment: augmentation %d (%T) on examples of shape %v", i, a, shapes[i])
		}
		if out[0] < 1 || out[1] < 1 || out[2] < 1 {
			return nil, errors.Errorf("data: augment: augmentation %d (%T) gives examples of shape %v, want sizes >= 1", i, a, out)
		}
		shapes = append(shapes, out)
	}
	scratch := 0
	for _, s := range shapes {
		scratch = max(scratch, size3(s))
	}
	return augmented{Source: src, cfg: cfg, augs: append([]Augmentation(nil), augs...), shapes: shapes, scratch: scratch}, nil
}

type augmented struct {
	Source
	cfg     AugmentConfig
	augs    []Augmentation
	shapes  [][3]int // shapes[i] is the input of augs[i]; the last is the output
	scratch int      // elements of the largest shape
}

func (a augmented) FeatureShape() []int {
	s := a.shapes[len(a.shapes)-1]
	return []int{s[0], s[1], s[2]}
}

// augJob is one batch's work for a worker: examples [lo, hi).
type augJob struct {
	in, out *tensor.Dense
	index   []int
	base    int // position in the pass of the batch's first example
	lo, hi  int
	err     *error
	wg      *sync.WaitGroup
}

func (a augmented) Stream(batchSize int, rng *rand.Rand) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		var pass uint64
		if rng != nil {
			pass = rng.Uint64()
		}
		key := mix64(a.cfg.Seed ^ mix64(pass))
		workers := max(a.cfg.Workers, 1)
		var jobs chan augJob
		var running sync.WaitGroup
		if workers > 1 {
			jobs = make(chan augJob)
			for range workers {
				running.Add(1)
				go func() {
					defer running.Done()
					w := a.newWorker(key)
					for j := range jobs {
						*j.err = w.run(j)
						j.wg.Done()
					}
				}()
			}
			defer func() {
				close(jobs)
				running.Wait()
			}()
		}
		inline := a.newWorker(key)
		errs := make([]error, workers)
		var bufs [2]*tensor.Dense // full-size and partial outputs
		base := 0
		for b, err := range a.Source.Stream(batchSize, rng) {
			if err != nil {
				yield(Batch{}, err)
				return
			}
			n := b.X.Shape()[0]
			k := 0
			if n != batchSize {
				k = 1
			}
			if bufs[k] == nil || bufs[k].Shape()[0] != n || bufs[k].Dtype() != b.X.Dtype() {
				bufs[k] = tensor.New(tensor.Of(b.X.Dtype()), tensor.WithShape(append([]int{n}, a.FeatureShape()...)...))
			}
			job := augJob{in: b.X, out: bufs[k], index: b.Index, base: base, lo: 0, hi: n, err: &errs[0]}
			if workers == 1 {
				errs[0] = inline.run(job)
			} else {
				var wg sync.WaitGroup
				for w := range workers {
					job.lo, job.hi, job.err, job.wg = w*n/workers, (w+1)*n/workers, &errs[w], &wg
					wg.Add(1)
					jobs <- job
				}
				wg.Wait()
			}
			for _, err := range errs { // the first chunk's error first, whoever ran it
				if err != nil {
					yield(Batch{}, err)
					return
				}
			}
			base += n
			if !yield(Batch{X: bufs[k], T: b.T, Index: b.Index}, nil) {
				return
			}
		}
	}
}

// augWorker holds one goroutine's generator and scratch buffers.
type augWorker struct {
	a    *augmented
	key  uint64
	pcg  *rand.PCG
	rng  *rand.Rand
	x, y []float64
}

func (a augmented) newWorker(key uint64) *augWorker {
	pcg := rand.NewPCG(0, 0)
	return &augWorker{a: &a, key: key, pcg: pcg, rng: rand.New(pcg),
		x: make([]float64, a.scratch), y: make([]float64, a.scratch)}
}

// run augments examples [j.lo, j.hi) of j.in into j.out, turning a panic of an
// Augmentation into an error.
func (w *augWorker) run(j augJob) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = recoveredError("data: augment: an augmentation", v)
		}
	}()
	a := w.a
	inSize, outSize := size3(a.shapes[0]), size3(a.shapes[len(a.shapes)-1])
	for i := j.lo; i < j.hi; i++ {
		id := j.base + i
		if j.index != nil {
			id = j.index[i]
		}
		w.pcg.Seed(w.key, mix64(uint64(id)^0x9e3779b97f4a7c15))
		x, y := w.x[:inSize], w.y
		readExample(x, j.in, i*inSize)
		for s, aug := range a.augs {
			y = y[:size3(a.shapes[s+1])]
			aug.Apply(y, x, a.shapes[s], w.rng)
			x, y = y, x[:cap(x)]
		}
		writeExample(j.out, i*outSize, x)
	}
	return nil
}

func readExample(dst []float64, t *tensor.Dense, off int) {
	if t.Dtype() == tensor.Float32 {
		for i, v := range t.Float32s()[off : off+len(dst)] {
			dst[i] = float64(v)
		}
		return
	}
	copy(dst, t.Float64s()[off:off+len(dst)])
}

func writeExample(t *tensor.Dense, off int, src []float64) {
	if t.Dtype() == tensor.Float32 {
		dst := t.Float32s()[off : off+len(src)]
		for i, v := range src {
			dst[i] = float32(v)
		}
		return
	}
	copy(t.Float64s()[off:off+len(src)], src)
}

// mix64 is SplitMix64's finaliser (Steele, Lea and Flood, 2014): it spreads nearby
// seeds (a pass key, consecutive indices) over the whole 64-bit range.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func size3(s [3]int) int { return s[0] * s[1] * s[2] }
