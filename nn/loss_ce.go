package nn

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
)

// CrossEntropy returns PyTorch's CrossEntropyLoss with its options as a Loss:
// label smoothing, class weights, an ignored label (padding), mean or sum
// (ops.CrossEntropyOptions; the zero value is PyTorch's defaults). It takes logits
// (N, C) with labels (N), or a batch of sequences, logits (N, T, C) with labels
// (N, T), classes last. Invalid options are reported when the loss is built, at the
// first trace:
//
//	Loss: nn.CrossEntropy(ops.CrossEntropyOptions{LabelSmoothing: 0.1, IgnoreIndex: ops.Ignore(0)}),
func CrossEntropy(opt ops.CrossEntropyOptions) Loss {
	return func(_ *graph.Graph, logits, labels *gorgonia.Node) (*gorgonia.Node, error) {
		if logits == nil || labels == nil {
			return nil, errors.New("nn: cross-entropy: nil node")
		}
		l, err := ops.CrossEntropy(logits, labels, opt)
		return l, errors.Wrap(err, "nn: cross-entropy")
	}
}
