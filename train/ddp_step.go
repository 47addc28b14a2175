package train

import (
	"context"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/dist"
)

// PyTorch DDP's default bucket sizes: the first bucket holds 1 MiB of gradients, so
// that communication starts early, the others 25 MiB (bucket_cap_mb).
const (
	firstBucketBytes = 1 << 20
	bucketBytes      = 25 << 20
)

// bucket is a flat buffer holding the gradients of some params, all-reduced at once.
type bucket struct {
	params []*graph.Param
	f32    []float32
	f64    []float64
}

// makeBuckets packs the trainable params' gradients in reverse order (the order the
// backward pass produces them, as DDP does), a new bucket starting when the next
// gradient would pass the bucket's size. The last bucket has one more element: the
// count of ranks whose loss was not finite.
func (t *Trainer) makeBuckets() {
	var bs []*bucket
	cur, size, capacity := &bucket{}, 0, firstBucketBytes
	elem := 4
	if t.params[0].DType() == graph.Float64 {
		elem = 8
	}
	for i := len(t.params) - 1; i >= 0; i-- {
		p := t.params[i]
		if !p.Trainable() || p.Grad() == nil {
			continue
		}
		if len(cur.params) > 0 && (size+p.Size())*elem > capacity {
			bs, cur, size, capacity = append(bs, cur), &bucket{}, 0, bucketBytes
		}
		cur.params = append(cur.params, p)
		size += p.Size()
	}
	bs = append(bs, cur)
	for i, b := range bs {
		n := 0
		for _, p := range b.params {
			n += p.Size()
		}
		if i == len(bs)-1 {
			n++
		}
		if elem == 4 {
			b.f32 = make([]float32, n)
		} else {
			b.f64 = make([]float64, n)
		}
	}
	t.ddp.buckets = bs
}

// reduceGradients replaces every trainable param's gradient by its mean over the
// ranks, copies rank 0's State params to every rank and checks, on every rank alike,
// that the losses and the mean gradients are finite. The buckets are all-reduced
// without blocking, so that packing a bucket overlaps the previous one's transfer.
func (t *Trainer) reduceGradients() error {
	d := t.ddp
	if d.comm.Size() == 1 { // the mean of one rank's gradients: nothing to send
		bad := d.badLoss
		d.badLoss = false
		if bad {
			return agreed(errors.New("loss is not finite on 1 of 1 ranks"))
		}
		return agreed(checkFiniteGrads(t.params))
	}
	start := time.Now()
	defer func() { d.commTime += time.Since(start) }()
	if d.buckets == nil {
		t.makeBuckets()
	}
	bad := 0.0
	if d.badLoss {
		bad = 1
	}
	d.badLoss = false
	reqs := make([]dist.Request, len(d.buckets))
	for i, b := range d.buckets {
		var buf any
		if b.f32 != nil {
			pack(b.f32, b.params, (*graph.Param).GradFloat32s, float32(bad))
			buf = b.f32
		} else {
			pack(b.f64, b.params, (*graph.Param).GradFloat64s, bad)
			buf = b.f64
		}
		q, err := d.comm.IAllReduceSum(buf)
		if err != nil {
			return errors.Wrap(err, "data parallel: gradient all-reduce")
		}
		reqs[i] = q
	}
	inv := 1 / float64(d.comm.Size())
	for i, b := range d.buckets {
		if err := reqs[i].Wait(); err != nil {
			return errors.Wrap(err, "data parallel: gradient all-reduce")
		}
		if b.f32 != nil {
			bad = float64(unpack(b.f32, b.params, (*graph.Param).GradFloat32s, float32(inv)))
		} else {
			bad = unpack(b.f64, b.params, (*graph.Param).GradFloat64s, inv)
		}
	}
	if err := t.broadcastBuffers(); err != nil {
		return err
	}
	if bad > 0 {
		return agreed(errors.Errorf("loss is not finite on %d of %d ranks", int(bad), d.comm.Size()))
	}
	return agreed(checkFiniteGrads(t.params))
}

// broadcastBuffers copies rank 0's State params (BatchNorm running statistics) to
// every rank, in one flat buffer.
func (t *Trainer) broadcastBuffers() error {
	d := t.ddp
	if len(d.bufs) == 0 {
		return nil
	}
	if d.flat == nil {
		d.flat = &bucket{params: d.bufs}
		n := 0
		for _, p := range d.bufs {
			n += p.Size()
		}
		if d.bufs[0].DType() == graph.Float32 {
			d.flat.f32 = make([]float32, n)
		} else {
			d.flat.f64 = make([]float64, n)
		}
	}
	b := d.flat
	var err error
	if b.f32 != nil {
		pack(b.f32, b.params, (*graph.Param).Float32s, 0)
		if err = d.comm.Broadcast(b.f32, 0); err == nil {
			unpack(b.f32, b.params, (*graph.Param).Float32s, 1)
		}
	} else {
		pack(b.f64, b.params, (*graph.Param).Float64s, 0)
		if err = d.comm.Broadcast(b.f64, 0); err == nil {
			unpack(b.f64, b.params, (*graph.Param).Float64s, 1)
		}
	}
	return errors.Wrap(err, "data parallel: broadcasting rank 0's buffers")
}

// pack copies the params' gradients into buf; the element after them, if any, is
// extra.
func pack[T float32 | float64](buf []T, params []*graph.Param, grad func(*graph.Param) []T, extra T) {
	off := 0
	for _, p := range params {
		off += copy(buf[off:], grad(p))
	}
	if off < len(buf) {
		buf[off] = extra
	}
}

// unpack sets the gradients to scale times the summed gradients and returns the
// summed extra element (0 if none).
func unpack[T float32 | float64](buf []T, params []*graph.Param, grad func(*graph.Param) []T, scale T) T {
	off := 0
	for _, p := range params {
		g := grad(p)
		for i := range g {
			g[i] = buf[off+i] * scale
		}
		off += len(g)
	}
	if off < len(buf) {
		return buf[off]
	}
	return 0
}

// AllReduceTime returns the time this rank has spent averaging gradients (packing,
// all-reduce, unpacking) and copying rank 0's buffers since New: 0 without
// Config.Comm. Divided by Step(), it is the communication time per step.
func (t *Trainer) AllReduceTime() time.Duration {
	if t.ddp == nil {
		return 0
	}
	return t.ddp.commTime
}

// agree is the ranks' common decision after a batch or an epoch: if any rank's
// context is cancelled, every rank stops with that error; if a callback on any rank
// asked to stop, every rank stops (with the first such rank's reason on that rank,
// and a note of it elsewhere).
func (t *Trainer) agree(st *Status) error {
	d := t.ddp
	c := d.comm
	mine := []float64{0, 0}
	if st.stop != "" {
		mine[0] = 1
	}
	if d.ctx.Err() != nil {
		mine[1] = 1
	}
	all := make([]float64, 2*c.Size())
	if err := c.AllGather(mine, all); err != nil {
		return errors.Wrap(err, "train: data parallel: agreeing on stopping")
	}
	for r := 0; r < c.Size(); r++ {
		if all[2*r+1] != 0 {
			err := d.ctx.Err()
			if err == nil {
				err = errors.Wrapf(context.Canceled, "on rank %d", r)
			}
			return agreed(errors.Wrapf(err, "train: Fit: epoch %d stopped (rank %d)", st.Epoch, r))
		}
	}
	for r := 0; r < c.Size(); r++ {
		if all[2*r] != 0 && st.stop == "" {
			st.Stop(fmt.Sprintf("stopped by a callback on rank %d", r))
		}
	}
	return nil
}

// reduceTrainMetrics replaces the epoch's training loss, accuracy, samples and rate
// by those over all ranks, and its extra metrics by rank 0's, so that every rank sees
// the same numbers (and takes the same decisions from them).
func (t *Trainer) reduceTrainMetrics(em *EpochMetrics, acc accumulator, start time.Time) error {
	c := t.ddp.comm
	tot, err := gatherSums(c, []float64{acc.lossSum, float64(acc.n), float64(acc.correct)})
	if err != nil {
		return errors.Wrap(err, "train: data parallel: reducing the training metrics")
	}
	g := accumulator{lossSum: tot[0], n: int(tot[1]), correct: int(tot[2]), classes: acc.classes}
	em.TrainLoss, em.TrainAccuracy, em.Samples = g.loss(), g.accuracy(), g.n
	elapsed := []float64{time.Since(start).Seconds()}
	if err := c.Broadcast(elapsed, 0); err != nil {
		return err
	}
	em.SamplesPerSec = float64(g.n) / elapsed[0]
	for _, m := range t.cfg.Metrics { // the same names, in order, on every rank
		v := []float64{em.Extra[m.Name()]}
		if err := c.Broadcast(v, 0); err != nil {
			return err
		}
		em.Extra[m.Name()] = v[0]
	}
	return nil
}

// gatherSums returns the sums over the ranks of x, added in rank order on every
// rank (the same bits everywhere, whatever the transport's reduction order).
func gatherSums(c dist.Communicator, x []float64) ([]float64, error) {
	all := make([]float64, len(x)*c.Size())
	if err := c.AllGather(x, all); err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	for r := 0; r < c.Size(); r++ {
		for i := range x {
			out[i] += all[r*len(x)+i]
		}
	}
	return out, nil
}

// indexed is a source with random access, which data parallelism shards.
type indexed interface {
	data.Source
	NewBatch(n int) (x, t *tensor.Dense)
	Batch(idx []int, x, t *tensor.Dense) error
}

// shard returns this rank's part of set: for training, PyTorch's DistributedSampler
// (reshuffled from Config.Seed and the epoch, unless NoShuffle; padded so every rank
// has as many examples); for evaluation, every Size()-th example from the rank's,
// unpadded, so that every example counts once.
func (t *Trainer) shard(set data.Source, training bool) (data.Source, error) {
	src, ok := set.(indexed)
	if !ok || isNilSource(set) {
		return nil, agreed(errors.Errorf("train: data parallel: the data set (%T) has no random access (Batch, NewBatch), which sharding needs; use a *data.Dataset", set))
	}
	c := t.ddp.comm
	s := &shardSource{indexed: src, t: t}
	if training {
		s.sampler = &dist.DistributedSampler{N: src.Len(), World: c.Size(), Rank: c.Rank(), Shuffle: !t.cfg.NoShuffle, Seed: t.cfg.Seed}
		s.n = s.sampler.NumSamples()
	} else {
		for i := c.Rank(); i < src.Len(); i += c.Size() {
			s.fixed = append(s.fixed, i)
		}
		s.n = len(s.fixed)
	}
	return s, nil
}

type shardSource struct {
	indexed
	t       *Trainer
	sampler *dist.DistributedSampler
	fixed   []int
	n       int
}

func (s *shardSource) Len() int { return s.n }

// Stream yields the rank's examples in the sampler's order for the trainer's
// current epoch; rng is ignored (the sampler's seed decides).
func (s *shardSource) Stream(batchSize int, _ *rand.Rand) iter.Seq2[data.Batch, error] {
	return func(yield func(data.Batch, error) bool) {
		idx := s.fixed
		if s.sampler != nil {
			var err error
			if idx, err = s.sampler.Indices(s.t.epoch); err != nil {
				yield(data.Batch{}, err)
				return
			}
		}
		if batchSize < 1 {
			yield(data.Batch{}, errors.Errorf("train: batch size %d", batchSize))
			return
		}
		var bufs [2]data.Batch
		for lo := 0; lo < len(idx); lo += batchSize {
			part := idx[lo:min(lo+batchSize, len(idx))]
			k := 0
			if len(part) != batchSize {
				k = 1
			}
			if bufs[k].X == nil {
				bufs[k].X, bufs[k].T = s.NewBatch(len(part))
			}
			b := bufs[k]
			if err := s.Batch(part, b.X, b.T); err != nil {
				yield(data.Batch{}, err)
				return
			}
			b.Index = part
			if !yield(b, nil) {
				return
			}
		}
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
