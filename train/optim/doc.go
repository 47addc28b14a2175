// Package optim holds gradflow's optimizers, per-parameter option groups, gradient
// clipping and learning-rate schedules: everything that turns gradients into
// updates, with no training loop. train.Trainer drives them; they can also be
// stepped by hand after graph.Machine.Run has filled the gradients.
//
// The optimizers (SGD, Adam, AdamW, RMSProp, Adagrad) match PyTorch 1.13 step for
// step. A Config (the hyperparameters, held by value, zero fields taking documented
// defaults) builds an Optimizer with NewOptimizer, which rejects invalid values with
// an error naming the field. An Optimizer updates the trainable params in place,
// in their own dtype, with no allocation per step after the first; its state is
// keyed by parameter name, never by position, and can be exported and restored
// (Stateful, ParamState), as checkpoints do.
//
// Groups and NoWeightDecay give per-parameter options, selecting params with a
// Matcher (ByKind, ByName). ClipGradValue and ClipGradNorm clip gradients as
// torch.nn.utils does. The schedules (StepLR, MultiStepLR, ExponentialLR,
// CosineAnnealingLR, WarmupCosineLR, OneCycleLR) give the rate in closed form and
// match torch.optim.lr_scheduler; Plateau is ReduceLROnPlateau's rule, driven by a
// metric (train.ReduceLROnPlateau feeds it once per epoch).
//
// Usage, in a Trainer:
//
//	trainer, err := train.New(model, train.Config{
//		Loss:      nn.SoftmaxCrossEntropy,
//		Optimizer: optim.NoWeightDecay(optim.AdamW{LR: 1e-3, WeightDecay: 1e-2}, optim.ByKind(graph.Bias)),
//		Schedule:  optim.CosineAnnealingLR{TMax: 10},
//	})
//
// or by hand:
//
//	opt, err := optim.Adam{LR: 1e-3}.NewOptimizer()
//	err = m.Run(feeds)          // fills each param's gradient
//	err = opt.Step(params)      // updates the params in place
//	opt.SetLR(schedule.LR(1e-3, epoch))
//
// docs/training.md describes all of it.
package optim
