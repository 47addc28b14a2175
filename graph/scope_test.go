package graph

import (
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestScopeNamesAreUnique(t *testing.T) {
	s := NewScope(Float32, Seed(1))
	fc := s.Sub("mlp").Sub("fc1")
	p, err := fc.Param("weight", Weight, []int{2, 3}, Zeros{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "mlp/fc1/weight" {
		t.Fatalf("name = %q, want mlp/fc1/weight", p.Name())
	}
	// The same name through another path to the same scope is still a duplicate.
	_, err = s.Sub("mlp").Sub("fc1").Param("weight", Weight, []int{2, 3}, Zeros{})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate name: err = %v, want 'already exists'", err)
	}
	if got := s.Lookup("mlp/fc1/weight"); got != p {
		t.Fatalf("Lookup = %v, want %v", got, p)
	}
}

func TestScopeBadInput(t *testing.T) {
	s := NewScope(Float64)
	cases := []struct {
		name string
		do   func() error
		want string
	}{
		{"empty name", func() error { _, err := s.Param("", Weight, []int{1}, Zeros{}); return err }, "empty name"},
		{"slash", func() error { _, err := s.Param("a/b", Weight, []int{1}, Zeros{}); return err }, "holds '/'"},
		{"bad sub", func() error { _, err := s.Sub("x/y").Param("w", Weight, []int{1}, Zeros{}); return err }, "holds '/'"},
		{"zero dim", func() error { _, err := s.Param("z", Weight, []int{3, 0}, Zeros{}); return err }, "dimension <= 0"},
		{"nil init", func() error { _, err := s.Param("n", Weight, []int{3}, nil); return err }, "nil initializer"},
		{"bad uniform", func() error { _, err := s.Param("u", Weight, []int{3}, Uniform{2, 1}); return err }, "Low <= High"},
		{"bad normal", func() error { _, err := s.Param("nn", Weight, []int{3}, Normal{0, -1}); return err }, "Std >= 0"},
		{"bad fans", func() error {
			_, err := s.Param("f", Weight, []int{3}, GlorotUniform{}, WithFans(Fans{0, 0}))
			return err
		}, "want > 0"},
		{"bad dtype", func() error {
			_, err := NewScope(tensor.Int).Param("w", Weight, []int{1}, Zeros{})
			return err
		}, "not supported"},
		{"state trainable", func() error {
			p, _ := s.Param("st", State, []int{2}, Zeros{})
			return p.SetTrainable(true)
		}, "cannot be trainable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.do()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestInitializersAreSeededAndScaled(t *testing.T) {
	const n = 200 * 300
	fans := Fans{200, 300}
	cases := []struct {
		init     Initializer
		mean, sd float64 // expected moments
		bound    float64 // |x| <= bound when > 0
	}{
		{Zeros{}, 0, 0, 0},
		{Ones{}, 1, 0, 0},
		{Constant{2.5}, 2.5, 0, 0},
		{Uniform{-1, 3}, 1, 4 / math.Sqrt(12), 3},
		{Normal{1, 2}, 1, 2, 0},
		// sqrt(6/500)=0.1095; sd of U(-a,a) is a/sqrt(3).
		{GlorotUniform{}, 0, math.Sqrt(6.0/500) / math.Sqrt(3), math.Sqrt(6.0 / 500)},
		{GlorotNormal{}, 0, math.Sqrt(2.0 / 500), 0},
		// He: bound sqrt(2)*sqrt(3/200), sd sqrt(2/200).
		{HeUniform{}, 0, math.Sqrt(2.0 / 200), math.Sqrt(6.0 / 200)},
		{HeNormal{}, 0, math.Sqrt(2.0 / 200), 0},
		// PyTorch's default Linear init: bound 1/sqrt(fanIn).
		{HeUniform{Gain: math.Sqrt(1.0 / 3)}, 0, 1 / math.Sqrt(200) / math.Sqrt(3), 1 / math.Sqrt(200)},
	}
	for _, dt := range []DType{Float32, Float64} {
		for _, c := range cases {
			t.Run(dt.String()+"/"+c.init.String(), func(t *testing.T) {
				a := NewScope(dt, Seed(7))
				b := NewScope(dt, Seed(7))
				pa, err := a.Param("w", Weight, []int{200, 300}, c.init, WithFans(fans))
				if err != nil {
					t.Fatal(err)
				}
				pb, _ := b.Param("w", Weight, []int{200, 300}, c.init, WithFans(fans))
				va, vb := toF64(pa.Value().Data()), toF64(pb.Value().Data())
				var sum, sq float64
				for i := range va {
					if va[i] != vb[i] {
						t.Fatalf("same seed, element %d: %v != %v", i, va[i], vb[i])
					}
					if c.bound > 0 && math.Abs(va[i]) > c.bound*(1+1e-6) {
						t.Fatalf("element %d = %v outside bound %v", i, va[i], c.bound)
					}
					sum += va[i]
					sq += va[i] * va[i]
				}
				mean := sum / n
				sd := math.Sqrt(sq/n - mean*mean)
				// 60000 samples: sampling error of the moments is well under 2%.
				if math.Abs(mean-c.mean) > 0.02*math.Max(c.sd, 1e-9)+1e-6 {
					t.Errorf("mean = %v, want %v", mean, c.mean)
				}
				if math.Abs(sd-c.sd) > 0.02*c.sd+1e-6 {
					t.Errorf("sd = %v, want %v", sd, c.sd)
				}
			})
		}
	}
}

func TestSeedDependsOnNameNotOrder(t *testing.T) {
	a := NewScope(Float64, Seed(9))
	pa1, _ := a.Param("x", Weight, []int{4}, Normal{0, 1})
	pa2, _ := a.Param("y", Weight, []int{4}, Normal{0, 1})
	b := NewScope(Float64, Seed(9))
	pb2, _ := b.Param("y", Weight, []int{4}, Normal{0, 1})
	pb1, _ := b.Param("x", Weight, []int{4}, Normal{0, 1})
	for i := 0; i < 4; i++ {
		if pa1.Float64s()[i] != pb1.Float64s()[i] || pa2.Float64s()[i] != pb2.Float64s()[i] {
			t.Fatal("initial values depend on creation order")
		}
	}
	c := NewScope(Float64, Seed(10))
	pc1, _ := c.Param("x", Weight, []int{4}, Normal{0, 1})
	if pc1.Float64s()[0] == pa1.Float64s()[0] {
		t.Fatal("different seeds gave the same values")
	}
	if pa1.Float64s()[0] == pa2.Float64s()[0] {
		t.Fatal("different names gave the same values")
	}
}

func TestGraphsShareWeights(t *testing.T) {
	s := NewScope(Float64, Seed(1))
	w, _ := s.Param("w", Weight, []int{3, 2}, Normal{0, 1})
	out := func(batch int) (*Machine, *gorgonia.Node, *gorgonia.Node) {
		g := New(Float64, Eval)
		x, _ := g.Input("x", batch, 3)
		wn, _ := g.Node(w)
		y := gorgonia.Must(gorgonia.Mul(x, wn))
		m, err := Compile(g, Outputs(y))
		if err != nil {
			t.Fatal(err)
		}
		return m, x, y
	}
	m7, x7, y7 := out(7)
	m128, x128, y128 := out(128)
	ones := func(n int) *tensor.Dense {
		d := make([]float64, n*3)
		for i := range d {
			d[i] = 1
		}
		return tensor.New(tensor.WithShape(n, 3), tensor.WithBacking(d))
	}
	run := func(m *Machine, x, y *gorgonia.Node, n int) float64 {
		if err := m.Run(Feeds{x: ones(n)}); err != nil {
			t.Fatal(err)
		}
		o, _ := m.Output(y)
		return o.Data().([]float64)[0]
	}
	if a, b := run(m7, x7, y7, 7), run(m128, x128, y128, 128); a != b {
		t.Fatalf("batch 7 and 128 disagree before update: %v vs %v", a, b)
	}
	w.Float64s()[0] += 1 // an in-place update is seen by both graphs
	wantCol0 := w.Float64s()[0] + w.Float64s()[2] + w.Float64s()[4]
	if a, b := run(m7, x7, y7, 7), run(m128, x128, y128, 128); a != wantCol0 || b != wantCol0 {
		t.Fatalf("after update: batch 7 %v, batch 128 %v, want %v", a, b, wantCol0)
	}
}

func TestRunErrors(t *testing.T) {
	s := NewScope(Float64)
	w, _ := s.Param("w", Weight, []int{3, 2}, Ones{})
	g := New(Float64, Train)
	x, _ := g.Input("x", 4, 3)
	if _, err := g.Input("x", 4, 3); err == nil {
		t.Fatal("duplicate input name: no error")
	}
	wn, _ := g.Node(w)
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Mul(x, wn))))
	m, err := Compile(g, Loss(loss))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(Feeds{}); err == nil || !strings.Contains(err.Error(), `"x" not fed`) {
		t.Fatalf("missing feed: err = %v", err)
	}
	bad := tensor.New(tensor.WithShape(4, 5), tensor.Of(Float64))
	if err := m.Run(Feeds{x: bad}); err == nil || !strings.Contains(err.Error(), "(4, 5)") {
		t.Fatalf("bad shape: err = %v", err)
	}
	f32 := tensor.New(tensor.WithShape(4, 3), tensor.Of(Float32))
	if err := m.Run(Feeds{x: f32}); err == nil || !strings.Contains(err.Error(), "dtype") {
		t.Fatalf("bad dtype: err = %v", err)
	}
	if _, err := Compile(g, Loss(wn)); err == nil {
		t.Fatal("non-scalar loss: no error")
	}
	s32 := NewScope(Float32)
	w32, _ := s32.Param("w", Weight, []int{1}, Ones{})
	if _, err := g.Node(w32); err == nil {
		t.Fatal("float32 param in float64 graph: no error")
	}
}

func TestFrozenAndUnreachableParams(t *testing.T) {
	s := NewScope(Float64)
	w, _ := s.Param("w", Weight, []int{2}, Ones{})
	u, _ := s.Param("u", Weight, []int{2}, Ones{}) // in the graph, not on the loss path
	f, _ := s.Param("f", Weight, []int{2}, Ones{})
	_ = f.SetTrainable(false)
	g := New(Float64, Train)
	x, _ := g.Input("x", 2)
	wn, _ := g.Node(w)
	un, _ := g.Node(u)
	fn, _ := g.Node(f)
	_ = un
	y := gorgonia.Must(gorgonia.HadamardProd(gorgonia.Must(gorgonia.HadamardProd(x, wn)), fn))
	loss := gorgonia.Must(gorgonia.Sum(y))
	m, err := Compile(g, Loss(loss))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.WRT(); len(got) != 1 || got[0] != w {
		t.Fatalf("WRT = %v, want [w]", got)
	}
	u.Grad().Data().([]float64)[0] = 5
	if err := m.Run(Feeds{x: tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{3, 4}))}); err != nil {
		t.Fatal(err)
	}
	if g := w.Grad().Data().([]float64); g[0] != 3 || g[1] != 4 {
		t.Fatalf("grad w = %v, want [3 4]", g)
	}
	if g := u.Grad().Data().([]float64); g[0] != 0 {
		t.Fatalf("grad of unreachable u = %v, want 0", g)
	}
	if m.Loss() != 7 {
		t.Fatalf("loss = %v, want 7", m.Loss())
	}
}

func TestSummary(t *testing.T) {
	s := NewScope(Float32)
	s.Sub("fc").Param("weight", Weight, []int{784, 10}, Zeros{})
	s.Sub("fc").Param("bias", Bias, []int{10}, Zeros{})
	s.Sub("bn").Param("mean", State, []int{10}, Zeros{})
	got := Summary(s.Params())
	for _, want := range []string{"fc/weight", "[784 10]", "7840", "total 7860 params (7850 trainable, 10 not)"} {
		if !strings.Contains(got, want) {
			t.Errorf("Summary lacks %q:\n%s", want, got)
		}
	}
	var b strings.Builder
	g := New(Float32, Eval)
	x, _ := g.Input("x", 1, 784)
	wn, _ := g.Node(s.Lookup("fc/weight"))
	gorgonia.Must(gorgonia.Mul(x, wn))
	if err := WriteDot(&b, g); err != nil || !strings.Contains(b.String(), "digraph") {
		t.Fatalf("WriteDot: err %v, output %.80q", err, b.String())
	}
}
