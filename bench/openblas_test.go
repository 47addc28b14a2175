package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// fakePython writes a shell script that answers the core probe as OpenBLAS would on
// a CPU it does not know: Prescott when OPENBLAS_CORETYPE is unset, the named core at
// the speeds given otherwise (a key "Name=Core" makes the name load another core),
// and SIGILL for a core missing from speeds.
func fakePython(t *testing.T, detected string, speeds map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("#!/bin/sh\ncase \"${OPENBLAS_CORETYPE-unset}\" in\n")
	b.WriteString("unset) echo '{\"core\": \"" + detected + "\", \"gflops\": " + speeds[""] + "}' ;;\n")
	for set, g := range speeds {
		if set != "" {
			core := set // "Name=Core": OPENBLAS_CORETYPE=Name loads Core
			if i := strings.IndexByte(set, '='); i >= 0 {
				set, core = set[:i], set[i+1:]
			}
			b.WriteString(set + ") echo '{\"core\": \"" + core + "\", \"gflops\": " + g + "}' ;;\n")
		}
	}
	b.WriteString("*) kill -ILL $$ ;;\nesac\n")
	path := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(path, []byte(b.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestChooseOpenBLASCore(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOARCH != "amd64" {
		t.Skip("the candidates are amd64's; the fake interpreter is a shell script")
	}
	t.Setenv("OPENBLAS_CORETYPE", "Haswell") // removed for the probe unless kept
	py := fakePython(t, "Prescott", map[string]string{"": "32.0", "Cooperlake": "140.5", "SkylakeX": "124.0", "Zen": "70"})
	p := PeerConfig{Python: py}
	note := p.ChooseOpenBLASCore(context.Background())
	if p.OpenBLASCore != "Cooperlake" {
		t.Fatalf("OpenBLASCore = %q, want Cooperlake (note %q)", p.OpenBLASCore, note)
	}
	for _, want := range []string{"OPENBLAS_CORETYPE=Cooperlake", "140.5", "Prescott 32.0", "SkylakeX 124.0", "Zen 70.0"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q", note, want)
		}
	}
	if strings.Contains(note, "Haswell") {
		t.Errorf("note %q lists Haswell, whose probe died", note)
	}
	env := p.peerEnv(TorchConfig{Threads: 1, BLASThreads: 2})
	if !slices.Contains(env, "OPENBLAS_CORETYPE=Cooperlake") || slices.Contains(env, "OPENBLAS_CORETYPE=Haswell") {
		t.Errorf("worker environment has %v, want OPENBLAS_CORETYPE=Cooperlake only", coreVars(env))
	}

	// A candidate within the margin does not override OpenBLAS's own choice.
	py = fakePython(t, "SkylakeX", map[string]string{"": "120", "Cooperlake": "124"})
	p = PeerConfig{Python: py}
	note = p.ChooseOpenBLASCore(context.Background())
	if p.OpenBLASCore != "detected" || !strings.Contains(note, "SkylakeX, the one OpenBLAS detected") {
		t.Errorf("OpenBLASCore = %q, note %q; want the detected SkylakeX", p.OpenBLASCore, note)
	}
	if env := p.peerEnv(TorchConfig{Threads: 1, BLASThreads: 1}); len(coreVars(env)) != 0 {
		t.Errorf("worker environment has %v, want no OPENBLAS_CORETYPE", coreVars(env))
	}

	// Kept from the environment: no probe (this interpreter would fail it).
	p = PeerConfig{Python: "/nonexistent/python3", KeepOpenBLASEnv: true}
	if note := p.ChooseOpenBLASCore(context.Background()); !strings.Contains(note, "Haswell kept from the environment") {
		t.Errorf("note %q, want the kept core", note)
	}
	// A named core is used as it is; no PyTorch: no note, OpenBLAS's choice.
	p = PeerConfig{Python: "/nonexistent/python3", OpenBLASCore: "SkylakeX"}
	if note := p.ChooseOpenBLASCore(context.Background()); !strings.Contains(note, "SkylakeX") || p.OpenBLASCore != "SkylakeX" {
		t.Errorf("named core: OpenBLASCore %q, note %q", p.OpenBLASCore, note)
	}
	// A named core OpenBLAS does not know by that name: the note says what it loaded.
	p = PeerConfig{Python: fakePython(t, "Prescott", map[string]string{"": "32", "Skylake=Prescott": "31"}), OpenBLASCore: "Skylake"}
	if note := p.ChooseOpenBLASCore(context.Background()); !strings.Contains(note, "loaded OpenBLAS's Prescott kernels") || p.OpenBLASCore != "Skylake" {
		t.Errorf("unknown named core: OpenBLASCore %q, note %q", p.OpenBLASCore, note)
	}
	p = PeerConfig{Python: "/nonexistent/python3"}
	if note := p.ChooseOpenBLASCore(context.Background()); note != "" || p.OpenBLASCore != "detected" {
		t.Errorf("no PyTorch: OpenBLASCore %q, note %q; want detected and no note", p.OpenBLASCore, note)
	}
}

func coreVars(env []string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "OPENBLAS_CORETYPE=") {
			out = append(out, kv)
		}
	}
	return out
}

func TestPickCore(t *testing.T) {
	if set, _ := pickCore(nil); set != "" {
		t.Errorf("no probes: %q", set)
	}
	// The same core reached under another name (SapphireRapids loads Cooperlake).
	set, note := pickCore([]coreProbe{{Core: "Cooperlake", GFLOPs: 100}, {Set: "SapphireRapids", Core: "Cooperlake", GFLOPs: 110}})
	if set != "" || !strings.Contains(note, "detected") {
		t.Errorf("same core: set %q, note %q", set, note)
	}
	set, _ = pickCore([]coreProbe{{Core: "Prescott", GFLOPs: 30}, {Set: "Haswell", Core: "Haswell", GFLOPs: 70}, {Set: "SkylakeX", Core: "SkylakeX", GFLOPs: 120}})
	if set != "SkylakeX" {
		t.Errorf("set %q, want SkylakeX", set)
	}
}
