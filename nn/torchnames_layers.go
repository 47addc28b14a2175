package nn

import "github.com/gradflow/gradflow/graph"

// The PyTorch state_dict entries of the nn layers (see TorchModule). Layers whose
// Params are named and laid out as PyTorch's declare them as they are.

var (
	_ TorchModule = (*Linear)(nil)
	_ TorchModule = (*Conv1D)(nil)
	_ TorchModule = (*Conv2D)(nil)
	_ TorchModule = (*BatchNorm)(nil)
	_ TorchModule = (*LayerNorm)(nil)
	_ TorchModule = (*RMSNorm)(nil)
	_ TorchModule = (*Embedding)(nil)
	_ TorchModule = (*RNN)(nil)
	_ TorchModule = (*LSTM)(nil)
	_ TorchModule = (*GRU)(nil)
	_ TorchModule = (*MultiHeadAttention)(nil)
	_ TorchModule = (*Dropout)(nil)
	_ TorchModule = (*Flatten)(nil)
	_ TorchModule = (*Reshape)(nil)
	_ TorchModule = (*Pool2D)(nil)
	_ TorchModule = (*GlobalAvgPool2D)(nil)
)

// TorchState declares "weight", stored transposed ((Out, In) in PyTorch), and "bias".
func (l *Linear) TorchState() []TorchTensor {
	out := []TorchTensor{{Key: l.Weight.Name(), Param: l.Weight, Transpose: true}}
	return append(out, torchParam(l.Bias)...)
}

// TorchState declares "weight" (Out, In, Kernel) and "bias", PyTorch's layout.
func (l *Conv1D) TorchState() []TorchTensor { return torchParams(l.Weight, l.Bias) }

// TorchState declares "weight" (Out, In, kH, kW) and "bias", PyTorch's layout.
func (l *Conv2D) TorchState() []TorchTensor { return torchParams(l.Weight, l.Bias) }

// TorchState declares "weight", "bias", "running_mean", "running_var" and PyTorch's
// int64 scalar "num_batches_tracked", which gradflow does not keep (its Momentum is
// never None): a load checks and drops it, a save writes 0.
func (l *BatchNorm) TorchState() []TorchTensor {
	out := torchParams(l.Weight, l.Bias, l.RunningMean, l.RunningVar)
	return append(out, TorchTensor{Key: join(l.name, "num_batches_tracked"), Shape: []int{}, DType: "I64", Optional: true})
}

// TorchState declares "weight" and "bias" (none with NoAffine).
func (l *LayerNorm) TorchState() []TorchTensor { return torchParams(l.Weight, l.Bias) }

// TorchState declares "weight" (none with NoAffine), as PyTorch's nn.RMSNorm.
func (l *RMSNorm) TorchState() []TorchTensor { return torchParams(l.Weight) }

// TorchState declares "weight" (Num, Dim).
func (e *Embedding) TorchState() []TorchTensor { return torchParams(e.Weight) }

// recurrentTorch names a single-layer recurrent network's Params as PyTorch's first
// layer: "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0".
func recurrentTorch(p recurrentParams) []TorchTensor {
	var out []TorchTensor
	for _, e := range []struct {
		p    *graph.Param
		name string
	}{{p.wih, "weight_ih_l0"}, {p.whh, "weight_hh_l0"}, {p.bih, "bias_ih_l0"}, {p.bhh, "bias_hh_l0"}} {
		out = append(out, torchRenamed(e.p, e.name)...)
	}
	return out
}

// TorchState declares PyTorch's nn.RNN names for layer 0 ("weight_ih_l0", ...).
func (l *RNN) TorchState() []TorchTensor { return recurrentTorch(l.params()) }

// TorchState declares PyTorch's nn.LSTM names for layer 0 ("weight_ih_l0", ...).
func (l *LSTM) TorchState() []TorchTensor { return recurrentTorch(l.params()) }

// TorchState declares PyTorch's nn.GRU names for layer 0 ("weight_ih_l0", ...).
func (l *GRU) TorchState() []TorchTensor { return recurrentTorch(l.params()) }

// TorchState declares "in_proj_weight" (3*Embed, Embed), "in_proj_bias",
// "out_proj/weight" and "out_proj/bias", PyTorch's layout.
func (a *MultiHeadAttention) TorchState() []TorchTensor {
	return torchParams(a.InProjWeight, a.InProjBias, a.OutProjWeight, a.OutProjBias)
}

// TorchState declares nothing: dropout has no state.
func (*Dropout) TorchState() []TorchTensor { return nil }

// TorchState declares nothing.
func (*Flatten) TorchState() []TorchTensor { return nil }

// TorchState declares nothing.
func (*Reshape) TorchState() []TorchTensor { return nil }

// TorchState declares nothing.
func (*Pool2D) TorchState() []TorchTensor { return nil }

// TorchState declares nothing.
func (*GlobalAvgPool2D) TorchState() []TorchTensor { return nil }

func (l *Linear) scope() string             { return l.name }
func (l *Conv1D) scope() string             { return l.name }
func (l *Conv2D) scope() string             { return l.name }
func (l *BatchNorm) scope() string          { return l.name }
func (l *LayerNorm) scope() string          { return l.name }
func (l *RMSNorm) scope() string            { return l.name }
func (e *Embedding) scope() string          { return e.name }
func (l *RNN) scope() string                { return l.name }
func (l *LSTM) scope() string               { return l.name }
func (l *GRU) scope() string                { return l.name }
func (a *MultiHeadAttention) scope() string { return a.name }
