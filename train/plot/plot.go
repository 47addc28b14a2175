package plot

import (
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/pkg/errors"
	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/gradflow/gradflow/graph"
)

// series is one named line of a plot.
type series struct {
	name string
	x, y []float64
}

// newPlot returns a plot with the lines, skipping NaN points (and, with logY,
// points <= 0, which a log scale cannot show). It returns nil if no point is left.
func newPlot(title, xLabel, yLabel string, logY bool, lines []series) (*gplot.Plot, error) {
	p := gplot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	if logY {
		p.Y.Scale = gplot.LogScale{}
		p.Y.Tick.Marker = gplot.LogTicks{}
	}
	var args []any
	for _, s := range lines {
		var xy plotter.XYs
		for i, y := range s.y {
			if math.IsNaN(y) || math.IsInf(y, 0) || (logY && y <= 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: s.x[i], Y: y})
		}
		if len(xy) > 0 {
			args = append(args, s.name, xy)
		}
	}
	if len(args) == 0 {
		return nil, nil
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return nil, err
	}
	return p, nil
}

// maxLines is how many lines a health plot shows: with more params the legend would
// cover the plot, so it keeps the ones with the largest last values.
const maxLines = 8

// topLines keeps the n lines whose last finite value is largest (all of them when
// there are at most n), in their original order, and says in the title how many of
// how many it shows.
func topLines(title string, lines []series, n int) (string, []series) {
	if len(lines) <= n {
		return title, lines
	}
	last := func(s series) float64 {
		for i := len(s.y) - 1; i >= 0; i-- {
			if !math.IsNaN(s.y[i]) && !math.IsInf(s.y[i], 0) {
				return s.y[i]
			}
		}
		return math.Inf(-1)
	}
	idx := make([]int, len(lines))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		la, lb := last(lines[a]), last(lines[b])
		switch {
		case la > lb:
			return -1
		case la < lb:
			return 1
		}
		return 0
	})
	idx = idx[:n]
	slices.Sort(idx)
	kept := make([]series, n)
	for i, k := range idx {
		kept[i] = lines[k]
	}
	return fmt.Sprintf("%s (the %d largest of %d)", title, n, len(lines)), kept
}

// savePlots draws the non-nil plots stacked vertically into a PNG file, atomically.
func savePlots(path string, plots []*gplot.Plot) error {
	plots = slices.DeleteFunc(plots, func(p *gplot.Plot) bool { return p == nil })
	if len(plots) == 0 {
		return errors.Errorf("plot: %s: nothing to plot", path)
	}
	const w, rowH = 20 * vg.Centimeter, 9 * vg.Centimeter
	img := vgimg.New(w, rowH*vg.Length(len(plots)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2, PadY: vg.Millimeter * 4}
	grid := make([][]*gplot.Plot, len(plots))
	for i, p := range plots {
		grid[i] = []*gplot.Plot{p}
	}
	canvases := gplot.Align(grid, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	err := graph.WriteFileAtomic(path, func(f io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(f)
		return err
	})
	return errors.Wrapf(err, "plot: %s", path)
}
