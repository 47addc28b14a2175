//go:build mpi

package dist_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The mpirun tests build internal/mpiworker and run it on 2 ranks (oversubscribed:
// CI machines may have fewer cores), over shared memory and over TCP loopback. They
// skip where mpirun is not installed.

func worker(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("mpirun not found (install openmpi-bin)")
	}
	bin := filepath.Join(t.TempDir(), "mpiworker")
	out, err := exec.Command("go", "build", "-tags", "mpi", "-o", bin, "./internal/mpiworker").CombinedOutput()
	if err != nil {
		t.Fatalf("building the worker: %v\n%s", err, out)
	}
	return bin
}

func mpirun(bin string, btl []string, args ...string) (string, time.Time, error) {
	a := append([]string{"-np", "2", "--oversubscribe"}, btl...)
	cmd := exec.Command("mpirun", append(append(a, bin), args...)...)
	cmd.Env = append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), time.Now(), err
}

var transports = map[string][]string{
	"shm": {"--mca", "btl", "vader,self"},
	"tcp": {"--mca", "btl", "tcp,self"},
}

// TestMPICollectives checks each collective of the MPI communicator on 2 ranks.
func TestMPICollectives(t *testing.T) {
	bin := worker(t)
	for name, btl := range transports {
		out, _, err := mpirun(bin, btl, "-mode", "collectives")
		if err != nil || strings.Count(out, "collectives ok") != 2 {
			t.Errorf("%s: err %v\n%s", name, err, out)
		}
	}
}

// TestMPITrainEqualsOneProcess: 20 float64 steps on 2 MPI ranks give both ranks the
// same bits, within 1e-12 of one process at twice the batch (the CNN with BatchNorm:
// of two accumulated batches).
func TestMPITrainEqualsOneProcess(t *testing.T) {
	bin := worker(t)
	hashRE := regexp.MustCompile(`rank (\d) steps 20 hash ([0-9a-f]{16})`)
	diffRE := regexp.MustCompile(`reference max relative difference (\S+)`)
	for name, btl := range transports {
		for _, model := range []string{"mlp", "cnn"} {
			t.Run(name+"/"+model, func(t *testing.T) {
				out, _, err := mpirun(bin, btl, "-mode", "train", "-model", model)
				if err != nil {
					t.Fatalf("mpirun: %v\n%s", err, out)
				}
				hashes := hashRE.FindAllStringSubmatch(out, -1)
				if len(hashes) != 2 || hashes[0][2] != hashes[1][2] {
					t.Errorf("weight hashes %v, want 2 equal ones\n%s", hashes, out)
				}
				m := diffRE.FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("no reference comparison in\n%s", out)
				}
				if d, err := strconv.ParseFloat(m[1], 64); err != nil || d > 1e-12 {
					t.Errorf("relative difference from one process %s, want <= 1e-12", m[1])
				}
			})
		}
	}
}

// TestMPIFault: a rank that fails (returns an error, or is killed) ends every rank
// with a non-zero status within seconds, and its error is in the job's output.
func TestMPIFault(t *testing.T) {
	bin := worker(t)
	for _, mode := range []string{"fail", "kill"} {
		t.Run(mode, func(t *testing.T) {
			out, end, err := mpirun(bin, transports["shm"], "-mode", mode)
			if err == nil {
				t.Fatalf("mpirun succeeded, want a non-zero exit\n%s", out)
			}
			m := regexp.MustCompile(`FAILED_AT (\d+)`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("rank 1 did not fail\n%s", out)
			}
			ns, _ := strconv.ParseInt(m[1], 10, 64)
			took := end.Sub(time.Unix(0, ns))
			t.Logf("%s: from rank 1's failure to the end of mpirun: %v", mode, took)
			if took > 10*time.Second {
				t.Errorf("the job took %v to end after the failure, want seconds", took)
			}
			if mode == "fail" && !strings.Contains(out, "rank 1 aborting") && !strings.Contains(out, "disk full on rank 1") {
				t.Errorf("rank 1's error is not in the output\n%s", out)
			}
		})
	}
}

// TestMPIModelMismatch: every rank reports the difference between the models.
func TestMPIModelMismatch(t *testing.T) {
	bin := worker(t)
	out, _, err := mpirun(bin, transports["shm"], "-mode", "mismatch")
	if err == nil {
		t.Fatalf("mpirun succeeded, want a non-zero exit\n%s", out)
	}
	for _, r := range []string{"0", "1"} {
		if !strings.Contains(out, "rank "+r+": train: data parallel: the model of rank 1 differs from rank 0's") {
			t.Errorf("rank %s did not report the mismatch\n%s", r, out)
		}
	}
}
