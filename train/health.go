package train

import (
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/ops"
	"github.com/gradflow/gradflow/train/data"
)

// HealthMonitor is a Callback that records, after every epoch, statistics of each
// weight and bias and of its gradient, to see how the layers evolve and to catch
// vanishing or exploding gradients and dead ReLU units early:
//
//   - mean, standard deviation and L2 norm of each param's values and of its
//     gradient (the gradient of the epoch's last optimizer step);
//   - the update-to-weight ratio ||Δw||/||w|| of that last step (about 1e-3 is
//     healthy, by Karpathy's rule of thumb; much smaller means the layer barely
//     learns, much larger that it is unstable);
//   - the fraction of dead units of each ReLU: units that output 0 for every
//     example of a probe batch (the first ProbeSize training examples, run in
//     evaluation mode through a graph that also outputs every ReLU).
//
// A gradient norm below Vanishing or above Exploding, and a weight's update-to-weight
// ratio above LargeUpdate, add a warning naming the layer and the param (written to
// Warn and kept in Warnings). With Dir set, the records are written to
// Dir/health.csv and Dir/dead_relu.csv after every epoch and, if Plot is set, drawn
// into Dir after every epoch too (a killed run keeps its plots): with Plot:
// plot.Health (package train/plot), as Dir/health_*.png. train itself draws nothing,
// so that importing it pulls in no plotting library.
//
// A Fit that resumes from a checkpoint (the trainer has epochs behind it) reads the
// records of those epochs back from Dir's CSV files and appends to them, so the files
// and plots cover the whole run; records of later epochs (a run killed after its last
// checkpoint) are dropped, since the resumed run trains those epochs again.
type HealthMonitor struct {
	Dir       string
	Vanishing float64 // gradient-norm threshold; 0 means 1e-7
	Exploding float64 // gradient-norm threshold; 0 means 1e3
	// LargeUpdate is the update-to-weight ratio above which a weight (not a bias,
	// whose norm starts at 0) warns; 0 means 0.1, 100 times the healthy 1e-3; a
	// negative value disables the check.
	LargeUpdate float64
	Warn        io.Writer // nil means the trainer's Progress writer, unless it is silent
	ProbeSize   int       // examples in the dead-unit probe; 0 means 256; -1 disables the probe
	// Plot, if set, is called after every epoch with the monitor and Dir, when Dir
	// is set; its error stops Fit. plot.Health draws the records as PNG.
	Plot func(h *HealthMonitor, dir string) error

	NopCallback
	Records  []HealthRecord
	Dead     []DeadReLURecord
	Warnings []string
	before   []*graphParamValue
}

// graphParamValue holds a param's values before the epoch's last step.
type graphParamValue struct {
	p    *graph.Param
	vals []float64
}

// HealthRecord is one param's statistics after one epoch.
type HealthRecord struct {
	Epoch                       int
	Param, Layer, Kind          string
	Mean, Std, Norm             float64
	GradMean, GradStd, GradNorm float64
	UpdateRatio                 float64 // NaN when no step was seen
}

// DeadReLURecord is one ReLU's dead-unit count after one epoch.
type DeadReLURecord struct {
	Epoch int
	Layer string // the scope of the nearest param feeding the ReLU, and its position
	Units int    // units per example
	Dead  int    // units that were 0 for every probe example
}

// Fraction returns Dead/Units.
func (r DeadReLURecord) Fraction() float64 { return float64(r.Dead) / float64(max(r.Units, 1)) }

var _ Callback = (*HealthMonitor)(nil)

func (h *HealthMonitor) OnEpochBegin(s *Status) error {
	if s.Batches <= 1 {
		h.keep(s.Trainer.params)
	}
	return nil
}

func (h *HealthMonitor) OnBatchEnd(s *Status) error {
	if s.Batch == s.Batches-1 { // the next step is the epoch's last
		h.keep(s.Trainer.params)
	}
	return nil
}

// keep copies the trainable params' values (to measure the last update).
func (h *HealthMonitor) keep(params []*graph.Param) {
	if h.before == nil {
		for _, p := range params {
			if p.Trainable() {
				h.before = append(h.before, &graphParamValue{p: p, vals: make([]float64, p.Size())})
			}
		}
	}
	for _, b := range h.before {
		readFloats(b.p, false, b.vals)
	}
}

// readFloats copies a param's values (or gradient) into dst as float64s.
func readFloats(p *graph.Param, grad bool, dst []float64) []float64 {
	var f32 []float32
	var f64 []float64
	if grad {
		f32, f64 = p.GradFloat32s(), p.GradFloat64s()
	} else {
		f32, f64 = p.Float32s(), p.Float64s()
	}
	n := len(f32) + len(f64)
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	for i, v := range f32 {
		dst[i] = float64(v)
	}
	copy(dst, f64)
	return dst
}

func stats(x []float64) (mean, std, norm float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	var sum, sq float64
	for _, v := range x {
		sum += v
		sq += v * v
	}
	mean = sum / float64(len(x))
	var dev float64
	for _, v := range x {
		dev += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(dev / float64(len(x))), math.Sqrt(sq)
}

func (h *HealthMonitor) OnEpochEnd(s *Status) error {
	vanish, explode := h.Vanishing, h.Exploding
	if vanish == 0 {
		vanish = 1e-7
	}
	if explode == 0 {
		explode = 1e3
	}
	var vals, grads []float64
	for _, p := range s.Trainer.params {
		if p.Kind() == graph.State {
			continue
		}
		vals = readFloats(p, false, vals)
		r := HealthRecord{Epoch: s.Epoch, Param: p.Name(), Layer: path.Dir(p.Name()), Kind: p.Kind().String(), UpdateRatio: math.NaN()}
		r.Mean, r.Std, r.Norm = stats(vals)
		r.GradMean, r.GradStd, r.GradNorm = math.NaN(), math.NaN(), math.NaN()
		if p.Trainable() && p.Grad() != nil {
			grads = readFloats(p, true, grads)
			r.GradMean, r.GradStd, r.GradNorm = stats(grads)
			for _, b := range h.before {
				if b.p == p && r.Norm > 0 {
					var d float64
					for i, v := range vals {
						d += (v - b.vals[i]) * (v - b.vals[i])
					}
					r.UpdateRatio = math.Sqrt(d) / r.Norm
				}
			}
			if large := h.largeUpdate(); large > 0 && p.Kind() == graph.Weight && r.UpdateRatio > large {
				h.warn(s, fmt.Sprintf("epoch %d: layer %s: large update: the last step changed %q by %.3g of its norm > %g (a rate too high?)",
					s.Epoch, r.Layer, p.Name(), r.UpdateRatio, large))
			}
			switch {
			case r.GradNorm < vanish:
				h.warn(s, fmt.Sprintf("epoch %d: layer %s: vanishing gradient: norm of the gradient of %q is %.3g < %g",
					s.Epoch, r.Layer, p.Name(), r.GradNorm, vanish))
			case r.GradNorm > explode || math.IsNaN(r.GradNorm):
				h.warn(s, fmt.Sprintf("epoch %d: layer %s: exploding gradient: norm of the gradient of %q is %.3g > %g",
					s.Epoch, r.Layer, p.Name(), r.GradNorm, explode))
			}
		}
		h.Records = append(h.Records, r)
	}
	if h.ProbeSize >= 0 {
		n := h.ProbeSize
		if n == 0 {
			n = 256
		}
		dead, err := s.Trainer.deadReLUs(s.TrainSet, min(n, s.TrainSet.Len()))
		if err != nil {
			return errors.Wrap(err, "train: HealthMonitor: dead-unit probe")
		}
		for _, d := range dead {
			d.Epoch = s.Epoch
			h.Dead = append(h.Dead, d)
			if d.Dead == d.Units {
				h.warn(s, fmt.Sprintf("epoch %d: layer %s: all %d ReLU units are dead", s.Epoch, d.Layer, d.Units))
			}
		}
	}
	if h.Dir == "" {
		return nil
	}
	if err := h.writeCSV(); err != nil {
		return err
	}
	if h.Plot != nil {
		return h.Plot(h, h.Dir)
	}
	return nil
}

func (h *HealthMonitor) warn(s *Status, msg string) {
	h.Warnings = append(h.Warnings, msg)
	w := h.Warn
	if w == nil {
		cfg := s.Trainer.cfg
		if cfg.Quiet || cfg.ProgressMode == ProgressSilent {
			return
		}
		w = cfg.Progress
	}
	fmt.Fprintln(w, "warning: "+msg)
}

// OnTrainBegin reads back the records of the epochs a resumed trainer has behind it.
func (h *HealthMonitor) OnTrainBegin(s *Status) error {
	if h.Dir == "" || len(h.Records) > 0 || s.Trainer.Epoch() == 0 {
		return nil
	}
	return h.resume(s.Trainer.Epoch())
}

// writeCSV rewrites Dir/health.csv and Dir/dead_relu.csv with every record so far.
func (h *HealthMonitor) writeCSV() error {
	if err := os.MkdirAll(h.Dir, 0o755); err != nil {
		return errors.Wrap(err, "train: HealthMonitor")
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	err := graph.WriteFileAtomic(filepath.Join(h.Dir, "health.csv"), func(w io.Writer) error {
		fmt.Fprintln(w, "epoch,layer,param,kind,mean,std,norm,grad_mean,grad_std,grad_norm,update_ratio")
		for _, r := range h.Records {
			fmt.Fprintf(w, "%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", r.Epoch, r.Layer, r.Param, r.Kind,
				f(r.Mean), f(r.Std), f(r.Norm), f(r.GradMean), f(r.GradStd), f(r.GradNorm), f(r.UpdateRatio))
		}
		return nil
	})
	if err == nil && len(h.Dead) > 0 {
		err = graph.WriteFileAtomic(filepath.Join(h.Dir, "dead_relu.csv"), func(w io.Writer) error {
			fmt.Fprintln(w, "epoch,layer,units,dead,fraction")
			for _, d := range h.Dead {
				fmt.Fprintf(w, "%d,%s,%d,%d,%s\n", d.Epoch, d.Layer, d.Units, d.Dead, f(d.Fraction()))
			}
			return nil
		})
	}
	return errors.Wrap(err, "train: HealthMonitor")
}

// reluNode is a ReLU output in a traced graph and the layer it belongs to.
type reluNode struct {
	node  *gorgonia.Node
	layer string
}

// reluProbe is the compiled graph of the dead-unit probe.
type reluProbe struct {
	key string
	n   int
	p   *program
}

// findReLUs returns the ReLU outputs in g: those of ops.ReLU and ops.LinearReLU
// (nn.ReLU, alone or fused into the Linear before it), and of gorgonia.Rectify.
// Rectify builds x ⊙ (x >= 0) and tags the comparison with the group "Rectify"; the
// ReLU's output is the product whose operand is that comparison. Each is named after
// the scope of the nearest param upstream of it.
func findReLUs(g *graph.Graph) []reluNode {
	eg := g.Expr()
	var out []reluNode
	for _, n := range eg.AllNodes() {
		if ops.IsReLU(n) {
			out = append(out, reluNode{node: n, layer: upstreamLayer(g, n) + fmt.Sprintf("/relu%d", len(out))})
			continue
		}
		if inGroup(n, "Rectify") {
			continue
		}
		it := eg.From(n.ID())
		var cmp, x *gorgonia.Node
		for it.Next() {
			c := it.Node().(*gorgonia.Node)
			if inGroup(c, "Rectify") {
				cmp = c
			} else {
				x = c
			}
		}
		if cmp == nil || x == nil {
			continue
		}
		out = append(out, reluNode{node: n, layer: upstreamLayer(g, x) + fmt.Sprintf("/relu%d", len(out))})
	}
	return out
}

func inGroup(n *gorgonia.Node, name string) bool {
	for _, grp := range n.Groups() {
		if grp.Name == name {
			return true
		}
	}
	return false
}

// upstreamLayer returns the scope of the first param found breadth-first below n.
func upstreamLayer(g *graph.Graph, n *gorgonia.Node) string {
	eg := g.Expr()
	queue, seen := []*gorgonia.Node{n}, map[*gorgonia.Node]bool{n: true}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if p := g.ParamOf(c); p != nil {
			return path.Dir(p.Name())
		}
		it := eg.From(c.ID())
		for it.Next() {
			k := it.Node().(*gorgonia.Node)
			if !seen[k] {
				seen[k] = true
				queue = append(queue, k)
			}
		}
	}
	return "input"
}

// deadReLUs runs the first n examples of set through an evaluation graph that
// outputs every ReLU and counts, per ReLU, the units that are 0 for all of them.
func (t *Trainer) deadReLUs(set data.Source, n int) ([]DeadReLURecord, error) {
	if n < 1 {
		return nil, nil
	}
	key, err := sourceKey(set)
	if err != nil {
		return nil, err
	}
	if t.probe == nil || t.probe.key != key || t.probe.n != n {
		p, err := t.trace(set, n, graph.Eval, true)
		if err != nil {
			return nil, errors.Wrap(err, "tracing the probe")
		}
		if t.probe != nil {
			t.probe.p.m.Close()
		}
		t.probe = &reluProbe{key: key, n: n, p: p}
	}
	p := t.probe.p
	if len(p.relus) == 0 {
		return nil, nil
	}
	for b, err := range set.Stream(n, nil) {
		if err != nil {
			return nil, err
		}
		if err := p.m.Run(graph.Feeds{p.x: b.X, p.t: b.T}); err != nil {
			return nil, err
		}
		break // the first batch only
	}
	var out []DeadReLURecord
	for _, r := range p.relus {
		act, err := p.m.Output(r.node)
		if err != nil {
			return nil, err
		}
		v := viewOf(act)
		units := v.cols
		dead := 0
		rows := act.Shape()[0]
		for u := 0; u < units; u++ {
			alive := false
			for i := 0; i < rows && !alive; i++ {
				alive = v.at(i*units+u) > 0
			}
			if !alive {
				dead++
			}
		}
		out = append(out, DeadReLURecord{Layer: r.layer, Units: units, Dead: dead})
	}
	return out, nil
}
