package blas

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"github.com/pkg/errors"
)

// Path is a level of SIMD code: which assembly gradflow's GEMM and kernels (this
// package and ops/kern) may run. One CPU probe at start-up finds the best path the CPU
// and operating system support (Detected); the active path (Active) is that one, or a
// lower one chosen with the environment variable GRADFLOW_SIMD or SetPath, so that one
// machine can run, and test, every path.
type Path int

// The paths. On amd64 they are ordered, lowest first: each runs on every CPU that runs
// the next. PathNEON is arm64's and stands apart: an arm64 build supports it and
// PathGeneric only.
const (
	// PathGeneric is the portable Go code, with no assembly: the only path off amd64 and
	// with -tags purego. On amd64 CPUs without AVX2, the GEMM calls gonum's.
	PathGeneric Path = iota
	// PathAVX2 is AVX2 with FMA (the OS saving the YMM state).
	PathAVX2
	// PathAVX512 is AVX-512F (the OS saving the ZMM and opmask state), with AVX2 and FMA.
	PathAVX512
	// PathNEON is arm64's Advanced SIMD (ASIMD, "NEON"), which every ARMv8-A CPU has.
	PathNEON
)

// lastPath is the highest Path value.
const lastPath = PathNEON

// String returns the name GRADFLOW_SIMD takes: "generic", "avx2" or "avx512".
func (p Path) String() string {
	switch p {
	case PathGeneric:
		return "generic"
	case PathAVX2:
		return "avx2"
	case PathAVX512:
		return "avx512"
	case PathNEON:
		return "neon"
	}
	return fmt.Sprintf("blas.Path(%d)", int(p))
}

// ParsePath returns the Path named s (as String writes it, any case).
func ParsePath(s string) (Path, error) {
	for p := PathGeneric; p <= lastPath; p++ {
		if strings.EqualFold(s, p.String()) {
			return p, nil
		}
	}
	return PathGeneric, errors.Errorf("blas: SIMD path %q, want generic, avx2, avx512 or neon", s)
}

// Supported reports whether this CPU and build can run path p: PathGeneric always;
// on amd64 every path up to Detected; on arm64 PathNEON (unless -tags purego).
func Supported(p Path) bool {
	switch {
	case p == PathGeneric || p == detected:
		return true
	case p < PathGeneric || p > lastPath || p == PathNEON || detected == PathNEON:
		return false
	}
	return p < detected
}

// EnvSIMD is the environment variable read at start-up to choose the active path
// (generic, avx2, avx512 or neon); unset or empty, the detected path is used.
const EnvSIMD = "GRADFLOW_SIMD"

var (
	detected Path         // set once by init
	active   atomic.Int32 // the active Path
)

// Detected returns the best path this CPU and build support: PathAVX512 or PathAVX2 on amd64
// CPUs that have them, PathNEON on arm64, PathGeneric elsewhere and with -tags purego.
func Detected() Path { return detected }

// Active returns the path the GEMM and ops/kern's kernels use now.
func Active() Path { return Path(active.Load()) }

// SetPath makes p the active path. It refuses a path the CPU or build lacks (see
// Supported). It is meant for start-up and tests (forcing the Go bodies, or AVX2 on an
// AVX-512 machine): a product or kernel running in another goroutine meanwhile may
// use either path.
func SetPath(p Path) error {
	if p < PathGeneric || p > lastPath {
		return errors.Errorf("blas: SetPath(%v): no such path", p)
	}
	if !Supported(p) {
		return errors.Errorf("blas: SetPath(%v): this CPU (or build) supports only %v", p, supportedList())
	}
	applyPath(p)
	return nil
}

// pathHooks switch this package's assembly routines (block copies, im2col, col2im)
// on or off for a path; registered by package variables, run by applyPath.
var pathHooks []func(Path)

// onPath registers f with the hooks; its result only makes it usable as a package
// variable's initialiser, which runs before any init.
func onPath(f func(Path)) bool {
	pathHooks = append(pathHooks, f)
	return true
}

// applyPath makes p active: the fastest GEMM kernel of p or below, and the hooks.
func applyPath(p Path) {
	active.Store(int32(p))
	active32 = pickKernel(kernels32, p)
	active64 = pickKernel(kernels64, p)
	for _, f := range pathHooks {
		f(p)
	}
}

// pickKernel returns the first (fastest) kernel of ks that path p may run.
func pickKernel[T float](ks []kernel[T], p Path) *kernel[T] {
	for i := range ks {
		if ks[i].path <= p && !ks[i].isNarrow {
			return &ks[i]
		}
	}
	return &ks[len(ks)-1]
}

// startPath sets detected to d and applies the path GRADFLOW_SIMD names, or d. A
// value that does not parse, or names a path above d, leaves d (with a warning on
// standard error: init cannot return an error).
func startPath(d Path) {
	detected = d
	p := d
	if s := os.Getenv(EnvSIMD); s != "" {
		q, err := ParsePath(s)
		switch {
		case err != nil:
			fmt.Fprintf(os.Stderr, "gradflow: %v; using %v\n", err, d)
		case !Supported(q):
			fmt.Fprintf(os.Stderr, "gradflow: %s=%v, but this CPU (or build) supports only %v; using %v\n", EnvSIMD, q, supportedList(), d)
		default:
			p = q
		}
	}
	applyPath(p)
}

// supportedList names the paths Supported accepts, for messages.
func supportedList() string {
	var names []string
	for p := PathGeneric; p <= lastPath; p++ {
		if Supported(p) {
			names = append(names, p.String())
		}
	}
	return strings.Join(names, ", ")
}
