package train

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ProgressMode says how Fit reports progress on Config.Progress.
type ProgressMode int

// The progress modes.
const (
	// ProgressAuto draws a bar when Progress is a terminal and prints one line
	// per epoch otherwise (a file, a pipe, a CI log).
	ProgressAuto ProgressMode = iota
	// ProgressLines prints one line per epoch:
	// "epoch 2/5  loss 0.3012  acc 91.20%  val_loss ...  1234 samples/s  1.2s".
	ProgressLines
	// ProgressBar redraws a bar in place during each epoch (samples/s, running
	// loss, ETA), then leaves the epoch's line.
	ProgressBar
	// ProgressSilent prints nothing.
	ProgressSilent
)

// progress reports Fit's progress.
type progress struct {
	w        io.Writer
	mode     ProgressMode
	start    time.Time // of the epoch
	last     time.Time // of the last redraw
	batches  int
	epoch    int
	epochs   int
	drawn    bool
	interval time.Duration
}

func newProgress(cfg Config) *progress {
	mode := cfg.ProgressMode
	if cfg.Quiet {
		mode = ProgressSilent
	}
	if mode == ProgressAuto {
		mode = ProgressLines
		if isTerminal(cfg.Progress) {
			mode = ProgressBar
		}
	}
	return &progress{w: cfg.Progress, mode: mode, interval: 100 * time.Millisecond}
}

// isTerminal reports whether w is a character device (a terminal), without cgo.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progress) epochBegin(epoch, epochs, batches int) {
	p.start, p.last = time.Now(), time.Time{}
	p.epoch, p.epochs, p.batches = epoch, epochs, batches
}

// batchEnd redraws the bar, at most every interval (and at the last batch).
func (p *progress) batchEnd(s *Status, runningLoss float64, samples int) {
	if p.mode != ProgressBar {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < p.interval && s.Batch < p.batches {
		return
	}
	p.last = now
	fmt.Fprint(p.w, "\r"+barLine(p.epoch, p.epochs, s.Batch, p.batches, samples, now.Sub(p.start), runningLoss)+"\x1b[K")
	p.drawn = true
}

// barLine renders "epoch 1/3 [=======>      ] 120/469  1234 samples/s  loss 0.3456  ETA 12s".
func barLine(epoch, epochs, batch, batches, samples int, elapsed time.Duration, loss float64) string {
	const width = 24
	frac := 0.0
	if batches > 0 {
		frac = min(float64(batch)/float64(batches), 1)
	}
	filled := int(frac * width)
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	rate := float64(samples) / max(elapsed.Seconds(), 1e-9)
	eta := time.Duration(0)
	if batch > 0 {
		eta = time.Duration(float64(elapsed) * float64(batches-batch) / float64(batch))
	}
	return fmt.Sprintf("epoch %d/%d [%s] %d/%d  %.0f samples/s  loss %.4f  ETA %s",
		epoch, epochs, bar, batch, batches, rate, loss, eta.Round(time.Second))
}

// epochEnd prints the epoch's line, over the bar if one is drawn.
func (p *progress) epochEnd(em EpochMetrics, epochs int) {
	switch p.mode {
	case ProgressSilent:
		return
	case ProgressBar:
		if p.drawn {
			fmt.Fprint(p.w, "\r\x1b[K")
			p.drawn = false
		}
	}
	fmt.Fprintln(p.w, formatEpoch(em, epochs))
}

// abort ends a drawn bar's line so that an error message starts on its own.
func (p *progress) abort() {
	if p.mode == ProgressBar && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
