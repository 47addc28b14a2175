package train

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Predict returns the model's output for the batch x (shape (N, features...)) in
// evaluation mode. The result is a new tensor that the caller owns. The graph for
// each batch size is traced once and reused.
func (t *Trainer) Predict(x *tensor.Dense) (*tensor.Dense, error) {
	done, err := t.guard.enter("Predict")
	if err != nil {
		return nil, err
	}
	defer done()
	if x == nil || x.Dims() == 0 {
		return nil, errors.New("train: Predict: want a batch of shape (N, features...)")
	}
	if x.Dtype() != t.params[0].DType() {
		return nil, errors.Errorf("train: Predict: input dtype %v, model has %v", x.Dtype(), t.params[0].DType())
	}
	key := predictKey(x.Shape())
	p, ok := t.predictors[key]
	if !ok {
		g := graph.New(x.Dtype(), graph.Eval, graph.GraphSeed(t.cfg.Seed))
		in, err := g.Input("x", x.Shape()...)
		if err != nil {
			return nil, errors.Wrap(err, "train: Predict")
		}
		out, err := nn.Forward(t.model, g, in)
		if err != nil {
			return nil, errors.Wrapf(err, "train: Predict: input shape %v", x.Shape())
		}
		m, err := graph.Compile(g, graph.Outputs(out))
		if err != nil {
			return nil, errors.Wrap(err, "train: Predict")
		}
		p = &program{m: m, x: in, out: out}
		t.predictors[key] = p
	}
	if err := p.m.Run(graph.Feeds{p.x: x}); err != nil {
		return nil, errors.Wrap(err, "train: Predict")
	}
	out, err := p.m.Output(p.out)
	if err != nil {
		return nil, err
	}
	return out.Clone().(*tensor.Dense), nil
}

func predictKey(shape tensor.Shape) string { return fmt.Sprint([]int(shape)) }
