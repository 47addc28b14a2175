package train

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/gradflow/gradflow/train/data"
	"github.com/gradflow/gradflow/train/optim"
)

// The checkpoint fuzzers work on a checkpoint's contents in memory: a file's bytes
// are checksummed, so mutations of them stop at the checksum. They change the trainer
// metadata or the optimizer's tensors, write the file again with fresh checksums,
// and load it with loadCheckpoint (LoadCheckpoint without the file read), into a
// fresh Trainer each time so that runs are reproducible. Every input must load or
// fail without a panic; a failed load must change nothing; a loaded state must save
// and load again to the same bytes.
//
// Run them with -fuzzminimizetime 10x: names taken from Go maps are sorted on the
// way, so coverage varies from run to run of one input, and the default
// minimization (60 s an input) would stall the engine (docs/training.md).

// fuzzTrainer returns a fresh trainer of a small model, Adam and an EarlyStopping:
// every kind of saved state.
func fuzzTrainer(tb testing.TB) *Trainer {
	s := graph.NewScope(graph.Float32, graph.Seed(1))
	model, err := nn.NewSequential(s.Sub("m"), nn.LinearConfig{In: 3, Out: 4, Activation: nn.ReLU}, nn.LinearConfig{In: 4, Out: 2})
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := New(model, Config{Loss: nn.SoftmaxCrossEntropy, Optimizer: optim.Adam{LR: 0.01}, BatchSize: 4, Quiet: true,
		Schedule: optim.StepLR{StepSize: 1, Gamma: 0.5}, Callbacks: []Callback{&EarlyStopping{Monitor: "loss", Patience: 5}}})
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

// fuzzBase trains a fuzzTrainer for an epoch and returns its checkpoint's contents.
func fuzzBase(tb testing.TB) (map[string]*tensor.Dense, map[string]string) {
	tr := fuzzTrainer(tb)
	x := tensor.New(tensor.WithShape(8, 3), tensor.WithBacking([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4}))
	set, err := data.New(x, []int{0, 1, 0, 1, 1, 0, 1, 0}, 2)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), set, nil); err != nil {
		tb.Fatal(err)
	}
	tensors, meta, err := tr.checkpoint()
	if err != nil {
		tb.Fatal(err)
	}
	return tensors, meta
}

func encodeCheckpoint(tb testing.TB, tensors map[string]*tensor.Dense, meta map[string]string) []byte {
	var buf bytes.Buffer
	if err := graph.WriteTensors(&buf, tensors, meta); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// stateOf returns a trainer's whole saved state as bytes.
func stateOf(tb testing.TB, tr *Trainer) []byte {
	tensors, meta, err := tr.checkpoint()
	if err != nil {
		tb.Fatalf("saving a trainer's state: %v", err)
	}
	return encodeCheckpoint(tb, tensors, meta)
}

// checkLoad loads b into a fresh trainer and checks the fuzzers' invariants.
func checkLoad(t *testing.T, b []byte) {
	tr := fuzzTrainer(t)
	before := stateOf(t, tr)
	if err := tr.loadCheckpoint(b); err != nil {
		if after := stateOf(t, tr); !bytes.Equal(before, after) {
			t.Fatalf("a failed load (%v) changed the trainer", err)
		}
		return
	}
	saved := stateOf(t, tr)
	again := fuzzTrainer(t)
	if err := again.loadCheckpoint(saved); err != nil {
		t.Fatalf("a loaded state saved again does not load: %v", err)
	}
	if !bytes.Equal(stateOf(t, again), saved) {
		t.Fatal("a loaded state saved and loaded again differs")
	}
}

// FuzzCheckpointTrainerState fuzzes the trainer metadata (gradflow.trainer) of a
// checkpoint.
func FuzzCheckpointTrainerState(f *testing.F) {
	tensors, meta := fuzzBase(f)
	good := meta[metaTrainer]
	f.Add(good)
	f.Add(strings.Replace(good, `"lr":`, `"learning_rate":`, 1))
	f.Add(strings.Replace(good, `"step":`, `"stepp":`, 1))
	f.Add(strings.Replace(good, `"epoch":1`, `"epoch":-1`, 1))
	f.Add(strings.Replace(good, `"version":1`, `"version":1e400`, 1))
	f.Add(good + "{}")
	f.Add(`{}`)
	f.Add(`null`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, js string) {
		m := maps.Clone(meta)
		m[metaTrainer] = js
		checkLoad(t, encodeCheckpoint(t, tensors, m))
	})
}

// FuzzCheckpointOptimizerState fuzzes a checkpoint's optimizer state: it drops the
// tensor named drop, adds (or replaces) "optimizer/"+name with the shape dims (one
// byte a dimension, float64 when the first is odd) and sets the step count of
// name's param to steps.
func FuzzCheckpointOptimizerState(f *testing.F) {
	tensors, meta := fuzzBase(f)
	f.Add("", []byte{}, 0, "")
	f.Add("m/0/weight/exp_avg", []byte{3, 4}, 1, "")
	f.Add("m/0/weight/exp_avg", []byte{4, 3}, 1, "")
	f.Add("m/0/weight/exp_avg", []byte{3, 4}, -1, "")
	f.Add("m/0/weight/exp_avg", []byte{12}, 2, "")
	f.Add("m/2/bias/exp_avg_sq", []byte{}, 1, "")
	f.Add("m/2/bias/max_exp_avg_sq", []byte{2}, 1, "")
	f.Add("m/9/weight/exp_avg", []byte{3, 4}, 1, "")
	f.Add("m/0/weight", []byte{3, 4}, 1, "")
	f.Add("", []byte{}, 0, "optimizer/m/0/bias/exp_avg")
	f.Add("", []byte{}, 0, "m/0/bias")
	f.Add("m/2/weight/exp_avg", []byte{5, 4, 2}, 1, "optimizer/m/2/weight/exp_avg_sq")
	f.Fuzz(func(t *testing.T, name string, dims []byte, steps int, drop string) {
		ts := maps.Clone(tensors)
		delete(ts, drop)
		var st trainerState
		if err := json.Unmarshal([]byte(meta[metaTrainer]), &st); err != nil {
			t.Fatal(err)
		}
		if name != "" {
			if len(dims) > 4 {
				dims = dims[:4]
			}
			shape, size, dt := []int{}, 1, tensor.Float32
			for i, d := range dims {
				if i == 0 && d&1 == 1 {
					dt = tensor.Float64
				}
				shape = append(shape, int(d%16))
				size *= int(d % 16)
			}
			opts := []tensor.ConsOpt{tensor.Of(dt)}
			if len(shape) > 0 && size > 0 {
				opts = append(opts, tensor.WithShape(shape...))
			} else if len(shape) > 0 {
				return // gorgonia's tensors have no empty shapes
			}
			ts[graph.OptimizerPrefix+name] = tensor.New(opts...)
			param := name
			if i := strings.LastIndex(name, "/"); i >= 0 {
				param = name[:i]
			}
			st.OptimizerSteps = maps.Clone(st.OptimizerSteps)
			st.OptimizerSteps[param] = steps
		}
		js, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		m := maps.Clone(meta)
		m[metaTrainer] = string(js)
		checkLoad(t, encodeCheckpoint(t, ts, m))
	})
}
