package graph

import (
	"fmt"
	"io"
	"sort"
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

// DotOption configures WriteDot.
type DotOption func(*dotConfig)

type dotConfig struct{ values bool }

// DotValues makes WriteDot write gorgonia's full DOT, with every node's value (every
// weight: megabytes for a model of 100k parameters) instead of the structure alone.
func DotValues() DotOption { return func(c *dotConfig) { c.values = true } }

// WriteDot writes the graph's structure in Graphviz DOT format (render with
// `dot -Tsvg`): a box per node labelled with its name, its op (or "param" with the
// param's name and kind, or "input"), its shape and dtype, and an arrow from each
// operand to the node that reads it. Values are left out unless DotValues is given.
func WriteDot(w io.Writer, g *Graph, opts ...DotOption) (err error) {
	defer Recover(&err)
	if g == nil {
		return errors.New("graph: WriteDot of a nil Graph")
	}
	var c dotConfig
	for _, o := range opts {
		o(&c)
	}
	var out string
	if c.values {
		out = g.expr.ToDot()
	} else {
		out = g.structureDot()
	}
	if _, err := io.WriteString(w, out); err != nil {
		return errors.Wrap(err, "graph: WriteDot")
	}
	return nil
}

// structureDot is WriteDot's default output, nodes in ID order.
func (g *Graph) structureDot() string {
	nodes := g.expr.AllNodes()
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID() < nodes[j].ID() })
	var b strings.Builder
	b.WriteString("digraph gradflow {\n\trankdir=BT;\n\tnode [shape=box, fontname=\"monospace\"];\n")
	for _, n := range nodes {
		what := "input"
		switch p := g.ParamOf(n); {
		case p != nil:
			what = fmt.Sprintf("param %s (%v)", p.Name(), p.Kind())
		case n.Op() != nil:
			what = n.Op().String()
		}
		label := strings.Join([]string{n.Name(), what, fmt.Sprintf("%v %v", n.Shape(), n.Dtype())}, "\n")
		fmt.Fprintf(&b, "\tn%d [label=\"%s\"];\n", n.ID(), dotEscape(label))
	}
	for _, n := range nodes {
		it := g.expr.From(n.ID())
		var kids []int64
		for it.Next() {
			kids = append(kids, it.Node().ID())
		}
		sort.Slice(kids, func(i, j int) bool { return kids[i] < kids[j] })
		for _, k := range kids {
			fmt.Fprintf(&b, "\tn%d -> n%d;\n", k, n.ID())
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// dotEscape escapes s for a double-quoted DOT string, keeping its line breaks.
func dotEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return r.Replace(s)
}
