package nn

import (
	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Loss compares a model's output with its target and returns a scalar node, the mean
// loss over the batch. It returns an error naming both shapes when they do not fit.
type Loss func(g *graph.Graph, output, target *gorgonia.Node) (*gorgonia.Node, error)

var (
	_ Loss = MSE
	_ Loss = SoftmaxCrossEntropy
	_ Loss = BCEWithLogits
)

// MSE is the mean squared error mean((output - target)²) over every element
// (PyTorch's MSELoss with reduction "mean"). output and target have the same shape.
func MSE(_ *graph.Graph, output, target *gorgonia.Node) (l *gorgonia.Node, err error) {
	if err := sameShape("mse", output, target); err != nil {
		return nil, err
	}
	d, err := gorgonia.Sub(output, target)
	if err != nil {
		return nil, errors.Wrap(err, "nn: mse")
	}
	sq, err := gorgonia.Square(d)
	if err != nil {
		return nil, errors.Wrap(err, "nn: mse")
	}
	if l, err = gorgonia.Mean(sq); err != nil {
		return nil, errors.Wrap(err, "nn: mse")
	}
	return l, nil
}

// SoftmaxCrossEntropy is the mean over the batch of -log softmax(logits)[label], for
// logits of shape (N, C) and integer class labels of shape (N) (stored in the logits'
// dtype). It is one fused, numerically stable op (ops.SoftmaxCrossEntropy): apply it to
// raw logits, not to a Softmax output. PyTorch's CrossEntropyLoss.
func SoftmaxCrossEntropy(_ *graph.Graph, logits, labels *gorgonia.Node) (l *gorgonia.Node, err error) {
	if logits == nil || labels == nil {
		return nil, errors.New("nn: softmax cross-entropy: nil node")
	}
	ls, ts := logits.Shape(), labels.Shape()
	if len(ls) != 2 || len(ts) != 1 || ts[0] != ls[0] {
		return nil, errors.Errorf("nn: softmax cross-entropy: logits shape %v and labels shape %v, want (N, C) and (N)", ls, ts)
	}
	if l, err = ops.SoftmaxCrossEntropy(logits, labels); err != nil {
		return nil, errors.Wrap(err, "nn: softmax cross-entropy")
	}
	return l, nil
}

// BCEWithLogits is the binary cross-entropy of sigmoid(logits) against targets in
// [0, 1], averaged over every element, computed from the logits so that it is stable
// for large logits (ops.BCEWithLogits). PyTorch's BCEWithLogitsLoss.
func BCEWithLogits(_ *graph.Graph, logits, targets *gorgonia.Node) (l *gorgonia.Node, err error) {
	if err := sameShape("bce with logits", logits, targets); err != nil {
		return nil, err
	}
	if l, err = ops.BCEWithLogits(logits, targets); err != nil {
		return nil, errors.Wrap(err, "nn: bce with logits")
	}
	return l, nil
}

func sameShape(what string, a, b *gorgonia.Node) error {
	if a == nil || b == nil {
		return errors.Errorf("nn: %s: nil node", what)
	}
	if !a.Shape().Eq(b.Shape()) {
		return errors.Errorf("nn: %s: output shape %v and target shape %v differ", what, a.Shape(), b.Shape())
	}
	return nil
}
