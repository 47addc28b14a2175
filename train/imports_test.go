package train

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces DESIGN.md on train's own files, without the go command
// (graph's TestImportDirection checks the transitive imports of every package):
// train draws nothing, so it imports neither gonum.org/v1/plot nor train/plot,
// and nothing imports bench or examples.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/gradflow/gradflow/"
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case path == "gonum.org/v1/plot" || strings.HasPrefix(path, "gonum.org/v1/plot/"):
				t.Errorf("%s imports %s; train must not import gonum/plot (train/plot draws)", name, path)
			case path == mod+"train/plot" || strings.HasPrefix(path, mod+"bench") || strings.HasPrefix(path, mod+"examples"):
				t.Errorf("%s imports %s, which DESIGN.md forbids", name, path)
			}
		}
	}
}
