package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/pkg/errors"
)

// WorkerEnv is the environment variable that makes a gradbench binary a worker: Main
// reads a WorkerSpec from it (JSON), serves requests on standard input and exits.
const WorkerEnv = "GRADBENCH_WORKER"

// WorkerSpec says which workload and Go system a worker process runs.
type WorkerSpec struct {
	Workload string `json:"workload"`
	System   string `json:"system"`
	Seed     uint64 `json:"seed"`
	MNISTDir string `json:"mnist_dir,omitempty"`
}

// hello is the first line a worker writes: ready with facts about itself, or an error.
// Unavailable marks a peer that cannot run here at all (PyTorch not installed): the
// harness skips it with a note instead of failing.
type hello struct {
	Ready       bool              `json:"ready"`
	Info        map[string]string `json:"info,omitempty"`
	Error       string            `json:"error,omitempty"`
	Unavailable bool              `json:"unavailable,omitempty"`
}

// worker runs blocks of one workload on one system.
type worker interface {
	Info() map[string]string
	Run(ctx context.Context, req Request) (Block, error)
	Close() error
}

// inProcess runs a Go system's instance in the harness's own process (tests, and
// gradbench -inprocess). Peak memory is then the whole process's.
type inProcess struct {
	inst *Instance
	info map[string]string
}

func startInProcess(w *Workload, system string, env *Env) (worker, error) {
	setup := w.setupFor(system)
	if setup == nil {
		return nil, errors.Errorf("bench: workload %q has no %s implementation", w.Name, system)
	}
	inst, err := callSetup(setup, env)
	if err != nil {
		return nil, errors.Wrapf(err, "bench: %s/%s: setup", w.Name, system)
	}
	return &inProcess{inst: inst, info: goInfo()}, nil
}

// callSetup runs setup, turning a panic into an error.
func callSetup(setup Setup, env *Env) (inst *Instance, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("panic: %v", r)
		}
	}()
	inst, err = setup(env)
	if err == nil && (inst == nil || inst.Step == nil) {
		err = errors.New("setup returned no Step")
	}
	return inst, err
}

func (p *inProcess) Info() map[string]string { return p.info }

func (p *inProcess) Run(_ context.Context, req Request) (Block, error) { return Measure(p.inst, req) }

func (p *inProcess) Close() error {
	if p.inst.Close != nil {
		return p.inst.Close()
	}
	return nil
}

// ServeWorker is the worker side of the protocol for a Go system: it sets up spec's
// workload from reg, writes a hello line to out, then answers each Request line read
// from in with a Block line until in ends.
func ServeWorker(in io.Reader, out io.Writer, spec WorkerSpec, reg *Registry) error {
	enc := json.NewEncoder(out)
	w := reg.Lookup(spec.Workload)
	if w == nil {
		return enc.Encode(hello{Error: fmt.Sprintf("no workload %q in this binary", spec.Workload)})
	}
	env := &Env{Seed: spec.Seed, MNISTDir: spec.MNISTDir}
	wk, err := startInProcess(w, spec.System, env)
	if err != nil {
		return enc.Encode(hello{Error: fmt.Sprintf("%v", err)})
	}
	defer wk.Close()
	if err := enc.Encode(hello{Ready: true, Info: wk.Info()}); err != nil {
		return err
	}
	dec := json.NewDecoder(in)
	for {
		var req Request
		if err := dec.Decode(&req); err == io.EOF {
			return nil
		} else if err != nil {
			return errors.Wrap(err, "bench: worker: reading a request")
		}
		b, err := wk.Run(context.Background(), req)
		if err != nil {
			b = Block{Error: fmt.Sprintf("%v", err)}
		}
		if err := enc.Encode(b); err != nil {
			return err
		}
	}
}

// process is a worker in a child process that speaks the JSON-lines protocol: a Go
// worker (the gradbench binary re-executed with WorkerEnv set) or a PyTorch worker
// (bench/reference/worker.py).
type process struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	dec    *json.Decoder
	stderr *tailBuffer
	info   map[string]string
	done   chan struct{}
}

// errUnavailable marks a peer that cannot run on this machine.
type errUnavailable struct{ msg string }

func (e errUnavailable) Error() string { return e.msg }

// startProcess starts argv with env and reads its hello line.
func startProcess(ctx context.Context, name string, argv, env []string) (*process, error) {
	if len(argv) == 0 {
		return nil, errors.Errorf("bench: %s: empty worker command", name)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	p := &process{name: name, cmd: cmd, stderr: &tailBuffer{max: 8 << 10}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, errors.Wrapf(err, "bench: %s", name)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, errors.Wrapf(err, "bench: %s", name)
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || os.IsNotExist(errors.Cause(err)) {
			return nil, errUnavailable{fmt.Sprintf("%s: %v", name, err)}
		}
		return nil, errors.Wrapf(err, "bench: %s: starting the worker", name)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	p.dec = json.NewDecoder(stdout)
	var h hello
	if err := p.decode(ctx, &h); err != nil {
		p.Close()
		return nil, errors.Wrapf(err, "bench: %s: worker did not start", name)
	}
	if !h.Ready {
		p.Close()
		if h.Unavailable {
			return nil, errUnavailable{fmt.Sprintf("%s: %s", name, h.Error)}
		}
		return nil, errors.Errorf("bench: %s: %s", name, h.Error)
	}
	p.info = h.Info
	return p, nil
}

// decode reads one JSON value, giving up when ctx ends (the worker is then killed).
func (p *process) decode(ctx context.Context, v any) error {
	errc := make(chan error, 1)
	go func() { errc <- p.dec.Decode(v) }()
	select {
	case err := <-errc:
		if err != nil {
			return errors.Errorf("%v; its stderr ends: %s", err, p.stderr.String())
		}
		return nil
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		return ctx.Err()
	}
}

func (p *process) Info() map[string]string { return p.info }

func (p *process) Run(ctx context.Context, req Request) (Block, error) {
	line, err := json.Marshal(req)
	if err != nil {
		return Block{}, err
	}
	if _, err := p.stdin.Write(append(line, '\n')); err != nil {
		return Block{}, errors.Wrapf(err, "bench: %s: sending a request; its stderr ends: %s", p.name, p.stderr.String())
	}
	var b Block
	if err := p.decode(ctx, &b); err != nil {
		return Block{}, errors.Wrapf(err, "bench: %s", p.name)
	}
	if b.Error != "" {
		return Block{}, errors.Errorf("bench: %s: %s", p.name, b.Error)
	}
	return b, nil
}

// Close ends the worker: it closes its input, which makes it exit, and waits for it,
// killing it if it has not exited after closeGrace.
func (p *process) Close() error {
	_ = p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(closeGrace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return nil
}

// closeGrace is how long Close waits for a worker to exit by itself.
const closeGrace = 10 * time.Second

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(b)
	if extra := t.buf.Len() - t.max; extra > 0 {
		t.buf.Next(extra)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(t.buf.String())
}
