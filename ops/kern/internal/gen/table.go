package main

import (
	"bytes"
	"fmt"
	"math"
)

// table is a RODATA symbol of float64 constants, in order.
type table struct {
	sym   string
	names []string
	bits  []uint64
	notes []string
}

// add appends a constant and returns its operand.
func (t *table) add(name string, v float64, note string) operand {
	return t.addBits(name, math.Float64bits(v), note)
}

func (t *table) addBits(name string, v uint64, note string) operand {
	t.names = append(t.names, name)
	t.bits = append(t.bits, v)
	t.notes = append(t.notes, note)
	return t.at(name)
}

// at returns the operand of the constant called name.
func (t *table) at(name string) operand {
	for i, n := range t.names {
		if n == name {
			return mem(t.sym, 8*i)
		}
	}
	panic("gen: no constant " + name + " in " + t.sym)
}

// write emits the DATA and GLOBL lines.
func (t *table) write(b *bytes.Buffer) {
	b.WriteString("\n")
	for i := range t.names {
		note := t.names[i]
		if t.notes[i] != "" {
			note = t.notes[i]
		}
		dataBits(b, t.sym, 8*i, t.bits[i], note)
	}
	fmt.Fprintf(b, "GLOBL %s<>(SB), RODATA|NOPTR, $%d\n", t.sym, 8*len(t.names))
}
