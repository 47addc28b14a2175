package dist

import (
	"fmt"

	"github.com/pkg/errors"
)

// complete computes the result of a round of the in-process group from every rank's
// call, after checking that the ranks agree on the collective. An all-reduce writes
// its sum into reuse when it has the right type and length.
func complete(calls []call, reuse any) (any, error) {
	c0 := calls[0]
	for r, c := range calls {
		if c.op != c0.op || c.n != c0.n || c.root != c0.root || typeName(c.buf) != typeName(c0.buf) {
			return nil, errors.Errorf("collectives differ: rank 0 called %s, rank %d called %s",
				describe(c0), r, describe(c))
		}
	}
	switch c0.op {
	case "allreduce":
		switch c0.buf.(type) {
		case []float32:
			return sumInOrder[float32](calls, reuse), nil
		case []float64:
			return sumInOrder[float64](calls, reuse), nil
		}
	case "broadcast":
		return clone(calls[c0.root].buf), nil
	case "allgather":
		switch c0.send.(type) {
		case []float32:
			return gather[float32](calls), nil
		case []float64:
			return gather[float64](calls), nil
		case []int64:
			return gather[int64](calls), nil
		case []byte:
			return gather[byte](calls), nil
		}
	case "barrier":
		return nil, nil
	}
	return nil, errors.Errorf("internal error: collective %s", describe(c0))
}

func describe(c call) string {
	switch c.op {
	case "barrier":
		return "Barrier"
	case "broadcast":
		return fmt.Sprintf("Broadcast(%s of %d, root %d)", typeName(c.buf), c.n, c.root)
	case "allgather":
		return fmt.Sprintf("AllGather(%s of %d)", typeName(c.send), c.n)
	}
	return fmt.Sprintf("AllReduceSum(%s of %d)", typeName(c.buf), c.n)
}

func typeName(buf any) string {
	switch buf.(type) {
	case []float32:
		return "[]float32"
	case []float64:
		return "[]float64"
	case []int64:
		return "[]int64"
	case []byte:
		return "[]byte"
	case nil:
		return "nothing"
	}
	return "?"
}

// sumInOrder adds the ranks' buffers in rank order: (b0 + b1) + b2 + ..., into
// reuse if it is a []T of the right length.
func sumInOrder[T float32 | float64](calls []call, reuse any) []T {
	out, ok := reuse.([]T)
	if !ok || len(out) != calls[0].n {
		out = make([]T, calls[0].n)
	}
	copy(out, calls[0].buf.([]T))
	for _, c := range calls[1:] {
		for i, v := range c.buf.([]T) {
			out[i] += v
		}
	}
	return out
}

func gather[T float32 | float64 | int64 | byte](calls []call) []T {
	out := make([]T, 0, len(calls)*calls[0].n)
	for _, c := range calls {
		out = append(out, c.send.([]T)...)
	}
	return out
}

func clone(buf any) any {
	switch b := buf.(type) {
	case []float32:
		return append([]float32(nil), b...)
	case []float64:
		return append([]float64(nil), b...)
	case []int64:
		return append([]int64(nil), b...)
	case []byte:
		return append([]byte(nil), b...)
	}
	return nil
}

// copyInto copies src into dst, two slices of one supported type and length.
func copyInto(dst, src any) {
	switch d := dst.(type) {
	case []float32:
		copy(d, src.([]float32))
	case []float64:
		copy(d, src.([]float64))
	case []int64:
		copy(d, src.([]int64))
	case []byte:
		copy(d, src.([]byte))
	}
}
