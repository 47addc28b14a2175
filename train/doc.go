// Package train fits models: optimizers, learning-rate schedules, gradient clipping
// and accumulation, the Trainer with its Fit loop, callbacks, streaming metrics,
// progress reporting, checkpoints and training-health monitoring. The sub-package
// data holds datasets, streaming sources and loaders.
//
// Optimizers (SGD, Adam, AdamW, RMSProp, Adagrad) match PyTorch 1.13 step for step;
// their state is keyed by parameter name, updated in place with no allocation per
// step, and exportable (StatefulOptimizer). Groups and NoWeightDecay give
// per-parameter options. Schedules (StepLR, MultiStepLR, ExponentialLR,
// CosineAnnealingLR, WarmupCosineLR, OneCycleLR) match torch.optim.lr_scheduler;
// ReduceLROnPlateau is a Callback.
//
// Fit streams batches from a data.Source, stops with an error naming the step and
// the param when a loss or gradient is not finite, calls Callbacks (EarlyStopping,
// BestCheckpoint, CSVLogger, JSONLogger, HealthMonitor, CallbackFuncs) and records a
// History that can be written as CSV and plotted as PNG. Checkpoints are safetensors
// files holding everything needed to resume bit for bit.
//
// Usage:
//
//	trainer, err := train.New(model, train.Config{
//		Loss:      nn.SoftmaxCrossEntropy,
//		Optimizer: train.AdamW{LR: 1e-3, WeightDecay: 1e-2},
//		Schedule:  train.CosineAnnealingLR{TMax: 10},
//		BatchSize: 128, Epochs: 10, Seed: 1,
//		Metrics:   []train.Metric{&train.F1{}},
//		Callbacks: []train.Callback{&train.EarlyStopping{Patience: 3, RestoreBest: true}},
//	})
//	history, err := trainer.Fit(ctx, trainSet, valSet)
//	err = trainer.SaveCheckpoint("run.safetensors")
//
// docs/training.md describes all of it.
package train
