package dist

import (
	"go/build"
	"strings"
	"testing"
)

// TestDefaultBuildHasNoCgo: without -tags mpi the package has no cgo file, so the
// default build of gradflow stays pure Go (CGO_ENABLED=0 builds it).
func TestDefaultBuildHasNoCgo(t *testing.T) {
	ctx := build.Default
	ctx.CgoEnabled = true
	pkg, err := ctx.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.CgoFiles) != 0 {
		t.Errorf("default build: cgo files %v, want none", pkg.CgoFiles)
	}
	for _, imp := range pkg.Imports { // the communicator sits below train: none of ours
		if strings.HasPrefix(imp, "github.com/gradflow/") {
			t.Errorf("train/dist imports %s, want no gradflow package", imp)
		}
	}
	ctx.BuildTags = []string{"mpi"}
	if pkg, err = ctx.ImportDir(".", 0); err != nil {
		t.Fatal(err)
	}
	if len(pkg.CgoFiles) == 0 {
		t.Error("-tags mpi: no cgo file, want mpi.go")
	}
}
