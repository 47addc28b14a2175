package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/gradflow/gradflow/train/data"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Env is what a Setup gets: the run's seed and where its data is. It caches loaded
// data sets, so that benchmarks of several workloads in one process load MNIST once.
type Env struct {
	// Seed seeds initial weights and data order. Systems use it in their own way
	// (the same scheme, not the same values).
	Seed uint64
	// MNISTDir is the directory of the MNIST IDX files; "" means data.MNISTDir().
	MNISTDir string

	mu    sync.Mutex
	mnist map[tensor.Dtype][2]*data.Dataset
}

// MNIST returns the MNIST training and test sets in dtype dt (features (N, 784) in
// [0, 1]), loading them on first use.
func (e *Env) MNIST(dt tensor.Dtype) (trainSet, testSet *data.Dataset, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if sets, ok := e.mnist[dt]; ok {
		return sets[0], sets[1], nil
	}
	dir := e.MNISTDir
	if dir == "" {
		if dir, err = data.MNISTDir(); err != nil {
			return nil, nil, errors.Wrap(err, "bench")
		}
		e.MNISTDir = dir
	}
	trainSet, testSet, err = data.LoadMNIST(dir, dt)
	if err != nil {
		return nil, nil, errors.Wrap(err, "bench")
	}
	if e.mnist == nil {
		e.mnist = map[tensor.Dtype][2]*data.Dataset{}
	}
	e.mnist[dt] = [2]*data.Dataset{trainSet, testSet}
	return trainSet, testSet, nil
}

// Quality is what a workload reports about its results after the timed steps, by
// name: "accuracy" (a fraction in [0, 1]), "loss", "max_rel_err", or any name a
// user's workload chooses. Values may be NaN or infinite (a diverged run); JSON holds
// those as the strings "NaN", "+Inf" and "-Inf".
type Quality map[string]float64

// MarshalJSON writes non-finite values as strings, which plain JSON numbers cannot hold.
func (q Quality) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(q))
	for k, v := range q {
		switch {
		case math.IsNaN(v):
			m[k] = "NaN"
		case math.IsInf(v, 1):
			m[k] = "+Inf"
		case math.IsInf(v, -1):
			m[k] = "-Inf"
		default:
			m[k] = v
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads numbers and the strings MarshalJSON writes.
func (q *Quality) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		*q = nil
		return nil
	}
	out := make(Quality, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case float64:
			out[k] = v
		case string:
			switch v {
			case "NaN":
				out[k] = math.NaN()
			case "+Inf", "Inf":
				out[k] = math.Inf(1)
			case "-Inf":
				out[k] = math.Inf(-1)
			default:
				return errors.Errorf("bench: quality %q = %q, want a number", k, v)
			}
		default:
			return errors.Errorf("bench: quality %q = %v, want a number", k, v)
		}
	}
	*q = out
	return nil
}

// String formats the values by name: "acc 97.12% loss 0.0831".
func (q Quality) String() string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	// accuracy first, then the rest by name
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == "accuracy") != (keys[j] == "accuracy") {
			return keys[i] == "accuracy"
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := q[k]
		switch k {
		case "accuracy":
			parts = append(parts, fmt.Sprintf("acc %.2f%%", 100*v))
		case "loss":
			parts = append(parts, fmt.Sprintf("loss %.3g", v))
		case "max_rel_err":
			parts = append(parts, fmt.Sprintf("err %.1e", v))
		default:
			parts = append(parts, fmt.Sprintf("%s %.4g", k, v))
		}
	}
	return strings.Join(parts, " ")
}
