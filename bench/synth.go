package bench

import (
	"github.com/gradflow/gradflow/train/data"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Synthetic data of the lstm and transformer workloads. Every system must train on the
// same examples, so the data comes from a generator simple enough to write twice
// identically: value i of a stream is SplitMix64's output function (Steele, Lea &
// Flood, 2014, "Fast splittable pseudorandom number generators") applied to
// stream + (i+1)·0x9E3779B97F4A7C15, its top 53 bits scaled to [0, 1). It needs no
// state, so bench/reference/worker.py computes whole arrays of it with numpy's
// wrapping uint64 arithmetic (synth_uniform there) and gets the same bits;
// TestSynthMatchesPython checks that.

// Purposes of the synthetic streams, one stream each: synthStream(seed, purpose).
const (
	streamLSTMTokens = 1 + iota
	streamLSTMLabels
	streamLSTMMarkerPos
	streamTFInputs
	streamTFLabels
	streamTFDirection
)

// synthStream is the stream of purpose k for the run's seed.
func synthStream(seed, k uint64) uint64 { return seed<<16 | k }

// synthUniform returns values start, start+1, ... start+n-1 of stream, in [0, 1).
func synthUniform(stream uint64, start, n int) []float64 {
	u := make([]float64, n)
	for i := range u {
		z := stream + uint64(start+i+1)*0x9E3779B97F4A7C15
		z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		z ^= z >> 31
		u[i] = float64(z>>11) / (1 << 53)
	}
	return u
}

// lstmMarker is the token whose presence makes a sequence's label 1. Other tokens
// are drawn from [lstmMarker+1, vocab); 0 is left unused (padding, by convention).
const lstmMarker = 1

// lstmTokens returns n sequences of seq token ids (row-major, as float32, the form
// nn.Embedding takes) and their labels: each sequence is uniform over the ids
// 2..vocab-1, and half of them (label 1, drawn per sequence) get lstmMarker at one
// uniformly drawn position. The label is thus whether the marker appears, which an
// LSTM learns only by carrying it in its state to the last step.
func lstmTokens(seed uint64, n, seq, vocab int) ([]float32, []int) {
	tok := synthUniform(synthStream(seed, streamLSTMTokens), 0, n*seq)
	lab := synthUniform(synthStream(seed, streamLSTMLabels), 0, n)
	pos := synthUniform(synthStream(seed, streamLSTMMarkerPos), 0, n)
	ids := make([]float32, n*seq)
	labels := make([]int, n)
	for i, u := range tok {
		ids[i] = float32(lstmMarker + 1 + int(u*float64(vocab-lstmMarker-1)))
	}
	for i := range labels {
		if lab[i] < 0.5 {
			labels[i] = 1
			ids[i*seq+int(pos[i]*float64(seq))] = lstmMarker
		}
	}
	return ids, labels
}

// tfInputs returns n sequences of seq vectors of width dim (row-major float32) and
// their labels: uniform noise in [-1, 1) plus ±signal·v at every position, v a fixed
// direction drawn from [-1, 1)^dim and the sign the label (drawn per sequence). The
// mean over the sequence separates the classes up to its noise: with signal 0.02 and
// dim 128, the rule sign(mean·v) is right on 96.9% of the transformer workload's test
// set (seed 1).
func tfInputs(seed uint64, n, seq, dim int, signal float64) ([]float32, []int) {
	lab := synthUniform(synthStream(seed, streamTFLabels), 0, n)
	v := synthUniform(synthStream(seed, streamTFDirection), 0, dim)
	for d := range v {
		v[d] = 2*v[d] - 1
	}
	x := make([]float32, n*seq*dim)
	labels := make([]int, n)
	stream := synthStream(seed, streamTFInputs)
	for i := range labels {
		s := -signal
		if lab[i] < 0.5 {
			labels[i], s = 1, signal
		}
		u := synthUniform(stream, i*seq*dim, seq*dim)
		row := x[i*seq*dim : (i+1)*seq*dim]
		for j := range row {
			// The conversions round each product as numpy does: they forbid
			// the compiler to fuse a multiply and an add (Go spec, "Arithmetic operators").
			row[j] = float32(float64(2*u[j]-1) + float64(s*v[j%dim]))
		}
	}
	return x, labels
}

// splitSets makes training and test Datasets of two classes from the first nTrain
// examples of x (shape (N, feat...)) and the rest.
func splitSets(x []float32, labels []int, nTrain int, feat ...int) (trainSet, testSet *data.Dataset, err error) {
	size := len(x) / len(labels)
	mk := func(lo, hi int) (*data.Dataset, error) {
		shape := append([]int{hi - lo}, feat...)
		t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(x[lo*size:hi*size]))
		return data.New(t, labels[lo:hi], 2)
	}
	if trainSet, err = mk(0, nTrain); err != nil {
		return nil, nil, errors.Wrap(err, "bench: synthetic training set")
	}
	if testSet, err = mk(nTrain, len(labels)); err != nil {
		return nil, nil, errors.Wrap(err, "bench: synthetic test set")
	}
	return trainSet, testSet, nil
}
