// Package train fits models: optimizers (state keyed by parameter name, updates in
// place), the Trainer with its Fit loop (epochs, seeded shuffling, mini-batches,
// evaluation on a held-out set, history and progress), and, in the sub-package data,
// datasets and loaders.
//
// Usage:
//
//	trainer, err := train.New(model, train.Config{
//		Loss:      nn.SoftmaxCrossEntropy,
//		Optimizer: train.Adam{LR: 1e-3},
//		BatchSize: 128, Epochs: 5, Seed: 1,
//	})
//	history, err := trainer.Fit(ctx, trainSet, testSet)
package train
