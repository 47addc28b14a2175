// Package bench measures gradflow's workloads side by side with peers (PyTorch, raw
// gorgonia).
package bench
