package plot

import (
	"fmt"
	"math"
	"testing"
)

func TestTopLines(t *testing.T) {
	var lines []series
	for i := range 12 {
		y := []float64{1, float64((i * 5) % 12)}
		if i == 3 {
			y = []float64{100, math.NaN()} // the last finite value counts
		}
		lines = append(lines, series{name: fmt.Sprint("p", i), x: []float64{1, 2}, y: y})
	}
	title, kept := topLines("norms", lines, 8)
	if title != "norms (the 8 largest of 12)" {
		t.Errorf("title %q", title)
	}
	var names []string
	for _, s := range kept {
		names = append(names, s.name)
	}
	// last values: p0 0, p1 5, p2 10, p3 100, p4 8, p5 1, p6 6, p7 11, p8 4, p9 9, p10 2, p11 7
	if got := fmt.Sprint(names); got != "[p1 p2 p3 p4 p6 p7 p9 p11]" {
		t.Errorf("kept %s", got)
	}
	if title, kept := topLines("few", lines[:3], 8); title != "few" || len(kept) != 3 {
		t.Errorf("3 lines: %q, %d kept", title, len(kept))
	}
}
