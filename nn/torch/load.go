package torch

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/gradflow/gradflow/graph"
	"github.com/gradflow/gradflow/nn"
	"github.com/pkg/errors"
)

// Option changes what Load and Save do.
type Option func(*config)

type config struct {
	renames  []rename
	skips    []*regexp.Regexp
	cast     bool
	as       string
	scope    string
	hasScope bool
	err      error
}

type rename struct {
	re   *regexp.Regexp
	repl string
}

// Rename rewrites the keys of the file before they are matched to the model's:
// every match of the regular expression pattern becomes replacement (with $1 for
// groups, as regexp.ReplaceAllString), in the order the Renames are given. Save
// applies it to the keys it writes. Rename(`^module\.`, "") drops the prefix that
// nn.DataParallel adds; Rename(`^encoder\.`, "body.") moves a pretrained body.
func Rename(pattern, replacement string) Option {
	return func(c *config) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			c.err = errors.Wrapf(err, "torch: Rename %q", pattern)
			return
		}
		c.renames = append(c.renames, rename{re, replacement})
	}
}

// Skip leaves out the entries whose PyTorch key (after Rename) matches the regular
// expression pattern, on both sides: the file's are ignored and the model's are not
// expected, so their Params keep their values (a new head on a pretrained body:
// Skip(`^fc\.`)). Save does not write them.
func Skip(pattern string) Option {
	return func(c *config) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			c.err = errors.Wrapf(err, "torch: Skip %q", pattern)
			return
		}
		c.skips = append(c.skips, re)
	}
}

// Cast accepts float16 and bfloat16 tensors, widened exactly into the model's dtype
// (float32 or float64). Without it they are reported as mismatched: a reduced
// precision file is a choice the caller makes. float32 and float64 convert into
// either dtype without it (float64 into float32 rounds to nearest).
func Cast() Option { return func(c *config) { c.cast = true } }

// Scope names the scope the model was built in, which its keys are relative to
// (see nn.TorchStateIn). The default is the nn layer's own scope, or the longest scope
// holding all of a custom model's Params.
func Scope(scope string) Option {
	return func(c *config) { c.scope, c.hasScope = scope, true }
}

func newConfig(opts []Option) (*config, error) {
	c := &config{}
	for _, o := range opts {
		o(c)
	}
	return c, c.err
}

func (c *config) rename(key string) string {
	for _, r := range c.renames {
		key = r.re.ReplaceAllString(key, r.repl)
	}
	return key
}

func (c *config) skipped(key string) bool {
	for _, re := range c.skips {
		if re.MatchString(key) {
			return true
		}
	}
	return false
}

func (c *config) entries(model nn.Layer) ([]nn.TorchTensor, error) {
	var es []nn.TorchTensor
	var err error
	if c.hasScope {
		es, err = nn.TorchStateIn(model, c.scope)
	} else {
		es, err = nn.TorchState(model)
	}
	if err != nil {
		return nil, err
	}
	out := es[:0]
	for _, e := range es {
		if !c.skipped(e.Key) {
			out = append(out, e)
		}
	}
	return out, nil
}

// LoadError lists every way a state_dict and a model disagree, by PyTorch key.
type LoadError struct {
	Missing    []string // keys the model needs that the file lacks
	Unexpected []string // keys of the file the model has no entry for
	Mismatched []string // `"0.weight": file has F16 [8 4], model needs F32 [8 4] (add torch.Cast())`
}

func (e *LoadError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("missing from the file: %q", e.Missing))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("not in the model: %q", e.Unexpected))
	}
	if len(e.Mismatched) > 0 {
		parts = append(parts, "mismatched: "+strings.Join(e.Mismatched, "; "))
	}
	return "state_dict does not fit the model: " + strings.Join(parts, "; ")
}

// ReadFile reads the tensors of a PyTorch state_dict file, by key: a safetensors file,
// or a torch.save file (.pt, .pth; zip or legacy format), told apart by content. The
// tensors are contiguous, little-endian, in their stored dtype. A truncated or
// corrupt file, a pickle that names a global outside the allowlist and a size larger
// than the file are errors, never a panic, and nothing larger than the file is
// allocated.
func ReadFile(path string) (map[string]graph.RawTensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "torch: ReadFile")
	}
	ts, err := Read(b)
	if err != nil {
		return nil, errors.Wrapf(err, "torch: ReadFile %s", path)
	}
	return ts, nil
}

// Read is ReadFile on the bytes of a file.
func Read(b []byte) (map[string]graph.RawTensor, error) {
	if isSafetensors(b) {
		ts, _, err := graph.ReadRawTensors(b)
		return ts, err
	}
	ts, err := readPT(b)
	if err != nil {
		return nil, errors.Wrap(err, "torch.save file")
	}
	return ts, nil
}

// isSafetensors tells a safetensors file by its header: a length that fits, then '{'.
func isSafetensors(b []byte) bool {
	if len(b) < 9 {
		return false
	}
	n := le64(b)
	return n > 0 && n <= uint64(len(b)-8) && b[8] == '{'
}

// Load reads the PyTorch state_dict at path (see ReadFile) into model's Params, by
// the layers' PyTorch names and layouts (nn.TorchState). It is strict: keys missing
// from the file, keys the model lacks and entries of the wrong shape or dtype are
// all reported at once in a *LoadError, and no Param is changed. See Rename, Skip,
// Cast and Scope.
func Load(path string, model nn.Layer, opts ...Option) error {
	ts, err := ReadFile(path)
	if err != nil {
		return err
	}
	if err := LoadTensors(ts, model, opts...); err != nil {
		return errors.Wrapf(err, "torch: Load %s", path)
	}
	return nil
}

// LoadTensors is Load from tensors already read (ReadFile, Read).
func LoadTensors(tensors map[string]graph.RawTensor, model nn.Layer, opts ...Option) error {
	cfg, err := newConfig(opts)
	if err != nil {
		return err
	}
	entries, err := cfg.entries(model)
	if err != nil {
		return errors.Wrap(err, "torch")
	}
	file := map[string]graph.RawTensor{}
	from := map[string]string{}
	for k, t := range tensors {
		nk := cfg.rename(k)
		if cfg.skipped(nk) {
			continue
		}
		if prev, dup := from[nk]; dup {
			return errors.Errorf("torch: Rename maps both %q and %q to %q", prev, k, nk)
		}
		from[nk] = k
		file[nk] = t
	}
	var le LoadError
	used := map[string]bool{}
	type job struct {
		e nn.TorchTensor
		t graph.RawTensor
	}
	var jobs []job
	for _, e := range entries {
		t, ok := file[e.Key]
		if !ok {
			if !e.Optional {
				le.Missing = append(le.Missing, e.Key)
			}
			continue
		}
		used[e.Key] = true
		if msg := mismatch(e, t, cfg.cast); msg != "" {
			le.Mismatched = append(le.Mismatched, fmt.Sprintf("%q: %s", e.Key, msg))
			continue
		}
		if e.Param != nil {
			jobs = append(jobs, job{e, t})
		}
	}
	for k := range file {
		if !used[k] {
			le.Unexpected = append(le.Unexpected, k)
		}
	}
	if len(le.Missing)+len(le.Unexpected)+len(le.Mismatched) > 0 {
		slices.Sort(le.Missing)
		slices.Sort(le.Unexpected)
		slices.Sort(le.Mismatched)
		return errors.Wrap(&le, "torch")
	}
	for _, j := range jobs {
		copyInto(j.e, j.t)
	}
	return nil
}

// mismatch says how t does not fit e, or "".
func mismatch(e nn.TorchTensor, t graph.RawTensor, cast bool) string {
	want := "F32"
	if e.Param == nil {
		want = e.DType
	} else if e.Param.DType() == graph.Float64 {
		want = "F64"
	}
	shapeOK := slices.Equal(t.Shape, e.Shape) || (numel(t.Shape) == 1 && numel(e.Shape) == 1 && len(t.Shape) <= 1 && len(e.Shape) <= 1)
	dtypeOK := t.DType == want
	hint := ""
	if e.Param != nil && !dtypeOK {
		switch {
		case t.DType == "F32" || t.DType == "F64":
			dtypeOK = true
		case t.DType == "F16" || t.DType == "BF16":
			dtypeOK = cast
			hint = " (add torch.Cast() to widen it)"
		}
	}
	if shapeOK && dtypeOK {
		return ""
	}
	return fmt.Sprintf("file has %s %v, model needs %s %v%s", t.DType, t.Shape, want, e.Shape, hint)
}

func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// copyInto writes t, of e's PyTorch shape, into e's Param, transposing if e says so.
func copyInto(e nn.TorchTensor, t graph.RawTensor) {
	p := e.Param
	n := p.Size()
	idx := func(i int) int { return i }
	if e.Transpose { // param (r, c) <- torch (c, r)
		sh := p.Shape()
		r, c := sh[0], sh[1]
		idx = func(i int) int { return (i%c)*r + i/c }
	}
	if d := p.Float32s(); d != nil {
		for i := 0; i < n; i++ {
			d[i] = float32(element(t.DType, t.Data, idx(i)))
		}
		return
	}
	d := p.Float64s()
	for i := 0; i < n; i++ {
		d[i] = element(t.DType, t.Data, idx(i))
	}
}

// rawOf returns the entry's value in PyTorch's layout as a raw tensor of dtype dt
// ("F16", "BF16", "F32" or "F64"; "" for the Param's own), or zeros for an entry with
// no Param.
func rawOf(e nn.TorchTensor, dt string) graph.RawTensor {
	if e.Param == nil {
		size, _ := graph.RawDTypeSize(e.DType)
		return graph.RawTensor{DType: e.DType, Shape: e.Shape, Data: make([]byte, numel(e.Shape)*size)}
	}
	p := e.Param
	if dt == "" {
		dt = "F32"
		if p.DType() == graph.Float64 {
			dt = "F64"
		}
	}
	n := p.Size()
	src := func(i int) float64 {
		if d := p.Float32s(); d != nil {
			return float64(d[i])
		}
		return p.Float64s()[i]
	}
	at := func(i int) int { return i } // torch index i <- param index at(i)
	if e.Transpose {
		sh := p.Shape() // param (r, c); torch (c, r)
		r, c := sh[0], sh[1]
		at = func(i int) int { return (i%r)*c + i/r }
	}
	size, _ := graph.RawDTypeSize(dt)
	data := make([]byte, n*size)
	for i := 0; i < n; i++ {
		v := src(at(i))
		switch dt {
		case "F16":
			putU16(data[2*i:], float32ToHalf(float32(v)))
		case "BF16":
			putU16(data[2*i:], float32ToBF16(float32(v)))
		case "F32":
			putU32(data[4*i:], math.Float32bits(float32(v)))
		default:
			putU64(data[8*i:], math.Float64bits(v))
		}
	}
	return graph.RawTensor{DType: dt, Shape: e.Shape, Data: data}
}

func putU16(b []byte, v uint16) { b[0], b[1] = byte(v), byte(v>>8) }
func putU32(b []byte, v uint32) {
	for i := range 4 {
		b[i] = byte(v >> (8 * i))
	}
}
func putU64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
}
