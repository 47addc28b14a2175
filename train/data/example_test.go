package data_test

import (
	"fmt"
	"iter"
	"log"
	"math/rand/v2"
	"strings"

	"gorgonia.org/tensor"

	"github.com/gradflow/gradflow/train/data"
)

// A tiny classification set of 5 examples with 2 features each, read in shuffled batches
// of 2 through buffers allocated once.
func Example() {
	x := tensor.New(tensor.WithShape(5, 2), tensor.WithBacking([]float32{
		0, 0.5, // example 0
		1, 1.5, // example 1
		2, 2.5, // ...
		3, 3.5,
		4, 4.5,
	}))
	ds, err := data.New(x, []int{0, 1, 0, 1, 1}, 2)
	if err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2)) // seeded: the same order on every run
	batches, err := data.Batches(ds.Len(), 2, rng, true)
	if err != nil {
		log.Fatal(err)
	}
	bx, bt := ds.NewBatch(2)
	for _, idx := range batches {
		if err := ds.Batch(idx, bx, bt); err != nil {
			log.Fatal(err)
		}
		fmt.Println(idx, bx.Data(), bt.Data())
	}
	// Output:
	// [1 4] [1 1.5 4 4.5] [1 1]
	// [2 0] [2 2.5 0 0.5] [0 0]
}

func ExampleBatches() {
	batches, err := data.Batches(7, 3, nil, false) // nil generator: in order
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(batches)
	batches, err = data.Batches(7, 3, nil, true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(batches)
	// Output:
	// [[0 1 2] [3 4 5] [6]]
	// [[0 1 2] [3 4 5]]
}

func ExampleOneHot() {
	t, err := data.OneHot([]int{2, 0, 1}, 3, tensor.Float64)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Shape(), t.Data())
	// Output:
	// (3, 3) [0 0 1 1 0 0 0 1 0]
}

func ExampleDataset_Split() {
	x := tensor.New(tensor.WithShape(10, 1), tensor.WithBacking([]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}))
	y := tensor.New(tensor.WithShape(10, 1), tensor.WithBacking([]float64{0, 2, 4, 6, 8, 10, 12, 14, 16, 18}))
	ds, err := data.NewRegression(x, y)
	if err != nil {
		log.Fatal(err)
	}
	train, val, err := ds.Split(0.8, 42)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.Len(), val.Len())
	fmt.Println(val.X().Data(), val.Y().Data())
	// Output:
	// 8 2
	// [4 2] [8 4]
}

// LoadMNIST with "" finds MNIST in the Go module cache, fetching it there on first use.
// (No Output line: the example is compiled but not run, so that go test -short stays
// offline and fast; TestMNIST checks the same values.)
func ExampleLoadMNIST() {
	train, test, err := data.LoadMNIST("", tensor.Float32) // from the Go module cache
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.Len(), test.Len(), train.FeatureShape(), train.Classes())
	fmt.Println("first label:", train.Labels()[0])
	// Prints:
	// 60000 10000 [784] 10
	// first label: 5
}

// Read a CSV table, standardise its features and stream it in shuffled batches,
// prefetched in the background.
func ExampleReadCSV() {
	table := "length,width,kind\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n4.9,3.0,setosa\n"
	ds, err := data.ReadCSV(strings.NewReader(table), data.CSVConfig{Target: "kind"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.Len(), ds.FeatureShape(), ds.ClassNames(), ds.Labels())
	mean, std, err := data.MeanStd(ds)
	if err != nil {
		log.Fatal(err)
	}
	norm, err := data.Normalize(ds, mean, std)
	if err != nil {
		log.Fatal(err)
	}
	src, err := data.Prefetch(norm, 2)
	if err != nil {
		log.Fatal(err)
	}
	for b, err := range src.Stream(2, rand.New(rand.NewPCG(1, 2))) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(b.Index, b.T.Data())
	}
	// Output:
	// 4 [2] [setosa versicolor virginica] [0 1 2 0]
	// [2 3] [2 0]
	// [1 0] [1 0]
}

// A NaN feature is an error naming its line and column; CSVConfig.AllowNonFinite keeps it
// (for a pipeline that imputes missing values itself).
func ExampleCSVConfig_allowNonFinite() {
	table := "a,b,y\n1,2,0\n3,NaN,1\n"
	_, err := data.ReadCSV(strings.NewReader(table), data.CSVConfig{})
	fmt.Println(err)
	ds, err := data.ReadCSV(strings.NewReader(table), data.CSVConfig{AllowNonFinite: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.X().Data())
	// Output:
	// data: read csv: line 3, column "b": NaN, want a finite number (CSVConfig.AllowNonFinite keeps NaN and ±Inf)
	// [1 2 3 NaN]
}

// shortSource reports 4 examples but streams none: the kind of custom Source that made
// an epoch of nothing.
type shortSource struct{ *data.Dataset }

func (shortSource) Len() int { return 4 }

func (shortSource) Stream(int, *rand.Rand) iter.Seq2[data.Batch, error] {
	return func(func(data.Batch, error) bool) {}
}

// Check tests a custom Source against the contract, in its tests; Checked wraps it so
// that a pass which breaks the contract ends with an error.
func ExampleCheck() {
	x := tensor.New(tensor.WithShape(4, 1), tensor.WithBacking([]float32{0, 1, 2, 3}))
	ds, err := data.New(x, []int{0, 1, 0, 1}, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(data.Check(ds, 3))
	fmt.Println(data.Check(shortSource{ds}, 3))
	for _, err := range data.Checked(shortSource{ds}).Stream(3, nil) {
		fmt.Println(err)
	}
	// Output:
	// <nil>
	// data: check: pass in order: source data_test.shortSource: one pass yielded 0 examples, Len() = 4
	// data: source data_test.shortSource: one pass yielded 0 examples, Len() = 4
}
