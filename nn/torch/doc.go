// Package torch moves weights between gradflow models and PyTorch: Load reads a
// PyTorch state_dict (a safetensors file, or a torch.save .pt/.pth file in the zip or
// the legacy format) into a model of gradflow layers, and Save writes a model's
// weights as a safetensors state_dict that module.load_state_dict(..., strict=True)
// accepts for the equivalent PyTorch module.
//
// Names and layouts come from the layers (nn.TorchModule, nn.TorchState): a
// Sequential, a Residual or a user's struct of gradflow layers maps by its structure
// ("0.weight", "lstm.weight_ih_l0", "bn.num_batches_tracked"), Linear weights are
// transposed, and no table is written by hand. A load is strict: every missing,
// unexpected, misshapen or mistyped entry is reported at once in a *LoadError and no
// Param changes. Options rename the file's keys by pattern (Rename), leave entries
// out (Skip), accept float16 and bfloat16 files (Cast) and name the model's scope
// (Scope).
//
// A torch.save file is a pickle, and loading a pickle in Python runs whatever code it
// names. This package runs none: the pickle's opcodes are scanned first, every
// length is checked against the file, and only the globals a state_dict needs (the
// ordered dict, torch's tensor rebuild functions and typed storages) resolve, to Go
// values of this package; anything else is a *ForbiddenGlobalError and nothing is
// loaded. See docs/interop.md.
//
//	model, _ := nn.NewSequential(s.Sub("mlp"), nn.LinearConfig{In: 4, Out: 8, Activation: nn.ReLU}, nn.LinearConfig{In: 8, Out: 2})
//	err := torch.Load("mlp.pt", model)   // torch.save(nn.Sequential(...).state_dict(), "mlp.pt")
//	err = torch.Save("mlp.safetensors", model)
package torch
