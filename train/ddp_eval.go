package train

import (
	"context"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train/data"
)

// evaluateDDP is Evaluate for a data-parallel Trainer: each rank evaluates every
// Size()-th example; the loss and accuracy are summed over the ranks, and the values
// of Config.Metrics are computed, on every rank alike, from every rank's outputs and
// targets (gathered in rank order), so that every example counts once.
func (t *Trainer) evaluateDDP(ctx context.Context, set data.Source) (Metrics, error) {
	if isNilSource(set) || set.Len() == 0 {
		return Metrics{}, agreed(errors.New("train: Evaluate: empty set"))
	}
	shard, err := t.shard(set, false)
	if err != nil {
		return Metrics{}, err
	}
	key, err := sourceKey(shard)
	if err != nil {
		return Metrics{}, errors.Wrap(err, "train: Evaluate")
	}
	var acc accumulator
	var outs, tgts []float64
	var outShape, tgtShape []int
	keep := len(t.cfg.Metrics) > 0
	for b, err := range shard.Stream(t.cfg.EvalBatchSize, nil) {
		if err != nil {
			return Metrics{}, errors.Wrap(err, "train: Evaluate")
		}
		p, err := t.program(shard, key, b.X.Shape()[0], graph.Eval)
		if err != nil {
			return Metrics{}, err
		}
		if err := p.m.Run(graph.Feeds{p.x: b.X, p.t: b.T}); err != nil {
			return Metrics{}, errors.Wrap(err, "train: Evaluate")
		}
		out, err := p.m.Output(p.out)
		if err != nil {
			return Metrics{}, err
		}
		if err := acc.add(out, b.T, p.m.Loss(), set.Classes()); err != nil {
			return Metrics{}, err
		}
		if keep {
			outs, tgts = appendValues(outs, out), appendValues(tgts, b.T)
			outShape, tgtShape = out.Shape()[1:], b.T.Shape()[1:]
		}
	}
	c := t.ddp.comm
	tot, err := gatherSums(c, []float64{acc.lossSum, float64(acc.n), float64(acc.correct)})
	if err != nil {
		return Metrics{}, errors.Wrap(err, "train: data parallel: reducing the validation metrics")
	}
	g := accumulator{lossSum: tot[0], n: int(tot[1]), correct: int(tot[2]), classes: set.Classes() > 0}
	res := Metrics{Loss: g.loss(), Accuracy: g.accuracy(), Samples: g.n}
	if !keep {
		return res, nil
	}
	metrics := freshMetrics(t.cfg.Metrics)
	if err := t.updateGathered(metrics, set.DType(), outs, tgts, acc.n, outShape, tgtShape); err != nil {
		return Metrics{}, errors.Wrap(err, "train: data parallel: gathering the validation outputs")
	}
	res.Computed, res.Extra = metrics, map[string]float64{}
	for _, m := range metrics {
		res.Extra[m.Name()] = m.Value()
	}
	return res, nil
}

// updateGathered gathers every rank's rows of outputs and targets (rows each, of the
// given trailing shapes: rank 0's are sent to all, as a rank may have none) and
// updates metrics with them, rank by rank.
func (t *Trainer) updateGathered(metrics []Metric, dt tensor.Dtype, outs, tgts []float64, rows int, outShape, tgtShape []int) error {
	c := t.ddp.comm
	shapes := make([]int64, 16)
	shapes[0], shapes[8] = int64(len(outShape)), int64(len(tgtShape))
	for i, v := range outShape {
		shapes[1+i] = int64(v)
	}
	for i, v := range tgtShape {
		shapes[9+i] = int64(v)
	}
	if len(outShape) > 7 || len(tgtShape) > 7 {
		return errors.Errorf("outputs of shape %v and targets of %v: at most 7 axes besides the batch", outShape, tgtShape)
	}
	if err := c.Broadcast(shapes, 0); err != nil {
		return err
	}
	dims := func(at int) []int {
		d := make([]int, shapes[at])
		for i := range d {
			d[i] = int(shapes[at+1+i])
		}
		return d
	}
	outShape, tgtShape = dims(0), dims(8)
	ow, tw := prod(outShape), prod(tgtShape)
	counts := make([]int64, c.Size())
	if err := c.AllGather([]int64{int64(rows)}, counts); err != nil {
		return err
	}
	most := 0
	for _, n := range counts {
		most = max(most, int(n))
	}
	pad := func(v []float64, w int) []float64 { return append(v, make([]float64, most*w-len(v))...) }
	allOut, allTgt := make([]float64, most*ow*c.Size()), make([]float64, most*tw*c.Size())
	if err := c.AllGather(pad(outs, ow), allOut); err != nil {
		return err
	}
	if err := c.AllGather(pad(tgts, tw), allTgt); err != nil {
		return err
	}
	for r, n := range counts {
		if n == 0 {
			continue
		}
		o := denseOf(dt, append([]int{int(n)}, outShape...), allOut[r*most*ow:][:int(n)*ow])
		tg := denseOf(dt, append([]int{int(n)}, tgtShape...), allTgt[r*most*tw:][:int(n)*tw])
		if err := updateMetrics(metrics, o, tg); err != nil {
			return err
		}
	}
	return nil
}

// appendValues appends the elements of a float32 or float64 tensor, widened.
func appendValues(dst []float64, d *tensor.Dense) []float64 {
	if d.Dtype() == tensor.Float32 {
		for _, v := range d.Float32s() {
			dst = append(dst, float64(v))
		}
		return dst
	}
	return append(dst, d.Float64s()...)
}

func prod(shape []int) int {
	n := 1
	for _, v := range shape {
		n *= v
	}
	return n
}
