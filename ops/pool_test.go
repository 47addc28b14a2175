package ops

import (
	"fmt"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var poolCases = []struct {
	name  string
	shape []int
	cfg   Pool2DOptions
}{
	{"k2 s2", []int{2, 2, 4, 4}, Pool2DOptions{Kernel: [2]int{2, 2}}},
	{"k3 s1 p1", []int{1, 2, 4, 5}, Pool2DOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}}},
	{"k3 s2 p1 exclude pad", []int{2, 1, 5, 5}, Pool2DOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, ExcludePad: true}},
	{"k2x3 s1x2", []int{1, 1, 4, 7}, Pool2DOptions{Kernel: [2]int{2, 3}, Stride: [2]int{1, 2}}},
	{"odd size floor", []int{1, 1, 5, 3}, Pool2DOptions{Kernel: [2]int{2, 2}}},
	{"1x1 plane", []int{3, 2, 1, 1}, Pool2DOptions{Kernel: [2]int{1, 1}}},
	{"column", []int{1, 1, 6, 1}, Pool2DOptions{Kernel: [2]int{2, 1}, Padding: [2]int{1, 0}}},
}

func TestAvgPool2DGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, c := range poolCases {
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				checkGradT(t, unary(dt, c.shape, func(x *gorgonia.Node) (*gorgonia.Node, error) {
					return AvgPool2D(x, c.cfg)
				}))
			})
		}
	}
}

func TestGlobalAvgPool2DGrad(t *testing.T) {
	for _, dt := range dtypes {
		for _, shape := range [][]int{{2, 3, 4, 5}, {1, 1, 1, 1}, {1, 2, 3, 1}, {3, 1, 1, 4}} {
			t.Run(fmt.Sprintf("%v/%v", dt, shape), func(t *testing.T) {
				checkGradT(t, unary(dt, shape, GlobalAvgPool2D))
			})
		}
	}
}

// TestAvgPool2DValues checks outputs and gradients worked out by hand on a 4×4 plane
// holding 0..15, including padding, large, negative and extreme values.
func TestAvgPool2DValues(t *testing.T) {
	plane := make([]float64, 16)
	for i := range plane {
		plane[i] = float64(i)
	}
	cases := []struct {
		name   string
		cfg    Pool2DOptions
		x      []float64
		y, dx  []float64 // dx: the gradient of Sum(y)
		yshape []int
	}{
		{"k2 s2", Pool2DOptions{Kernel: [2]int{2, 2}}, plane,
			[]float64{2.5, 4.5, 10.5, 12.5}, []float64{.25, .25, .25, .25, .25, .25, .25, .25, .25, .25, .25, .25, .25, .25, .25, .25},
			[]int{1, 1, 2, 2}},
		// Windows of 3 at stride 1 with 1 of padding: the corner window holds 4
		// elements and divides by 9 (padding counted); each element is in 4, 6 or 9
		// windows.
		{"k3 s1 p1 corners", Pool2DOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}}, plane,
			[]float64{10.0 / 9, 18.0 / 9, 24.0 / 9, 18.0 / 9, 27.0 / 9, 45.0 / 9, 54.0 / 9, 39.0 / 9, 51.0 / 9, 81.0 / 9, 90.0 / 9, 63.0 / 9, 42.0 / 9, 66.0 / 9, 72.0 / 9, 50.0 / 9},
			[]float64{4.0 / 9, 6.0 / 9, 6.0 / 9, 4.0 / 9, 6.0 / 9, 1, 1, 6.0 / 9, 6.0 / 9, 1, 1, 6.0 / 9, 4.0 / 9, 6.0 / 9, 6.0 / 9, 4.0 / 9},
			[]int{1, 1, 4, 4}},
		// The same excluding padding: the corner divides by 4, an edge by 6. Corner
		// element 0 is in windows of sizes 4, 6, 6, 9: 1/4+1/6+1/6+1/9.
		{"k3 s1 p1 exclude pad", Pool2DOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, ExcludePad: true}, plane,
			[]float64{10.0 / 4, 18.0 / 6, 24.0 / 6, 18.0 / 4, 27.0 / 6, 5, 6, 39.0 / 6, 51.0 / 6, 9, 10, 63.0 / 6, 42.0 / 4, 66.0 / 6, 72.0 / 6, 50.0 / 4},
			nil, []int{1, 1, 4, 4}},
		{"large and negative", Pool2DOptions{Kernel: [2]int{2, 2}},
			[]float64{1e300, 1e300, -1e300, 0, 1e300, 1e300, 0, 1e300, -1, -2, 1e-300, 0, -3, -4, 0, -1e-300},
			[]float64{1e300, 0, -2.5, 0}, nil, []int{1, 1, 2, 2}},
		{"whole plane", Pool2DOptions{Kernel: [2]int{4, 4}}, plane, []float64{7.5}, nil, []int{1, 1, 1, 1}},
	}
	for _, dt := range dtypes {
		rtol := 1e-15
		if dt == tensor.Float32 {
			rtol = 1e-6
		}
		for _, c := range cases {
			if dt == tensor.Float32 && c.name == "large and negative" {
				continue // 1e300 is not a float32
			}
			t.Run(fmt.Sprintf("%v/%s", dt, c.name), func(t *testing.T) {
				var yshape tensor.Shape
				got, err := runGraph(func(g *gorgonia.ExprGraph) ([]*gorgonia.Node, error) {
					x := newInput(g, dt, "x", []int{1, 1, 4, 4}, c.x)
					y, err := AvgPool2D(x, c.cfg)
					if err != nil {
						return nil, err
					}
					yshape = y.Shape()
					s, err := gorgonia.Sum(y)
					if err != nil {
						return nil, err
					}
					grads, err := gorgonia.Grad(s, x)
					if err != nil {
						return nil, err
					}
					return []*gorgonia.Node{y, grads[0]}, nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if !sameShape(yshape, c.yshape) {
					t.Errorf("output shape %v, want %v", yshape, c.yshape)
				}
				if ok, msg := closeTo(got[0], c.y, rtol, 0); !ok {
					t.Errorf("AvgPool2D: %s", msg)
				}
				if c.dx != nil {
					if ok, msg := closeTo(got[1], c.dx, rtol, 0); !ok {
						t.Errorf("gradient: %s", msg)
					}
				}
			})
		}
	}
}

// TestGorgoniaAvgPoolsAreWrong documents why AvgPool2D and GlobalAvgPool2D exist:
// gorgonia's AveragePool2D fails the gradient check and its GlobalAveragePool2D has
// no gradient.
func TestGorgoniaAvgPoolsAreWrong(t *testing.T) {
	avg := unary(tensor.Float64, []int{1, 1, 4, 4}, func(x *gorgonia.Node) (*gorgonia.Node, error) {
		return gorgonia.AveragePool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
	})
	if _, err := CheckGrad(avg, CheckConfig{}); err == nil {
		t.Errorf("gorgonia.AveragePool2D passed; has gorgonia been fixed? Then update GORGONIA.md")
	}
	global := unary(tensor.Float64, []int{1, 2, 3, 3}, gorgonia.GlobalAveragePool2D)
	if _, err := CheckGrad(global, CheckConfig{}); err == nil {
		t.Errorf("gorgonia.GlobalAveragePool2D passed; has gorgonia been fixed? Then update GORGONIA.md")
	}
}

func TestPoolErrors(t *testing.T) {
	g := gorgonia.NewGraph()
	x := newInput(g, tensor.Float64, "x", []int{1, 1, 4, 4}, make([]float64, 16))
	m := newInput(g, tensor.Float64, "m", []int{4, 4}, make([]float64, 16))
	k2 := [2]int{2, 2}
	cases := []struct {
		name string
		x    *gorgonia.Node
		cfg  Pool2DOptions
		want string
	}{
		{"nil", nil, Pool2DOptions{Kernel: k2}, "x is nil"},
		{"no kernel", x, Pool2DOptions{}, "Kernel = [0 0], want both > 0"},
		{"negative stride", x, Pool2DOptions{Kernel: k2, Stride: [2]int{-1, 1}}, "Stride = [-1 1]"},
		{"padding over half", x, Pool2DOptions{Kernel: k2, Padding: [2]int{2, 0}}, "want each in [0, kernel/2]"},
		{"negative padding", x, Pool2DOptions{Kernel: k2, Padding: [2]int{-1, 0}}, "want each in [0, kernel/2]"},
		{"2-D input", m, Pool2DOptions{Kernel: k2}, "want (N, C, H, W)"},
		{"kernel larger than input", x, Pool2DOptions{Kernel: [2]int{5, 1}}, "smaller than the kernel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if y, err := AvgPool2D(c.x, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("AvgPool2D = %v, %v; want an error saying %q", y, err, c.want)
			}
		})
	}
	if y, err := GlobalAvgPool2D(m); err == nil || !strings.Contains(err.Error(), "want (N, C, H, W)") {
		t.Errorf("GlobalAvgPool2D of a matrix = %v, %v; want an error", y, err)
	}
	// Configurations differing in any field are distinct nodes.
	a, _ := AvgPool2D(x, Pool2DOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}})
	b, _ := AvgPool2D(x, Pool2DOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, ExcludePad: true})
	if a == nil || a == b {
		t.Errorf("AvgPool2D with and without ExcludePad: one node")
	}
}
