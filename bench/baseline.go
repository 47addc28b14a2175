package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pkg/errors"
)

// Change is the difference of one workload on one system between a baseline and a
// new result, in median step time.
type Change struct {
	Workload string  `json:"workload"`
	System   string  `json:"system"`
	BaseNS   float64 `json:"base_ns"`
	NewNS    float64 `json:"new_ns"`
	// Delta is NewNS/BaseNS - 1: +0.12 is 12% slower, -0.3 is 30% faster.
	Delta float64 `json:"delta"`
	// Regression is set when Delta exceeds the threshold and the system is one
	// whose slowdowns count (see Compare).
	Regression bool `json:"regression"`
}

// Comparison is the outcome of Compare.
type Comparison struct {
	Threshold float64  `json:"threshold"`
	Changes   []Change `json:"changes"`
	// Missing lists "workload/system" pairs of the baseline that the new result
	// lacks (or that failed), which may hide a regression.
	Missing []string `json:"missing,omitempty"`
}

// Regressions returns the changes marked as regressions.
func (c *Comparison) Regressions() []Change {
	var out []Change
	for _, ch := range c.Changes {
		if ch.Regression {
			out = append(out, ch)
		}
	}
	return out
}

// Compare compares the median step time of every workload and system present in
// both results. A change is a regression when its system is in systems (every system
// if systems is empty) and it is slower than the baseline by more than threshold
// (0.1 for 10%). Speed-ups are reported too, never as regressions.
func Compare(base, cur *Result, threshold float64, systems []string) (*Comparison, error) {
	if base == nil || cur == nil {
		return nil, errors.New("bench: Compare: nil result")
	}
	if !(threshold >= 0) || math.IsInf(threshold, 0) {
		return nil, errors.Errorf("bench: Compare: threshold %g, want finite >= 0", threshold)
	}
	c := &Comparison{Threshold: threshold}
	for _, bw := range base.Workloads {
		nw := cur.Workload(bw.Name)
		if nw == nil {
			continue // workload not run this time: nothing to compare
		}
		for _, bs := range bw.Systems {
			if bs.Error != "" || bs.Step.N == 0 {
				continue
			}
			ns := nw.System(bs.System)
			if ns == nil || ns.Error != "" || ns.Step.N == 0 {
				c.Missing = append(c.Missing, bw.Name+"/"+bs.System)
				continue
			}
			ch := Change{Workload: bw.Name, System: bs.System, BaseNS: bs.Step.Median, NewNS: ns.Step.Median}
			ch.Delta = ch.NewNS/ch.BaseNS - 1
			counts := len(systems) == 0 || slices.Contains(systems, bs.System)
			// The tolerance keeps a change of exactly the threshold (110 vs 100 at
			// 10%) from counting through rounding.
			ch.Regression = counts && ch.Delta > threshold+1e-9
			c.Changes = append(c.Changes, ch)
		}
	}
	return c, nil
}

// WriteText writes the comparison as a table, regressions marked.
func (c *Comparison) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("compared with the baseline (median step time; regression beyond +%.1f%%):\n", 100*c.Threshold)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, ch := range c.Changes {
		mark := ""
		switch {
		case ch.Regression:
			mark = "REGRESSION"
		case ch.Delta < -c.Threshold:
			mark = "faster"
		}
		fmt.Fprintf(tw, "  %s/%s\t%s -> %s\t%+.1f%%\t%s\n", ch.Workload, ch.System,
			fmtDuration(ch.BaseNS), fmtDuration(ch.NewNS), 100*ch.Delta, mark)
	}
	_ = tw.Flush()
	for _, m := range c.Missing {
		ew.printf("  %s: in the baseline but not measured now\n", m)
	}
	n := len(c.Regressions())
	ew.printf("%d regression(s)\n", n)
	return ew.err
}

// ParseThreshold reads a threshold written as a percentage ("10%") or a fraction
// ("0.1").
func ParseThreshold(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || !(v >= 0) || math.IsInf(v, 0) {
		return 0, errors.Errorf("bench: threshold %q, want a percentage such as 10%% or a fraction such as 0.1", s)
	}
	if pct {
		v /= 100
	}
	return v, nil
}
