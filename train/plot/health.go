package plot

import (
	"path/filepath"
	"slices"

	gplot "gonum.org/v1/plot"

	"github.com/gradflow/gradflow/train"
)

// Health draws a HealthMonitor's records into the directory dir (which must exist):
// health_weights.png (norm and standard deviation of each param, per epoch),
// health_gradients.png (gradient norms, log scale), health_updates.png
// (update-to-weight ratios, log scale) and, when ReLUs were found,
// health_dead_relu.png (fraction of dead units per ReLU).
//
// Set it as the monitor's Plot hook to draw them at the end of training, next to
// the CSV files the monitor writes into its Dir:
//
//	&train.HealthMonitor{Dir: "health", Plot: plot.Health}
func Health(h *train.HealthMonitor, dir string) error {
	var params []string
	for _, r := range h.Records {
		if !slices.Contains(params, r.Param) {
			params = append(params, r.Param)
		}
	}
	lines := func(get func(train.HealthRecord) float64) []series {
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
	norm, err := newPlot("weight and bias norms", "epoch", "L2 norm", false, lines(func(r train.HealthRecord) float64 { return r.Norm }))
	if err != nil {
		return err
	}
	std, err := newPlot("weight and bias standard deviations", "epoch", "std", false, lines(func(r train.HealthRecord) float64 { return r.Std }))
	if err != nil {
		return err
	}
	grad, err := newPlot("gradient norms", "epoch", "L2 norm (log)", true, lines(func(r train.HealthRecord) float64 { return r.GradNorm }))
	if err != nil {
		return err
	}
	ratio, err := newPlot("update-to-weight ratio of the last step", "epoch", "||Δw|| / ||w|| (log)", true,
		lines(func(r train.HealthRecord) float64 { return r.UpdateRatio }))
	if err != nil {
		return err
	}
	if err := savePlots(filepath.Join(dir, "health_weights.png"), []*gplot.Plot{norm, std}); err != nil {
		return err
	}
	if grad != nil {
		if err := savePlots(filepath.Join(dir, "health_gradients.png"), []*gplot.Plot{grad}); err != nil {
			return err
		}
	}
	if ratio != nil {
		if err := savePlots(filepath.Join(dir, "health_updates.png"), []*gplot.Plot{ratio}); err != nil {
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
	return savePlots(filepath.Join(dir, "health_dead_relu.png"), []*gplot.Plot{dp})
}
