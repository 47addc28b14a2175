package train

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pkg/errors"
)

func (h *HealthMonitor) largeUpdate() float64 {
	if h.LargeUpdate == 0 {
		return 0.1
	}
	return h.LargeUpdate
}

// resume loads the records of epochs 1..upTo from Dir/health.csv and
// Dir/dead_relu.csv (missing files: nothing to load).
func (h *HealthMonitor) resume(upTo int) error {
	rows, err := readCSVRows(filepath.Join(h.Dir, "health.csv"), 11)
	if err != nil {
		return err
	}
	for i, r := range rows {
		ep, err := strconv.Atoi(r[0])
		if err != nil {
			return errors.Errorf("train: HealthMonitor: health.csv line %d: epoch %q", i+2, r[0])
		}
		if ep > upTo {
			continue
		}
		var f [7]float64
		for k := range f {
			if f[k], err = strconv.ParseFloat(r[4+k], 64); err != nil {
				return errors.Errorf("train: HealthMonitor: health.csv line %d: column %d: %q", i+2, 5+k, r[4+k])
			}
		}
		h.Records = append(h.Records, HealthRecord{Epoch: ep, Layer: r[1], Param: r[2], Kind: r[3],
			Mean: f[0], Std: f[1], Norm: f[2], GradMean: f[3], GradStd: f[4], GradNorm: f[5], UpdateRatio: f[6]})
	}
	rows, err = readCSVRows(filepath.Join(h.Dir, "dead_relu.csv"), 5)
	if err != nil {
		return err
	}
	for i, r := range rows {
		ep, e1 := strconv.Atoi(r[0])
		units, e2 := strconv.Atoi(r[2])
		dead, e3 := strconv.Atoi(r[3])
		if e1 != nil || e2 != nil || e3 != nil {
			return errors.Errorf("train: HealthMonitor: dead_relu.csv line %d: %v", i+2, r)
		}
		if ep <= upTo {
			h.Dead = append(h.Dead, DeadReLURecord{Epoch: ep, Layer: r[1], Units: units, Dead: dead})
		}
	}
	return nil
}

// readCSVRows returns the rows after the header of a CSV file with cols columns, or
// none when the file does not exist.
func readCSVRows(path string, cols int) ([][]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, "train: HealthMonitor: resuming")
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = cols
	rows, err := r.ReadAll()
	if err != nil {
		return nil, errors.Wrapf(err, "train: HealthMonitor: resuming from %s", path)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[1:], nil
}
