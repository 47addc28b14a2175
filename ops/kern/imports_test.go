package kern

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const mod = "github.com/gradflow/gradflow/"

// TestImports: kern imports only ops/blas (and its own internal packages) of
// gradflow, and only ops, the packages under ops and train/optim import kern.
func TestImports(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "out" || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, mod) {
				continue
			}
			p = strings.TrimPrefix(p, mod)
			if dir == "ops/kern" && !strings.HasSuffix(rel, "_test.go") && p != "ops/blas" && !strings.HasPrefix(p, "ops/kern/internal/") {
				t.Errorf("%s imports %s; kern may import only ops/blas of gradflow", rel, p)
			}
			if p == "ops/kern" && dir != "ops" && !strings.HasPrefix(dir, "ops/") && dir != "train/optim" {
				t.Errorf("%s imports ops/kern; only ops, ops/... and train/optim may", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
