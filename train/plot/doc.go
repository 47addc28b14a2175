// Package plot draws training runs as PNG images: the curves of a train.History and
// the records of a train.HealthMonitor. It is gradflow's only importer of
// gonum.org/v1/plot, so that a program importing train (or graph, to load weights)
// pulls in no plotting, font or PDF package.
//
// History draws the loss per epoch (training and validation) and, below it, every
// other metric. Health draws a HealthMonitor's weight and bias norms, gradient
// norms, update-to-weight ratios and dead ReLU fractions; set it as the monitor's
// Plot hook to draw them at the end of training. Files are written atomically
// (graph.WriteFileAtomic).
//
// Usage:
//
//	health := &train.HealthMonitor{Dir: "health", Plot: plot.Health}
//	trainer, err := train.New(model, train.Config{..., Callbacks: []train.Callback{health}})
//	history, err := trainer.Fit(ctx, trainSet, valSet) // writes health/*.csv and health/*.png
//	err = plot.History(history, "curves.png")
package plot
