package train

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Metric is a streaming measure of a model's outputs against targets: Update adds
// one batch, Value summarises every batch added so far. The Trainer makes a fresh
// metric with New for each epoch and each evaluation, so the values in Config.Metrics
// are only prototypes and are never updated.
//
// For classification, outputs are (N, C) scores (the predicted class is the argmax)
// or (N, 1) or (N) logits of a binary classifier (class 1 when > 0); targets are class
// indices (N), one-hot rows (N, C), or 0/1 targets (N, 1).
type Metric interface {
	// Name is the key of the metric's value in EpochMetrics.Extra ("val_" is
	// prepended for the validation set).
	Name() string
	// New returns an empty metric of the same configuration.
	New() Metric
	// Update adds a batch of outputs and targets.
	Update(output, target *tensor.Dense) error
	// Value returns the metric over every batch added; NaN before the first.
	Value() float64
}

var (
	_ Metric = (*Accuracy)(nil)
	_ Metric = (*TopKAccuracy)(nil)
	_ Metric = (*ConfusionMatrix)(nil)
	_ Metric = (*Precision)(nil)
	_ Metric = (*Recall)(nil)
	_ Metric = (*F1)(nil)
	_ Metric = (*MSE)(nil)
	_ Metric = (*MAE)(nil)
)

func freshMetrics(protos []Metric) []Metric {
	if len(protos) == 0 {
		return nil
	}
	out := make([]Metric, len(protos))
	for i, m := range protos {
		out[i] = m.New()
	}
	return out
}

func updateMetrics(ms []Metric, out, target *tensor.Dense) error {
	for _, m := range ms {
		if err := m.Update(out, target); err != nil {
			return errors.Wrapf(err, "train: metric %s", m.Name())
		}
	}
	return nil
}

// view reads the elements of a float32 or float64 tensor as float64s without
// converting the whole tensor.
type view struct {
	f32  []float32
	f64  []float64
	cols int // elements per row
}

func viewOf(t *tensor.Dense) view {
	v := view{cols: width(t)}
	if t.Dtype() == tensor.Float32 {
		v.f32 = t.Float32s()
	} else if t.Dtype() == tensor.Float64 {
		v.f64 = t.Float64s()
	}
	return v
}

func (v view) at(i int) float64 {
	if v.f32 != nil {
		return float64(v.f32[i])
	}
	return v.f64[i]
}

func (v view) size() int { return len(v.f32) + len(v.f64) }

// width returns the number of elements per row of a tensor with n rows.
func width(t *tensor.Dense) int {
	if t.Shape()[0] == 0 {
		return 0
	}
	return t.Size() / t.Shape()[0]
}

func checkRows(out, target *tensor.Dense) error {
	if out == nil || target == nil || out.Dims() == 0 || target.Dims() == 0 {
		return errors.New("nil or scalar output or target")
	}
	if out.Shape()[0] != target.Shape()[0] {
		return errors.Errorf("output shape %v and target shape %v differ in N", out.Shape(), target.Shape())
	}
	return nil
}

// predictedClass is the argmax of row i of out, or for one score per row, 1 if
// it is > 0.
func predictedClass(out view, i int) int {
	c := out.cols
	if c == 1 {
		if out.at(i) > 0 {
			return 1
		}
		return 0
	}
	return argmax(out, i)
}

func argmax(v view, i int) int {
	c, best := v.cols, 0
	for j := 1; j < c; j++ {
		if v.at(i*c+j) > v.at(i*c+best) {
			best = j
		}
	}
	return best
}

// targetClass is the class of row i of a target: the label itself, the argmax of a
// one-hot row, or a rounded 0/1 target.
func targetClass(target view, i int) int {
	if target.cols == 1 {
		return int(math.Round(target.at(i)))
	}
	return argmax(target, i)
}

// Accuracy is the fraction of examples whose predicted class is the target's.
type Accuracy struct{ correct, n int }

func (*Accuracy) Name() string     { return "accuracy" }
func (*Accuracy) New() Metric      { return &Accuracy{} }
func (m *Accuracy) Value() float64 { return ratio(m.correct, m.n) }

func (m *Accuracy) Update(out, target *tensor.Dense) error {
	c, err := countCorrect(out, target)
	if err != nil {
		return err
	}
	m.correct += c
	m.n += out.Shape()[0]
	return nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// TopKAccuracy is the fraction of examples whose target class is among the K
// highest scores of (N, C) outputs (ties broken by lower index). Its name is
// "top<K>_accuracy".
type TopKAccuracy struct {
	K          int // >= 1
	correct, n int
}

func (m *TopKAccuracy) Name() string   { return fmt.Sprintf("top%d_accuracy", m.K) }
func (m *TopKAccuracy) New() Metric    { return &TopKAccuracy{K: m.K} }
func (m *TopKAccuracy) Value() float64 { return ratio(m.correct, m.n) }

func (m *TopKAccuracy) Update(out, target *tensor.Dense) error {
	if m.K < 1 {
		return errors.Errorf("K = %d, want >= 1", m.K)
	}
	if err := checkRows(out, target); err != nil {
		return err
	}
	n, c := out.Shape()[0], width(out)
	ov, tv := viewOf(out), viewOf(target)
	for i := 0; i < n; i++ {
		y := targetClass(tv, i)
		if y < 0 || y >= c {
			return errors.Errorf("target class %d of row %d is outside the %d output columns", y, i, c)
		}
		s := ov.at(i*c + y)
		higher := 0 // classes ranked above y
		for j := 0; j < c; j++ {
			v := ov.at(i*c + j)
			if v > s || (v == s && j < y) {
				higher++
			}
		}
		if higher < m.K {
			m.correct++
		}
	}
	m.n += n
	return nil
}

// ConfusionMatrix counts examples by target class (row) and predicted class (column).
// Classes 0 means: inferred from the first batch (the output width, or 2 for one
// score per row). Its Value is the accuracy; Matrix, PerClass scores and macro
// averages come from the counts.
type ConfusionMatrix struct {
	Classes int
	counts  []int // Classes x Classes, row-major
}

func (m *ConfusionMatrix) Name() string { return "confusion_accuracy" }
func (m *ConfusionMatrix) New() Metric  { return &ConfusionMatrix{Classes: m.Classes} }

func (m *ConfusionMatrix) Update(out, target *tensor.Dense) error {
	if err := checkRows(out, target); err != nil {
		return err
	}
	if m.Classes == 0 {
		m.Classes = max(width(out), 2)
	}
	if m.counts == nil {
		m.counts = make([]int, m.Classes*m.Classes)
	}
	n := out.Shape()[0]
	ov, tv := viewOf(out), viewOf(target)
	for i := 0; i < n; i++ {
		y, p := targetClass(tv, i), predictedClass(ov, i)
		if y < 0 || y >= m.Classes || p >= m.Classes {
			return errors.Errorf("row %d: target class %d, predicted %d, want both in [0, %d)", i, y, p, m.Classes)
		}
		m.counts[y*m.Classes+p]++
	}
	return nil
}

// Matrix returns a copy of the counts: Matrix()[target][predicted].
func (m *ConfusionMatrix) Matrix() [][]int {
	out := make([][]int, m.Classes)
	for i := range out {
		out[i] = make([]int, m.Classes)
		if m.counts != nil {
			copy(out[i], m.counts[i*m.Classes:(i+1)*m.Classes])
		}
	}
	return out
}

// Value returns the accuracy: the diagonal over the total.
func (m *ConfusionMatrix) Value() float64 {
	diag, total := 0, 0
	for i := 0; i < m.Classes && m.counts != nil; i++ {
		for j := 0; j < m.Classes; j++ {
			total += m.counts[i*m.Classes+j]
		}
		diag += m.counts[i*m.Classes+i]
	}
	return ratio(diag, total)
}

// PerClass returns precision, recall and F1 of each class. A score whose
// denominator is 0 (a class never predicted, or absent) is 0, as scikit-learn's
// zero_division=0.
func (m *ConfusionMatrix) PerClass() (precision, recall, f1 []float64) {
	k := m.Classes
	precision, recall, f1 = make([]float64, k), make([]float64, k), make([]float64, k)
	if m.counts == nil {
		return
	}
	for c := 0; c < k; c++ {
		tp, predicted, actual := m.counts[c*k+c], 0, 0
		for j := 0; j < k; j++ {
			predicted += m.counts[j*k+c]
			actual += m.counts[c*k+j]
		}
		precision[c] = zeroDiv(tp, predicted)
		recall[c] = zeroDiv(tp, actual)
		if s := precision[c] + recall[c]; s > 0 {
			f1[c] = 2 * precision[c] * recall[c] / s
		}
	}
	return
}

func zeroDiv(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Precision is the macro-averaged precision over the classes (the mean of the
// per-class precisions, which PerClass returns), from a confusion matrix.
type Precision struct{ ConfusionMatrix }

// Recall is the macro-averaged recall over the classes.
type Recall struct{ ConfusionMatrix }

// F1 is the macro-averaged F1 score over the classes (the mean of the per-class
// F1 scores, as scikit-learn's average="macro").
type F1 struct{ ConfusionMatrix }

func (m *Precision) Name() string { return "precision" }
func (m *Precision) New() Metric  { return &Precision{ConfusionMatrix{Classes: m.Classes}} }
func (m *Precision) Value() float64 {
	if m.total() == 0 {
		return math.NaN()
	}
	p, _, _ := m.ConfusionMatrix.PerClass()
	return mean(p)
}

// PerClass returns the precision of each class.
func (m *Precision) PerClass() []float64 { p, _, _ := m.ConfusionMatrix.PerClass(); return p }

func (m *Recall) Name() string { return "recall" }
func (m *Recall) New() Metric  { return &Recall{ConfusionMatrix{Classes: m.Classes}} }
func (m *Recall) Value() float64 {
	if m.total() == 0 {
		return math.NaN()
	}
	_, r, _ := m.ConfusionMatrix.PerClass()
	return mean(r)
}

// PerClass returns the recall of each class.
func (m *Recall) PerClass() []float64 { _, r, _ := m.ConfusionMatrix.PerClass(); return r }

func (m *F1) Name() string { return "f1" }
func (m *F1) New() Metric  { return &F1{ConfusionMatrix{Classes: m.Classes}} }
func (m *F1) Value() float64 {
	if m.total() == 0 {
		return math.NaN()
	}
	_, _, f := m.ConfusionMatrix.PerClass()
	return mean(f)
}

// PerClass returns the F1 score of each class.
func (m *F1) PerClass() []float64 { _, _, f := m.ConfusionMatrix.PerClass(); return f }

func (m *ConfusionMatrix) total() int {
	s := 0
	for _, c := range m.counts {
		s += c
	}
	return s
}

// MSE is the mean squared error over every element of output and target, which
// must have the same size.
type MSE struct {
	sum float64
	n   int
}

func (*MSE) Name() string     { return "mse" }
func (*MSE) New() Metric      { return &MSE{} }
func (m *MSE) Value() float64 { return m.sum / float64(m.n) }
func (m *MSE) Update(out, target *tensor.Dense) error {
	return sumErrors(out, target, &m.sum, &m.n, func(d float64) float64 { return d * d })
}

// MAE is the mean absolute error over every element of output and target.
type MAE struct {
	sum float64
	n   int
}

func (*MAE) Name() string     { return "mae" }
func (*MAE) New() Metric      { return &MAE{} }
func (m *MAE) Value() float64 { return m.sum / float64(m.n) }
func (m *MAE) Update(out, target *tensor.Dense) error {
	return sumErrors(out, target, &m.sum, &m.n, math.Abs)
}

func sumErrors(out, target *tensor.Dense, sum *float64, n *int, f func(float64) float64) error {
	if err := checkRows(out, target); err != nil {
		return err
	}
	if out.Size() != target.Size() {
		return errors.Errorf("output shape %v and target shape %v have different sizes", out.Shape(), target.Shape())
	}
	ov, tv := viewOf(out), viewOf(target)
	for i := 0; i < ov.size(); i++ {
		*sum += f(ov.at(i) - tv.at(i))
	}
	*n += out.Size()
	return nil
}
