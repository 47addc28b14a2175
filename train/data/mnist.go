package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist package installs Fashion-MNIST,
// the default directory of LoadFashionMNIST.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// mnistClasses is the number of classes of MNIST and Fashion-MNIST.
const mnistClasses = 10

// The class names, indexed by label. Fashion-MNIST's are those of Xiao et al. (2017),
// as github.com/zalandoresearch/fashion-mnist lists them under "Labels".
var (
	mnistNames   = [mnistClasses]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	fashionNames = [mnistClasses]string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// MNISTConfig configures LoadMNISTWith and LoadFashionMNISTWith.
type MNISTConfig struct {
	// Dir holds the four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
	// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each plain or with .gz). "" means the
	// default: MNISTDir() for MNIST, FashionMNISTDir for Fashion-MNIST.
	Dir string
	// DType of the features and targets: tensor.Float32 or tensor.Float64. The zero value
	// means Float32.
	DType tensor.Dtype
	// Shape4D gives features of shape (N, 1, 28, 28), channels first, for convolutional
	// networks; the default is (N, 784).
	Shape4D bool
}

// LoadMNIST loads the MNIST handwritten digits (LeCun et al., 1998) from dir, or from the
// Go module cache if dir is "" (see MNISTDir): 60000 training and 10000 test examples,
// features of shape (N, 784) scaled to [0, 1] (pixel/255), labels 0 to 9, which
// ClassNames names "0" to "9".
func LoadMNIST(dir string, dt tensor.Dtype) (train, test *Dataset, err error) {
	return LoadMNISTWith(MNISTConfig{Dir: dir, DType: dt})
}

// LoadMNISTWith is LoadMNIST with more options.
func LoadMNISTWith(cfg MNISTConfig) (train, test *Dataset, err error) {
	if cfg.Dir == "" {
		if cfg.Dir, err = MNISTDir(); err != nil {
			return nil, nil, err
		}
	}
	train, test, err = loadIDXPair(cfg, mnistNames)
	return train, test, errors.Wrap(err, "data: mnist")
}

// LoadFashionMNIST loads Fashion-MNIST (Xiao et al., 2017, arXiv:1708.07747), Zalando's
// drop-in replacement for MNIST with ten classes of clothing, from dir, or from
// FashionMNISTDir if dir is "" (install it with `apt-get install dataset-fashion-mnist`).
// Same files, sizes and shapes as LoadMNIST. ClassNames gives the ten labels' names:
// T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.
func LoadFashionMNIST(dir string, dt tensor.Dtype) (train, test *Dataset, err error) {
	return LoadFashionMNISTWith(MNISTConfig{Dir: dir, DType: dt})
}

// LoadFashionMNISTWith is LoadFashionMNIST with more options.
func LoadFashionMNISTWith(cfg MNISTConfig) (train, test *Dataset, err error) {
	if cfg.Dir == "" {
		cfg.Dir = FashionMNISTDir
		if _, err := os.Stat(cfg.Dir); err != nil {
			return nil, nil, errors.Errorf("data: fashion-mnist: no directory %s: install the data with "+
				"`apt-get install dataset-fashion-mnist`, or pass a directory holding %s",
				cfg.Dir, mnistFiles[0])
		}
	}
	train, test, err = loadIDXPair(cfg, fashionNames)
	return train, test, errors.Wrap(err, "data: fashion-mnist")
}

// mnistFiles are the base names of the four files: train images, train labels, test
// images, test labels.
var mnistFiles = [4]string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// loadIDXPair loads the train and test sets of an MNIST-like directory, each with its
// own copy of the class names.
func loadIDXPair(cfg MNISTConfig, names [mnistClasses]string) (train, test *Dataset, err error) {
	if cfg.DType == (tensor.Dtype{}) {
		cfg.DType = tensor.Float32
	}
	if err := checkDtype(cfg.DType); err != nil {
		return nil, nil, err
	}
	var paths [4]string
	for i, base := range mnistFiles {
		if paths[i], err = findIDX(cfg.Dir, base); err != nil {
			return nil, nil, err
		}
	}
	train, trainSize, err := loadIDXSet(paths[0], paths[1], cfg)
	if err != nil {
		return nil, nil, err
	}
	test, testSize, err := loadIDXSet(paths[2], paths[3], cfg)
	if err != nil {
		return nil, nil, err
	}
	if trainSize != testSize {
		return nil, nil, errors.Errorf("train images of %dx%d and test images of %dx%d differ in size",
			trainSize[0], trainSize[1], testSize[0], testSize[1])
	}
	train.classNames = slices.Clone(names[:])
	test.classNames = slices.Clone(names[:])
	return train, test, nil
}

// findIDX returns the path of base in dir under one of its usual names: the plain or
// gzipped file, with a '-' or a '.' before "idx" (the latter as some mirrors spell it).
func findIDX(dir, base string) (string, error) {
	dotted := strings.Replace(base, "-idx", ".idx", 1)
	for _, name := range []string{base + ".gz", base, dotted + ".gz", dotted} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.Errorf("no file %s or %s.gz in %s", base, base, dir)
}

// loadIDXSet reads one images file and its labels file into a Dataset and returns the
// size of an image, rows and columns.
func loadIDXSet(imagesPath, labelsPath string, cfg MNISTConfig) (*Dataset, [2]int, error) {
	images, err := readIDXFile(imagesPath)
	if err != nil {
		return nil, [2]int{}, err
	}
	if len(images.Dims) != 3 {
		return nil, [2]int{}, errors.Errorf("%s: dimensions %v, want 3 (images, rows, cols): magic 0x00000803",
			imagesPath, images.Dims)
	}
	labels, err := readIDXFile(labelsPath)
	if err != nil {
		return nil, [2]int{}, err
	}
	if len(labels.Dims) != 1 {
		return nil, [2]int{}, errors.Errorf("%s: dimensions %v, want 1 (labels): magic 0x00000801",
			labelsPath, labels.Dims)
	}
	n, rows, cols := images.Dims[0], images.Dims[1], images.Dims[2]
	if labels.Dims[0] != n {
		return nil, [2]int{}, errors.Errorf("%s holds %d images but %s holds %d labels", imagesPath, n, labelsPath, labels.Dims[0])
	}
	ls := make([]int, n)
	for i, l := range labels.Data {
		if l >= mnistClasses {
			return nil, [2]int{}, errors.Errorf("%s: label[%d] = %d, want 0 to %d", labelsPath, i, l, mnistClasses-1)
		}
		ls[i] = int(l)
	}

	shape := []int{n, rows * cols}
	if cfg.Shape4D {
		shape = []int{n, 1, rows, cols}
	}
	var x *tensor.Dense
	if cfg.DType == tensor.Float32 {
		x = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(scalePixels[float32](images.Data)))
	} else {
		x = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(scalePixels[float64](images.Data)))
	}
	d, err := New(x, ls, mnistClasses)
	return d, [2]int{rows, cols}, err
}

// scalePixels maps bytes 0..255 to [0, 1].
func scalePixels[T float32 | float64](px []byte) []T {
	out := make([]T, len(px))
	for i, p := range px {
		out[i] = T(p) / 255
	}
	return out
}
