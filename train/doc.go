// Package train fits models: the Trainer with its Fit loop (gradient clipping and
// accumulation, learning-rate schedules), Evaluate and Predict, callbacks, streaming
// metrics, progress reporting, the History of a run, checkpoints of the whole
// training state and training-health records.
//
// The pieces it drives live in their own packages: train/optim holds the optimizers,
// parameter groups, clipping and schedules (optim.Adam, optim.NoWeightDecay,
// optim.CosineAnnealingLR, ...); graph saves and loads weights alone
// (graph.SaveParams, graph.LoadParams); train/plot draws a History and a
// HealthMonitor's records as PNG; train/data holds datasets, streaming sources and
// loaders. Importing train pulls in no plotting code.
//
// Fit streams batches from a data.Source, stops with an error naming the step and
// the param when a loss or gradient is not finite, calls Callbacks (EarlyStopping,
// BestCheckpoint, CSVLogger, JSONLogger, ReduceLROnPlateau, HealthMonitor,
// CallbackFuncs) and records a History that can be written as CSV. Checkpoints are
// safetensors files holding everything needed to resume bit for bit, checksummed and
// decoded strictly, written atomically.
//
// Mistakes are reported before training where they can be: New rejects a nil param
// and a monitored name that is no metric; tracing rejects a loss function returning
// no node and an output narrower than the classes; a Source yielding fewer examples
// than its Len is an error of Fit, and so is a second goroutine calling the Trainer
// while another call runs.
//
// Usage:
//
//	trainer, err := train.New(model, train.Config{
//		Loss:      nn.SoftmaxCrossEntropy,
//		Optimizer: optim.AdamW{LR: 1e-3, WeightDecay: 1e-2},
//		Schedule:  optim.CosineAnnealingLR{TMax: 10},
//		BatchSize: 128, Epochs: 10, Seed: 1,
//		Metrics:   []train.Metric{&train.F1{}},
//		Callbacks: []train.Callback{&train.EarlyStopping{Patience: 3, RestoreBest: true}},
//	})
//	history, err := trainer.Fit(ctx, trainSet, valSet)
//	err = trainer.SaveCheckpoint("run.safetensors")
//
// With Config.Comm (a train/dist Communicator: Open MPI or in-process ranks) Fit
// is data-parallel, as PyTorch's DistributedDataParallel (docs/distributed.md).
//
// docs/training.md describes all of it.
package train
