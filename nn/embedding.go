package nn

import (
	"fmt"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// EmbeddingConfig configures an Embedding layer.
type EmbeddingConfig struct {
	Num, Dim int // vocabulary size and vector width, both > 0
	// Padding, when true, makes row PaddingIdx the padding vector: it starts at zero
	// and gets no gradient (PyTorch's padding_idx). PaddingIdx must be in [0, Num).
	Padding    bool
	PaddingIdx int
	Init       graph.Initializer // default N(0, 1), PyTorch's
}

// Embedding maps integer ids to learned vectors: out[..., :] = Weight[id, :]
// (PyTorch's nn.Embedding).
//
// Input: ids of shape (N) or (N, T) (any rank >= 1), integer values in [0, Num) stored
// as floats of the model's dtype (a batch of token ids from a data.Dataset); output:
// ids' shape followed by Dim, (N, Dim) or (N, T, Dim). An id that is not an integer in
// range makes the run fail with an error naming it. Ids get no gradient.
//
// Weight has shape (Num, Dim), named "<scope>/weight", drawn from N(0, 1). With
// Padding, row PaddingIdx is set to zero and receives no gradient, so it stays zero
// under any optimizer without decay coupled to the gradient; positions holding
// PaddingIdx output zeros. (PyTorch outputs the row, which only differs if the row is
// set by hand to something non-zero.)
type Embedding struct {
	Weight     *graph.Param
	Num, Dim   int
	Padding    bool
	PaddingIdx int
	name       string
}

var _ Layer = (*Embedding)(nil)
var _ LayerConfig = EmbeddingConfig{}

// NewEmbedding creates an Embedding layer in scope s.
func NewEmbedding(s *graph.Scope, cfg EmbeddingConfig) (*Embedding, error) {
	name := s.Name()
	if cfg.Num <= 0 {
		return nil, errors.Errorf("nn: embedding %q: Num = %d, want > 0", name, cfg.Num)
	}
	if cfg.Dim <= 0 {
		return nil, errors.Errorf("nn: embedding %q: Dim = %d, want > 0", name, cfg.Dim)
	}
	if cfg.Padding && (cfg.PaddingIdx < 0 || cfg.PaddingIdx >= cfg.Num) {
		return nil, errors.Errorf("nn: embedding %q: PaddingIdx = %d, want in [0, %d)", name, cfg.PaddingIdx, cfg.Num)
	}
	init := cfg.Init
	if init == nil {
		init = graph.Normal{Mean: 0, Std: 1}
	}
	w, err := s.Param("weight", graph.Weight, []int{cfg.Num, cfg.Dim}, init)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: embedding %q", name)
	}
	e := &Embedding{Weight: w, Num: cfg.Num, Dim: cfg.Dim, Padding: cfg.Padding, PaddingIdx: cfg.PaddingIdx, name: name}
	if e.Padding {
		lo, hi := cfg.PaddingIdx*cfg.Dim, (cfg.PaddingIdx+1)*cfg.Dim
		if f := w.Float32s(); f != nil {
			clear(f[lo:hi])
		} else {
			clear(w.Float64s()[lo:hi])
		}
	}
	return e, nil
}

// Build implements LayerConfig.
func (c EmbeddingConfig) Build(s *graph.Scope) (Layer, error) { return NewEmbedding(s, c) }

// Forward returns the vectors of the ids, shape ids.Shape() + (Dim).
func (e *Embedding) Forward(g *graph.Graph, ids *gorgonia.Node) (out *gorgonia.Node, err error) {
	if ids == nil {
		return nil, errors.Errorf("nn: embedding %q: nil input", e.name)
	}
	if ids.Shape().Dims() < 1 {
		return nil, errors.Errorf("nn: embedding %q: ids shape %v, want (N) or (N, T)", e.name, ids.Shape())
	}
	if ids.Shape().Dims() > 3 && e.Padding {
		return nil, errors.Errorf("nn: embedding %q: ids shape %v: with Padding at most 3 dims", e.name, ids.Shape())
	}
	w, err := g.Node(e.Weight)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: embedding %q", e.name)
	}
	if out, err = ops.Embedding(ids, w); err != nil {
		return nil, errors.Wrapf(err, "nn: embedding %q: ids shape %v", e.name, ids.Shape())
	}
	if !e.Padding {
		return out, nil
	}
	// keep is 1 for every id but PaddingIdx, looked up with the same op; the product
	// makes the padding positions' gradient, and so the padding row's, exactly zero.
	keep, err := e.keepMask(g, ids)
	if err != nil {
		return nil, errors.Wrapf(err, "nn: embedding %q", e.name)
	}
	if out, err = gorgonia.BroadcastHadamardProd(out, keep, nil, []byte{byte(ids.Shape().Dims())}); err != nil {
		return nil, errors.Wrapf(err, "nn: embedding %q: padding mask", e.name)
	}
	return out, nil
}

// keepMask returns a node of ids' shape that is 0 where an id is PaddingIdx and 1
// elsewhere.
func (e *Embedding) keepMask(g *graph.Graph, ids *gorgonia.Node) (*gorgonia.Node, error) {
	keep := make([]float64, e.Num)
	for i := range keep {
		keep[i] = 1
	}
	keep[e.PaddingIdx] = 0
	tn := constNode(g, "embedding/"+e.name+"/keep", []int{e.Num, 1}, keep)
	k, err := ops.Embedding(ids, tn) // ids' shape + (1)
	if err != nil {
		return nil, err
	}
	return gorgonia.Reshape(k, ids.Shape().Clone())
}

// Params returns [Weight].
func (e *Embedding) Params() []*graph.Param { return []*graph.Param{e.Weight} }

// String returns `embedding "<scope>"`, as errors name the layer.
func (e *Embedding) String() string { return fmt.Sprintf("embedding %q", e.name) }
