package train

import (
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
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
func newPlot(title, xLabel, yLabel string, logY bool, lines []series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.Top = true
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{}
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

// savePlots draws the non-nil plots stacked vertically into a PNG file, atomically.
func savePlots(path string, plots []*plot.Plot) error {
	plots = slices.DeleteFunc(plots, func(p *plot.Plot) bool { return p == nil })
	if len(plots) == 0 {
		return errors.Errorf("train: plot %s: nothing to plot", path)
	}
	const w, rowH = 20 * vg.Centimeter, 9 * vg.Centimeter
	img := vgimg.New(w, rowH*vg.Length(len(plots)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2, PadY: vg.Millimeter * 4}
	grid := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		grid[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(grid, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	err := graph.WriteFileAtomic(path, func(f io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(f)
		return err
	})
	return errors.Wrapf(err, "train: plot %s", path)
}

// SavePlot draws the training curves into a PNG file: the loss per epoch (training
// and validation), and below it the accuracy and every other metric (training and
// validation). The same numbers are written as a table by WriteCSV.
func (h *History) SavePlot(path string) error {
	if h == nil || len(h.Epochs) == 0 {
		return errors.New("train: SavePlot: empty history")
	}
	epochs := make([]float64, len(h.Epochs))
	for i, em := range h.Epochs {
		epochs[i] = float64(em.Epoch)
	}
	loss, err := newPlot("loss", "epoch", "loss", false, []series{
		{"train", epochs, h.Series("loss")}, {"validation", epochs, h.Series("val_loss")},
	})
	if err != nil {
		return errors.Wrap(err, "train: SavePlot")
	}
	var others []series
	for _, c := range h.Columns() {
		if c == "loss" || c == "val_loss" || c == "lr" {
			continue
		}
		name := "train " + c
		if v, ok := strings.CutPrefix(c, "val_"); ok {
			name = "validation " + v
		}
		others = append(others, series{name, epochs, h.Series(c)})
	}
	metrics, err := newPlot("metrics", "epoch", "value", false, others)
	if err != nil {
		return errors.Wrap(err, "train: SavePlot")
	}
	return savePlots(path, []*plot.Plot{loss, metrics})
}

// WritePlots draws the monitor's records into dir: health_weights.png (norm and
// standard deviation of each param, per epoch), health_gradients.png (gradient
// norms, log scale), health_updates.png (update-to-weight ratios, log scale) and,
// when ReLUs were found, health_dead_relu.png (fraction of dead units per ReLU).
func (h *HealthMonitor) WritePlots(dir string) error {
	var params []string
	for _, r := range h.Records {
		if !slices.Contains(params, r.Param) {
			params = append(params, r.Param)
		}
	}
	lines := func(get func(HealthRecord) float64) []series {
		out := make([]series, len(params))
		for i, name := range params {
			out[i].name = name
			for _, r := range h.Records {
				if r.Param == name {
					out[i].x = append(out[i].x, float64(r.Epoch))
					out[i].y = append(out[i].y, get(r))
				}
			}
		}
		return out
	}
	norm, err := newPlot("weight and bias norms", "epoch", "L2 norm", false, lines(func(r HealthRecord) float64 { return r.Norm }))
	if err != nil {
		return err
	}
	std, err := newPlot("weight and bias standard deviations", "epoch", "std", false, lines(func(r HealthRecord) float64 { return r.Std }))
	if err != nil {
		return err
	}
	grad, err := newPlot("gradient norms", "epoch", "L2 norm (log)", true, lines(func(r HealthRecord) float64 { return r.GradNorm }))
	if err != nil {
		return err
	}
	ratio, err := newPlot("update-to-weight ratio of the last step", "epoch", "||Δw|| / ||w|| (log)", true,
		lines(func(r HealthRecord) float64 { return r.UpdateRatio }))
	if err != nil {
		return err
	}
	if err := savePlots(filepath.Join(dir, "health_weights.png"), []*plot.Plot{norm, std}); err != nil {
		return err
	}
	if grad != nil {
		if err := savePlots(filepath.Join(dir, "health_gradients.png"), []*plot.Plot{grad}); err != nil {
			return err
		}
	}
	if ratio != nil {
		if err := savePlots(filepath.Join(dir, "health_updates.png"), []*plot.Plot{ratio}); err != nil {
			return err
		}
	}
	if len(h.Dead) == 0 {
		return nil
	}
	var layers []string
	for _, d := range h.Dead {
		if !slices.Contains(layers, d.Layer) {
			layers = append(layers, d.Layer)
		}
	}
	dead := make([]series, len(layers))
	for i, l := range layers {
		dead[i].name = l
		for _, d := range h.Dead {
			if d.Layer == l {
				dead[i].x = append(dead[i].x, float64(d.Epoch))
				dead[i].y = append(dead[i].y, d.Fraction())
			}
		}
	}
	dp, err := newPlot("dead ReLU units", "epoch", "fraction dead", false, dead)
	if err != nil {
		return err
	}
	return savePlots(filepath.Join(dir, "health_dead_relu.png"), []*plot.Plot{dp})
}
