package graph

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportDirection checks DESIGN.md's import rules with `go list -deps`: ops
// imports no gradflow package above it, graph only ops, nn only ops and graph,
// train/optim only graph (and ops through it), train/data nothing above graph,
// train nothing but those and nn (never train/plot), train/plot train and below;
// gonum.org/v1/plot reaches no package but train/plot (and bench and examples, which
// may import anything); and nothing imports bench or examples.
func TestImportDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH")
	}
	const mod = "github.com/gradflow/gradflow/"
	// Each package lies in a room: the longest key below that is the package or one
	// of its parents (ops/blas is in ops, train/data/text in train/data). A package
	// may import the packages of its own room and of the rooms listed for it.
	allowed := map[string][]string{
		"ops":         {},
		"graph":       {"ops"},
		"nn":          {"ops", "graph"},
		"train/optim": {"ops", "graph"},
		"train/data":  {"ops", "graph"},
		"train":       {"ops", "graph", "nn", "train/optim", "train/data"},
		"train/plot":  {"ops", "graph", "nn", "train/optim", "train/data", "train"},
	}
	const plotLib = "gonum.org/v1/plot"
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
		room := roomOf(pkg, allowed)
		for _, dep := range f[1:] {
			if dep == plotLib {
				if room != "train/plot" && top != "bench" && top != "examples" {
					t.Errorf("%s imports %s: only train/plot may draw with gonum/plot", pkg, dep)
				}
				continue
			}
			if !strings.HasPrefix(dep, mod) {
				continue
			}
			d := strings.TrimPrefix(dep, mod)
			if strings.HasPrefix(d, "bench") || strings.HasPrefix(d, "examples") {
				if top != "bench" && top != "examples" {
					t.Errorf("%s imports %s: nothing may import bench or examples", pkg, d)
				}
			}
			rules, ok := allowed[room]
			if !ok {
				continue // bench and examples may import anything
			}
			dr := roomOf(d, allowed)
			okDep := dr == room || slices.Contains(rules, dr)
			if !okDep {
				t.Errorf("%s imports %s, which DESIGN.md forbids", pkg, d)
			}
		}
	}
}

// roomOf returns the longest key of rooms that is pkg or a parent of pkg, or "".
func roomOf(pkg string, rooms map[string][]string) string {
	best := ""
	for r := range rooms {
		if (pkg == r || strings.HasPrefix(pkg, r+"/")) && len(r) > len(best) {
			best = r
		}
	}
	return best
}
