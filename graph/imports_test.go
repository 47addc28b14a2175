package graph

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection checks DESIGN.md's import rules with `go list -deps`:
// ops imports no gradflow package, graph only ops, nn only ops and graph, train never
// nn's dependents, and nothing imports bench or examples.
func TestImportDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH")
	}
	const mod = "github.com/gradflow/gradflow/"
	allowed := map[string][]string{
		"ops":   {},
		"graph": {"ops"},
		"nn":    {"ops", "graph"},
		"train": {"ops", "graph", "nn", "train/"},
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", mod+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], mod)
		top := strings.SplitN(pkg, "/", 2)[0]
		if top == "out" {
			continue // gitignored scratch programs (profilers), not part of gradflow
		}
		for _, dep := range f[1:] {
			if !strings.HasPrefix(dep, mod) {
				continue
			}
			d := strings.TrimPrefix(dep, mod)
			if strings.HasPrefix(d, "bench") || strings.HasPrefix(d, "examples") {
				if top != "bench" && top != "examples" {
					t.Errorf("%s imports %s: nothing may import bench or examples", pkg, d)
				}
			}
			rules, ok := allowed[top]
			if !ok {
				continue // bench and examples may import anything
			}
			okDep := strings.HasPrefix(d, top+"/") || d == top
			for _, a := range rules {
				if d == a || (strings.HasSuffix(a, "/") && strings.HasPrefix(d, a)) || strings.HasPrefix(d, a+"/") {
					okDep = true
				}
			}
			if !okDep {
				t.Errorf("%s imports %s, which DESIGN.md forbids", pkg, d)
			}
		}
	}
}
