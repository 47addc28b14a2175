package data

import (
	"iter"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Prefetch returns a Source that reads src in a background goroutine, up to depth
// batches ahead of the consumer, so that loading and transforming the next batches
// overlaps training on the current one. Each batch is copied into one of depth+2
// buffers that the prefetcher owns (depth batches queued, one being filled, one held
// by the consumer). Stopping the iteration early stops the goroutine and waits for
// it. The order is src's: with the same rng state, the same batches.
//
// A panic in src (in its Stream or in a transform it runs) happens in the
// prefetcher's goroutine, where no caller could recover it: Prefetch recovers it and
// ends the stream with an error naming the function, file and line that panicked,
// after the batches that came before it.
func Prefetch(src Source, depth int) (Source, error) {
	if depth < 1 {
		return nil, errors.Errorf("data: prefetch: depth = %d, want >= 1", depth)
	}
	return prefetched{Source: src, depth: depth}, nil
}

type prefetched struct {
	Source
	depth int
}

type prefetchItem struct {
	b   Batch
	err error
}

func (p prefetched) Stream(batchSize int, rng *rand.Rand) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		ring := make([]Batch, p.depth+2)
		items := make(chan prefetchItem, p.depth)
		done := make(chan struct{})
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			defer close(items)
			defer func() {
				// A panic here would end the process: no caller can recover it.
				if v := recover(); v != nil {
					err := recoveredError("data: prefetch: the wrapped source", v)
					select {
					case items <- prefetchItem{err: err}:
					case <-done:
					}
				}
			}()
			k := 0
			for b, err := range p.Source.Stream(batchSize, rng) {
				var it prefetchItem
				if err != nil {
					it.err = err
				} else {
					it.b = copyBatch(&ring[k%len(ring)], b)
					k++
				}
				select {
				case items <- it:
				case <-done:
					return
				}
				if err != nil {
					return
				}
			}
		}()
		defer func() {
			close(done)
			<-finished
		}()
		for it := range items {
			if !yield(it.b, it.err) || it.err != nil {
				return
			}
		}
	}
}

// copyBatch copies b into dst's buffers, allocating them when the shapes differ.
func copyBatch(dst *Batch, b Batch) Batch {
	dst.X = copyInto(dst.X, b.X)
	dst.T = copyInto(dst.T, b.T)
	dst.Index = append(dst.Index[:0], b.Index...)
	if b.Index == nil {
		dst.Index = nil
	}
	return *dst
}

func copyInto(dst, src *tensor.Dense) *tensor.Dense {
	if src == nil {
		return nil
	}
	if dst == nil || dst.Dtype() != src.Dtype() || !dst.Shape().Eq(src.Shape()) {
		dst = tensor.New(tensor.Of(src.Dtype()), tensor.WithShape(src.Shape()...))
	}
	if src.Dtype() == tensor.Float32 {
		copy(dst.Float32s(), src.Float32s())
	} else {
		copy(dst.Float64s(), src.Float64s())
	}
	return dst
}
