package ops

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces DESIGN.md: ops is the bottom of gradflow and imports no other
// gradflow package, except its own sub-packages: ops/blas (the GEMM and the one CPU
// probe) and ops/kern (the kernels), which import no gradflow package outside ops.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	const self = "github.com/gradflow/gradflow/ops"
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/gradflow/gradflow") && path != self && !strings.HasPrefix(path, self+"/") {
				t.Errorf("%s imports %s; package ops must not import other gradflow packages", name, path)
			}
		}
	}
}
