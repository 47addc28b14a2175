package train_test

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/train"
)

// killChildEnv, when set to a directory, makes TestCheckpointKill the child: it
// trains and saves checkpoints into that directory until it is killed.
const killChildEnv = "GRADFLOW_TEST_KILL_CHILD"

var killTargets = []string{"a.safetensors", "b.safetensors"}

// killChild trains for an epoch and saves a checkpoint, alternating between two
// files, and says "ready" after its first save. It stops by itself after 20 s, in
// case the parent is gone.
func killChild(t *testing.T, dir string) {
	_, tr := blobTrainer(t, graph.Float32, 1, train.Config{})
	set := blobs(t, 48, graph.Float32)
	start := time.Now()
	for i := 0; time.Since(start) < 20*time.Second; i++ {
		if _, err := tr.Fit(context.Background(), set, nil); err != nil {
			t.Fatal(err)
		}
		if err := tr.SaveCheckpoint(filepath.Join(dir, killTargets[i%2])); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			os.Stdout.WriteString("ready\n")
		}
	}
	os.Exit(0)
}

// TestCheckpointKill runs a child process (this test binary again) that saves
// checkpoints and SIGKILLs it at random moments, rounds times: after each kill every
// checkpoint left loads completely into a fresh trainer, and the next save of each
// file leaves no temporary behind.
func TestCheckpointKill(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(t, dir)
		return
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(16, 16))
	rounds, temps := 10, 0
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKill$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: child said %q, want ready", round, line)
		}
		time.Sleep(time.Duration(rng.IntN(30_000)) * time.Microsecond) // 0 to 30 ms into its saves
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait() // reaped: its pid is no longer running
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				temps++
				continue
			}
			_, tr := blobTrainer(t, graph.Float32, 1, train.Config{})
			if err := tr.LoadCheckpoint(filepath.Join(dir, name)); err != nil {
				t.Fatalf("round %d: checkpoint %s left by a killed save does not load: %v", round, name, err)
			}
			if tr.Step() == 0 {
				t.Errorf("round %d: %s loaded at step 0", round, name)
			}
		}
	}
	t.Logf("%d kills; temporaries found after them: %d (each removed by a later save)", rounds, temps)
	// The next save of each file removes the temporaries the killed saves left.
	_, tr := blobTrainer(t, graph.Float32, 1, train.Config{})
	for _, name := range killTargets {
		if err := tr.SaveCheckpoint(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary %s left after the next save", e.Name())
		}
	}
}
