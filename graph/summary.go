package graph

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/pkg/errors"
)

// Summary returns a table of params: name, kind, shape, element count, whether it is
// trainable, and the totals, like Keras's model.summary().
func Summary(params []*Param) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "name\tkind\tshape\tcount\ttrainable")
	total, trainable := 0, 0
	for _, p := range params {
		fmt.Fprintf(tw, "%s\t%v\t%v\t%d\t%v\n", p.Name(), p.Kind(), p.Shape(), p.Size(), p.Trainable())
		total += p.Size()
		if p.Trainable() {
			trainable += p.Size()
		}
	}
	tw.Flush()
	fmt.Fprintf(&b, "total %d params (%d trainable, %d not)\n", total, trainable, total-trainable)
	return b.String()
}

// WriteDot writes the graph in Graphviz DOT format (render with `dot -Tsvg`).
func WriteDot(w io.Writer, g *Graph) (err error) {
	defer Recover(&err)
	if g == nil {
		return errors.New("graph: WriteDot of a nil Graph")
	}
	if _, err := io.WriteString(w, g.expr.ToDot()); err != nil {
		return errors.Wrap(err, "graph: WriteDot")
	}
	return nil
}
