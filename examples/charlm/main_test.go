package main

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestRun trains a small model for one epoch on a short text and generates from it
// twice: the same seed gives the same text, of the asked length, made of the text's
// characters.
func TestRun(t *testing.T) {
	text := strings.Repeat("the quick brown fox jumps over the lazy dog. ", 40)
	o := options{length: 8, stride: 3, embed: 8, hidden: 16, epochs: 1, batch: 32, lr: 3e-3,
		temp: 0.8, topP: 0.9, seed: 3, prompt: "the ", generate: 60}
	a, err := run(context.Background(), text, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := run(context.Background(), text, o)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("same seed, two texts:\n%q\n%q", a, b)
	}
	if utf8.RuneCountInString(a) != 60 {
		t.Errorf("%d characters, want 60", utf8.RuneCountInString(a))
	}
	for _, r := range a {
		if !strings.ContainsRune(text, r) {
			t.Errorf("generated %q, not in the text", r)
		}
	}
	if _, err := run(context.Background(), "short", o); err == nil {
		t.Error("a text shorter than a window: no error")
	}
}
