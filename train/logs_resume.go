package train

import (
	"bufio"
	"encoding/csv"
	"io"
	"os"
	"slices"

	"github.com/pkg/errors"
)

// csvTail is the columns a CSVLogger writes after the metrics.
var csvTail = []string{"step", "samples", "samples_per_sec", "seconds"}

// csvLogColumns returns the metric columns of the CSV log at path, from its header
// line, or nil when the file is missing or empty (a new log gets a header).
func csvLogColumns(path string) ([]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, "train: CSVLogger")
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, errors.Wrapf(err, "train: CSVLogger: reading the header of %s", path)
	}
	n := len(header)
	if n < 1+len(csvTail) || header[0] != "epoch" || !slices.Equal(header[n-len(csvTail):], csvTail) {
		return nil, errors.Errorf("train: CSVLogger: %s does not start with a CSVLogger header (got %v); append to a log it wrote, or to a new file", path, header)
	}
	return append([]string(nil), header[1:n-len(csvTail)]...), nil
}
