package train_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train"
	"github.com/gradflow/gradflow/train/optim"
)

// savedCheckpoint trains a little with Adam and an EarlyStopping and returns the
// checkpoint's bytes.
func savedCheckpoint(t *testing.T) []byte {
	t.Helper()
	_, tr := blobTrainer(t, graph.Float32, 1, train.Config{Optimizer: optim.Adam{LR: 0.01}, Callbacks: []train.Callback{&train.EarlyStopping{Monitor: "loss"}}})
	if _, err := tr.Fit(context.Background(), blobs(t, 32, graph.Float32), nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c.safetensors")
	if err := tr.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rewrite returns the checkpoint with its trainer metadata edited, written (and so
// checksummed) again, as a buggy or hostile writer would.
func rewrite(t *testing.T, good []byte, edit func(st map[string]any)) []byte {
	t.Helper()
	tensors, meta, err := graph.ReadTensors(good)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(meta["gradflow.trainer"]))
	dec.UseNumber()
	var st map[string]any
	if err := dec.Decode(&st); err != nil {
		t.Fatal(err)
	}
	edit(st)
	js, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	meta["gradflow.trainer"] = string(js)
	var buf bytes.Buffer
	if err := graph.WriteTensors(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// trainerState is what a failed load must leave as it was.
func trainerState(tr *train.Trainer) []float64 {
	return append(paramValues(tr.Params()), float64(tr.Step()), float64(tr.Epoch()), tr.Optimizer().LR())
}

// TestCheckpointStrictMetadata checks that the trainer metadata is decoded strictly:
// every field required, no unknown one, values in range; a failed load changes
// nothing.
func TestCheckpointStrictMetadata(t *testing.T) {
	good := savedCheckpoint(t)
	cases := []struct {
		name string
		edit func(st map[string]any)
		want string
	}{
		{"no-lr", func(st map[string]any) { delete(st, "lr") }, `field "lr" is missing`},
		{"no-step", func(st map[string]any) { delete(st, "step") }, `field "step" is missing`},
		{"null-epoch", func(st map[string]any) { st["epoch"] = nil }, `field "epoch" is missing`},
		{"no-rng", func(st map[string]any) { delete(st, "rng") }, `field "rng" is missing`},
		{"no-config-seed", func(st map[string]any) { delete(st["config"].(map[string]any), "seed") }, `field "config.seed" is missing`},
		{"unknown", func(st map[string]any) { st["learning_rate"] = 0.1 }, `unknown field "learning_rate"`},
		{"negative-step", func(st map[string]any) { st["step"] = -1 }, "step -1"},
		{"negative-lr", func(st map[string]any) { st["lr"] = -0.5 }, "lr -0.5: want finite >= 0"},
		{"version", func(st map[string]any) { st["version"] = 2 }, "version 2, want 1"},
		{"early-stopping-state", func(st map[string]any) {
			for k, v := range st["callbacks"].(map[string]any) {
				delete(v.(map[string]any), "wait")
				st["callbacks"].(map[string]any)[k] = v
			}
		}, `EarlyStopping: state: field "wait" is missing`},
		{"callback-key", func(st map[string]any) {
			st["callbacks"] = map[string]any{"0:*train.Ea|lyStopping": st["callbacks"].(map[string]any)["0:*train.EarlyStopping"]}
		}, `callback state "0:*train.Ea|lyStopping" matches no callback of this trainer`},
		{"early-stopping-monitor", func(st map[string]any) {
			st["callbacks"].(map[string]any)["0:*train.EarlyStopping"].(map[string]any)["monitor"] = "val_loss"
		}, `the state is of "val_loss", this callback monitors "loss"`},
	}
	path := filepath.Join(t.TempDir(), "c.safetensors")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(path, rewrite(t, good, c.edit), 0o644); err != nil {
				t.Fatal(err)
			}
			_, tr := blobTrainer(t, graph.Float32, 1, train.Config{Optimizer: optim.Adam{LR: 0.01}, Callbacks: []train.Callback{&train.EarlyStopping{Monitor: "loss"}}})
			before := trainerState(tr)
			err := tr.LoadCheckpoint(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
			if after := trainerState(tr); !slices.Equal(before, after) {
				t.Error("a failed load changed the trainer")
			}
		})
	}
	// The unedited round trip loads.
	if err := os.WriteFile(path, rewrite(t, good, func(map[string]any) {}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, tr := blobTrainer(t, graph.Float32, 1, train.Config{Optimizer: optim.Adam{LR: 0.01}, Callbacks: []train.Callback{&train.EarlyStopping{Monitor: "loss"}}})
	if err := tr.LoadCheckpoint(path); err != nil || tr.Step() != 2 || tr.Optimizer().LR() != 0.01 {
		t.Errorf("round trip: step %d lr %v, %v; want 2, 0.01, nil", tr.Step(), tr.Optimizer().LR(), err)
	}
}

// TestCheckpointEveryFlip flips one bit in each byte of a checkpoint in turn (500
// single-byte header corruptions changed the loaded state twice before checksums):
// every corrupt file is an error and leaves the trainer as it was.
func TestCheckpointEveryFlip(t *testing.T) {
	good := savedCheckpoint(t)
	path := filepath.Join(t.TempDir(), "c.safetensors")
	_, tr := blobTrainer(t, graph.Float32, 1, train.Config{Optimizer: optim.Adam{LR: 0.01}, Callbacks: []train.Callback{&train.EarlyStopping{Monitor: "loss"}}})
	before := trainerState(tr)
	// One in every 29 bytes through the file: every region (length, header, each
	// tensor) is hit, and a file write per case stays cheap.
	for i := 0; i < len(good); i += 29 {
		b := bytes.Clone(good)
		b[i] ^= 0x04
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := tr.LoadCheckpoint(path); err == nil {
			t.Fatalf("byte %d of %d flipped (%q): LoadCheckpoint succeeded", i, len(good), good[i])
		}
	}
	if after := trainerState(tr); !slices.Equal(before, after) {
		t.Error("a failed load changed the trainer")
	}
}
