package data_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/gradflow/gradflow/train/data"
)

// TestPrefetchPanic checks that a panic inside the wrapped source, which runs in the
// prefetcher's goroutine where no caller can recover it, ends the stream with an
// error that says so and where, after the batches that came before it.
func TestPrefetchPanic(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(data.Batch) error
		want string
	}{
		{"panic value", func(b data.Batch) error {
			if b.Index[0] >= 4 {
				panic("boom")
			}
			return nil
		}, "boom"},
		{"error value", func(b data.Batch) error {
			if b.Index[0] >= 4 {
				panic(io.ErrUnexpectedEOF)
			}
			return nil
		}, "unexpected EOF"},
		{"runtime error", func(b data.Batch) error {
			if b.Index[0] >= 4 {
				var s []int
				_ = s[b.Index[0]] // index out of range
			}
			return nil
		}, "index out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := data.Prefetch(data.Transform(rangeSet(t, 10), tc.fn), 2)
			if err != nil {
				t.Fatal(err)
			}
			batches := 0
			var last error
			for _, err := range src.Stream(2, nil) {
				if err != nil {
					last = err
					break
				}
				batches++
			}
			if batches != 2 {
				t.Errorf("%d batches before the panic, want 2", batches)
			}
			if last == nil {
				t.Fatal("no error after the panic")
			}
			msg := last.Error()
			for _, want := range []string{"data: prefetch: the wrapped source panicked in ", tc.want, "prefetch_test.go:"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q, want it to contain %q", msg, want)
				}
			}
			if tc.name == "error value" && !errors.Is(last, io.ErrUnexpectedEOF) {
				t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = false, want true", last)
			}
		})
	}
}
