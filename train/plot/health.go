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
// health_dead_relu.png (fraction of dead units per ReLU). With more than 8 params a
// plot shows the 8 with the largest last values (its title says so), so the legend
// stays readable; the CSV files keep every param.
//
// Set it as the monitor's Plot hook to redraw them after every epoch, next to the CSV
// files the monitor writes into its Dir:
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
	top := func(title, yLabel string, logY bool, get func(train.HealthRecord) float64) (*gplot.Plot, error) {
		t, ls := topLines(title, lines(get), maxLines)
		return newPlot(t, "epoch", yLabel, logY, ls)
	}
	norm, err := top("weight and bias norms", "L2 norm", false, func(r train.HealthRecord) float64 { return r.Norm })
	if err != nil {
		return err
	}
	std, err := top("weight and bias standard deviations", "std", false, func(r train.HealthRecord) float64 { return r.Std })
	if err != nil {
		return err
	}
	grad, err := top("gradient norms", "L2 norm (log)", true, func(r train.HealthRecord) float64 { return r.GradNorm })
	if err != nil {
		return err
	}
	ratio, err := top("update-to-weight ratio of the last step", "||Δw|| / ||w|| (log)", true,
		func(r train.HealthRecord) float64 { return r.UpdateRatio })
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
	dtitle, dead := topLines("dead ReLU units", dead, maxLines)
	dp, err := newPlot(dtitle, "epoch", "fraction dead", false, dead)
	if err != nil {
		return err
	}
	return savePlots(filepath.Join(dir, "health_dead_relu.png"), []*gplot.Plot{dp})
}
