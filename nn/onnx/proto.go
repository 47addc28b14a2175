package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The subset of onnx.proto (ONNX IR version 7) the exporter writes, encoded by hand
// with protowire: the field numbers below are onnx.proto's. Generating the Go types
// from the schema would add protoc to the build for five messages.

// ONNX TensorProto.DataType values.
const (
	dtFloat  = 1
	dtInt64  = 7
	dtDouble = 11
)

// AttributeProto.AttributeType values.
const (
	attrFloat = 1
	attrInt   = 2
	attrInts  = 7
)

// attr is a node attribute: an int, ints or a float.
type attr struct {
	name string
	typ  int
	i    int64
	f    float32
	ints []int64
}

func intAttr(name string, v int) attr { return attr{name: name, typ: attrInt, i: int64(v)} }
func floatAttr(name string, v float64) attr {
	return attr{name: name, typ: attrFloat, f: float32(v)}
}
func intsAttr(name string, v ...int) attr {
	a := attr{name: name, typ: attrInts}
	for _, x := range v {
		a.ints = append(a.ints, int64(x))
	}
	return a
}

// node is a NodeProto.
type node struct {
	op      string
	name    string
	inputs  []string
	outputs []string
	attrs   []attr
}

// initializer is a TensorProto with raw little-endian data.
type initializer struct {
	name  string
	dtype int
	dims  []int
	raw   []byte
}

// valueInfo is a graph input or output: a tensor type with a shape whose "" dims are
// dynamic, named by param.
type valueInfo struct {
	name   string
	dtype  int
	dims   []int // -1: the dynamic dimension named param
	param  string
	ranked bool
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendInt(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func (a attr) encode() []byte {
	var b []byte
	b = appendString(b, 1, a.name)
	switch a.typ {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case attrInt:
		b = appendInt(b, 3, a.i)
	case attrInts:
		for _, v := range a.ints {
			b = appendInt(b, 8, v)
		}
	}
	return appendInt(b, 20, int64(a.typ))
}

func (n node) encode() []byte {
	var b []byte
	for _, in := range n.inputs {
		b = appendString(b, 1, in)
	}
	for _, out := range n.outputs {
		b = appendString(b, 2, out)
	}
	b = appendString(b, 3, n.name)
	b = appendString(b, 4, n.op)
	for _, a := range n.attrs {
		b = appendBytes(b, 5, a.encode())
	}
	return b
}

func (t initializer) encode() []byte {
	var b []byte
	for _, d := range t.dims {
		b = appendInt(b, 1, int64(d))
	}
	b = appendInt(b, 2, int64(t.dtype))
	b = appendString(b, 8, t.name)
	return appendBytes(b, 9, t.raw)
}

func (v valueInfo) encode() []byte {
	var tensor []byte
	tensor = appendInt(tensor, 1, int64(v.dtype))
	if v.ranked {
		var shape []byte
		for _, d := range v.dims {
			var dim []byte
			if d < 0 {
				dim = appendString(dim, 2, v.param)
			} else {
				dim = appendInt(dim, 1, int64(d))
			}
			shape = appendBytes(shape, 1, dim)
		}
		tensor = appendBytes(tensor, 2, shape)
	}
	typ := appendBytes(nil, 1, tensor)
	b := appendString(nil, 1, v.name)
	return appendBytes(b, 2, typ)
}

// model encodes a ModelProto: IR version 7, the default domain at opset.
func encodeModel(name string, opset int, nodes []node, inits []initializer, inputs, outputs []valueInfo) []byte {
	var g []byte
	for _, n := range nodes {
		g = appendBytes(g, 1, n.encode())
	}
	g = appendString(g, 2, name)
	for _, t := range inits {
		g = appendBytes(g, 5, t.encode())
	}
	for _, v := range inputs {
		g = appendBytes(g, 11, v.encode())
	}
	for _, v := range outputs {
		g = appendBytes(g, 12, v.encode())
	}
	var m []byte
	m = appendInt(m, 1, 7) // ir_version 7 goes with opset 13
	m = appendString(m, 2, "gradflow")
	m = appendBytes(m, 7, g)
	op := appendString(nil, 1, "")
	op = appendInt(op, 2, int64(opset))
	return appendBytes(m, 8, op)
}

// floatsRaw encodes values as raw little-endian data of the ONNX dtype.
func floatsRaw(dtype int, v []float64) []byte {
	if dtype == dtDouble {
		b := make([]byte, 8*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
		}
		return b
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(x)))
	}
	return b
}

func int64sRaw(v []int) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(int64(x)))
	}
	return b
}
