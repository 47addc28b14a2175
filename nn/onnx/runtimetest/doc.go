// Package runtimetest runs the models of nn/onnx/onnxtest, exported by nn/onnx, in
// an existing ONNX runtime, the pure-Go github.com/advancedclimatesystems/gonnx
// v1.1.0, and compares its outputs with gradflow's to 1e-5.
//
// It is a module of its own (its go.mod replaces gradflow with the checkout it sits
// in) because gonnx needs a newer gonum than gradflow pins: gradflow's own go.mod does
// not change. .ci/run runs it with `cd nn/onnx/runtimetest && go test ./...`.
package runtimetest
