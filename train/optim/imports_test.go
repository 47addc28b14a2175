package optim

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces DESIGN.md on optim's own files, without the go command
// (graph's TestImportDirection checks the transitive imports of every package):
// optim sits between graph and train, so of gradflow's packages it imports graph
// and the kernel packages under ops (ops/kern, for the Adam kernel),
// never ops itself, nn or train.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/gradflow/gradflow/"
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue // external tests may use anything
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, mod) && path != mod+"graph" && !strings.HasPrefix(path, mod+"ops/") {
				t.Errorf("%s imports %s; package optim may import only graph and ops's kernels of gradflow", name, path)
			}
		}
	}
}
