package nn

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoOps enforces DESIGN.md: nn holds layers only, and every op and kernel lives in
// ops. No non-test file of nn may declare a type with gorgonia.Op's methods Do, Type
// and InferShape, declare or construct an ops.Def, apply an op of its own with
// gorgonia.ApplyOp, or declare a function without a body (an assembly kernel); and nn
// has no assembly files.
func TestNoOps(t *testing.T) {
	if asm, err := filepath.Glob("*.s"); err != nil || len(asm) > 0 {
		t.Errorf("nn has assembly files %v (err %v); kernels belong in ops", asm, err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no Go files found")
	}
	opMethods := map[string]bool{"Do": true, "Type": true, "InferShape": true}
	methods := map[string]map[string]bool{} // receiver type -> op methods it has
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Body == nil {
					t.Errorf("%s: func %s has no body (an assembly kernel); kernels belong in ops", fset.Position(n.Pos()), n.Name.Name)
				}
				if n.Recv != nil && len(n.Recv.List) == 1 && opMethods[n.Name.Name] {
					recv := typeName(n.Recv.List[0].Type)
					if methods[recv] == nil {
						methods[recv] = map[string]bool{}
					}
					methods[recv][n.Name.Name] = true
				}
			case *ast.SelectorExpr:
				if pkg, ok := n.X.(*ast.Ident); ok {
					if pkg.Name == "ops" && n.Sel.Name == "Def" {
						t.Errorf("%s: nn uses ops.Def; ops belong in ops", fset.Position(n.Pos()))
					}
					if pkg.Name == "gorgonia" && n.Sel.Name == "ApplyOp" {
						t.Errorf("%s: nn calls gorgonia.ApplyOp; ops belong in ops", fset.Position(n.Pos()))
					}
				}
			}
			return true
		})
	}
	for recv, ms := range methods {
		if len(ms) == len(opMethods) {
			t.Errorf("type %s has gorgonia.Op's methods Do, Type and InferShape; ops belong in ops", recv)
		}
	}
}

// typeName returns the name of a receiver type: T, *T, T[P] or *T[P].
func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return typeName(e.X)
	case *ast.IndexExpr:
		return typeName(e.X)
	case *ast.IndexListExpr:
		return typeName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}
