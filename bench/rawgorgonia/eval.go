package rawgorgonia

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// evalGraph is a forward-only graph of one batch size bound to the training weights.
type evalGraph struct {
	vm   gorgonia.VM
	xbuf *tensor.Dense
	out  gorgonia.Value
}

// Accuracy returns the fraction of the examples (features x32 or x64, row-major) whose
// predicted class equals its label: the largest logit, or logit > 0 for one output. It
// runs a forward-only graph of batch examples at a time, built on first use and bound
// to the current weights; len(labels) must be a multiple of batch.
func (c *Classifier) Accuracy(x32 []float32, x64 []float64, labels []int, batch int) (acc float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("rawgorgonia: gorgonia panicked: %v", r)
		}
	}()
	in, out := c.cfg.inputs(), c.cfg.Sizes[len(c.cfg.Sizes)-1]
	n := len(labels)
	if batch < 1 || n == 0 || n%batch != 0 || max(len(x32), len(x64)) != n*in {
		return 0, errors.Errorf("rawgorgonia: accuracy: %d labels, batch %d, %d features: want a multiple of the batch and %d inputs each",
			n, batch, max(len(x32), len(x64)), in)
	}
	e, err := c.evalGraph(batch)
	if err != nil {
		return 0, err
	}
	feats := features(c.cfg.DType, x32, x64)
	correct := 0
	for lo := 0; lo < n; lo += batch {
		switch f := feats.(type) {
		case []float32:
			copy(e.xbuf.Float32s(), f[lo*in:(lo+batch)*in])
		case []float64:
			copy(e.xbuf.Float64s(), f[lo*in:(lo+batch)*in])
		}
		e.vm.Reset()
		if err := e.vm.RunAll(); err != nil {
			return 0, errors.Wrap(err, "rawgorgonia: accuracy")
		}
		logits := asFloat64s(e.out.Data())
		for i := 0; i < batch; i++ {
			row := logits[i*out : (i+1)*out]
			pred := 0
			if out == 1 {
				if row[0] > 0 {
					pred = 1
				}
			} else {
				for j, v := range row {
					if v > row[pred] {
						pred = j
					}
				}
			}
			if pred == labels[lo+i] {
				correct++
			}
		}
	}
	return float64(correct) / float64(n), nil
}

func (c *Classifier) evalGraph(batch int) (*evalGraph, error) {
	if e, ok := c.evals[batch]; ok {
		return e, nil
	}
	g := gorgonia.NewGraph()
	e := &evalGraph{xbuf: tensor.New(tensor.Of(c.cfg.DType), tensor.WithShape(c.cfg.inputShape(batch)...))}
	x := gorgonia.NewTensor(g, c.cfg.DType, e.xbuf.Dims(), gorgonia.WithShape(e.xbuf.Shape()...), gorgonia.WithName("x"), gorgonia.WithValue(e.xbuf))
	logits, err := c.forward(g, x, false)
	if err != nil {
		return nil, err
	}
	gorgonia.Read(logits, &e.out)
	e.vm = gorgonia.NewTapeMachine(g)
	if c.evals == nil {
		c.evals = map[int]*evalGraph{}
	}
	c.evals[batch] = e
	return e, nil
}

func asFloat64s(d any) []float64 {
	switch v := d.(type) {
	case []float64:
		return v
	case []float32:
		return convert[float64](v)
	}
	return nil
}
