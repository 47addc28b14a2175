package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerated: the committed assembly of package kern is the generator's output
// (run `go generate ./ops/kern` after changing the generator).
func TestGenerated(t *testing.T) {
	for name, want := range files() {
		got, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./ops/kern)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("ops/kern/%s differs from the generator's output; run go generate ./ops/kern", name)
		}
	}
	s, err := filepath.Glob(filepath.Join("..", "..", "*.s"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != len(files()) {
		t.Errorf("ops/kern has %d .s files, the generator writes %d: every assembly file must be generated", len(s), len(files()))
	}
}

// TestExpCoefficients: poly's Taylor coefficients are the correctly rounded 1/n!
// (n! is exact in float64 for n <= 18, so 1/n! is one rounding).
func TestExpCoefficients(t *testing.T) {
	for n := 0; n <= 10; n++ {
		f := 1.0
		for i := 2; i <= n; i++ {
			f *= float64(i)
		}
		if got := expCoefValue(n); got != 1/f {
			t.Errorf("coefficient %d = %v, want 1/%v = %v", n, got, f, 1/f)
		}
	}
}
