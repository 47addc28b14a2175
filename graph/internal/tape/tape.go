// Package tape reaches gorgonia's unexported tape loop, (*tapeMachine).runall, for
// graph's Machine (graph/tape.go says why). It is its own package, without cgo, because
// the body-less declaration needs an assembly file in its package, and a package with
// both cgo (graph, built with -tags openblas) and assembly makes the external linker
// warn about an executable stack.
package tape

import "unsafe"

// Runall is gorgonia.org/gorgonia's (*tapeMachine).runall: it executes the tape of m
// (a *tapeMachine) from its current position, then sends one value on doneChan, or
// stops at the first failing instruction and sends its error on errChan.
//
//go:linkname Runall gorgonia.org/gorgonia.(*tapeMachine).runall
func Runall(m unsafe.Pointer, errChan chan error, doneChan chan struct{})
