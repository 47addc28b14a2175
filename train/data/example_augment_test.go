package data_test

import (
	"fmt"
	"log"
	"math/rand/v2"
	"slices"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/train/data"
)

// Augment a tiny 1x3x3 image: pad by 1 and crop back to 3x3 at a random place,
// mirror half the time, then standardise. Each epoch (each pass with the trainer's
// generator) augments anew; the same seed and generator state give the same batches.
func ExampleAugment() {
	x := tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking([]float32{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}))
	ds, err := data.New(x, []int{0}, 1)
	if err != nil {
		log.Fatal(err)
	}
	src, err := data.Augment(ds, data.AugmentConfig{Seed: 1},
		data.RandomCrop{Size: 3, Padding: 1},
		data.HFlip{},
		data.ChannelNorm{Mean: []float64{0}, Std: []float64{1}})
	if err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(42, 0)) // the trainer's shuffle generator
	for epoch := range 5 {
		for b, err := range src.Stream(1, rng) {
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println("epoch", epoch, b.X.Float32s())
		}
	}
	// Output:
	// epoch 0 [0 4 5 0 7 8 0 0 0]
	// epoch 1 [0 0 0 0 1 2 0 4 5]
	// epoch 2 [0 1 2 0 4 5 0 7 8]
	// epoch 3 [2 1 0 5 4 0 8 7 0]
	// epoch 4 [5 4 0 8 7 0 0 0 0]
}

// Four workers augment the examples of each batch in parallel and yield the same
// batches, bit for bit, as one: each example's randomness comes from (seed, pass,
// index), never from a generator the workers share.
func ExampleAugmentConfig_workers() {
	ds := exampleImages(64, 3, 32, 32)
	augs := []data.Augmentation{
		data.RandomCrop{Size: 32, Padding: 4},
		data.HFlip{},
		data.ChannelNorm{Mean: []float64{0.49, 0.48, 0.45}, Std: []float64{0.25, 0.24, 0.26}},
	}
	epochs := func(workers int) [][]float32 {
		src, err := data.Augment(ds, data.AugmentConfig{Seed: 7, Workers: workers}, augs...)
		if err != nil {
			log.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 0))
		var out [][]float32
		for range 2 {
			for b, err := range src.Stream(16, rng) {
				if err != nil {
					log.Fatal(err)
				}
				out = append(out, slices.Clone(b.X.Float32s()))
			}
		}
		return out
	}
	one, four := epochs(1), epochs(4)
	same := len(one) == len(four)
	for i := range one {
		same = same && slices.Equal(one[i], four[i])
	}
	fmt.Println(len(one), "batches, the same with 1 and 4 workers:", same)
	// Output:
	// 8 batches, the same with 1 and 4 workers: true
}

// exampleImages returns n images of shape (c, h, w) with values in [0, 1).
func exampleImages(n, c, h, w int) *data.Dataset {
	rng := rand.New(rand.NewPCG(3, 0))
	v := make([]float32, n*c*h*w)
	for i := range v {
		v[i] = rng.Float32()
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % 10
	}
	ds, err := data.New(tensor.New(tensor.WithShape(n, c, h, w), tensor.WithBacking(v)), labels, 10)
	if err != nil {
		log.Fatal(err)
	}
	return ds
}
