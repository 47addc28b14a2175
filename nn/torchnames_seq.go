package nn

// The PyTorch state_dict entries of the nn containers (see TorchModule): each is its
// layers' entries. A Sequential's positions already count as nn.Sequential's (a
// Linear with an Activation takes two), so its layers' names are PyTorch's.

var (
	_ TorchModule = (*Sequential)(nil)
	_ TorchModule = (*Residual)(nil)
	_ TorchModule = (*TransformerEncoderLayer)(nil)
)

// TorchState declares its layers' entries, in layer order.
func (s *Sequential) TorchState() []TorchTensor { return torchOf(s.Layers...) }

// TorchState declares Inner's entries ("inner/<i>/...") and Projection's
// ("proj/<i>/..."): a PyTorch module with attributes inner and proj, each an
// nn.Sequential.
func (r *Residual) TorchState() []TorchTensor { return torchOf(r.Inner, r.Projection) }

// TorchState declares the entries of PyTorch's nn.TransformerEncoderLayer:
// "self_attn/...", "linear1/..." and "linear2/..." (weights transposed),
// "norm1/..." and "norm2/...".
func (l *TransformerEncoderLayer) TorchState() []TorchTensor {
	return torchOf(l.SelfAttn, l.Linear1, l.Linear2, l.Norm1, l.Norm2)
}

func (s *Sequential) scope() string              { return s.name }
func (r *Residual) scope() string                { return r.name }
func (l *TransformerEncoderLayer) scope() string { return l.name }
