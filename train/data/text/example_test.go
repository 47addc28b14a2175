package text_test

import (
	"fmt"

	"github.com/gradflow/gradflow/train/data/text"
	"gorgonia.org/tensor"
)

func Example() {
	train := text.TokenizeAll([]string{
		"A great film.<br /><br />Great acting!",
		"A dull film; I didn't care.",
	})
	vocab, _ := text.NewVocab(train, text.VocabConfig{MinCount: 1})
	fmt.Println(train[1])
	fmt.Println(vocab.Len(), vocab.Decode([]int{0, 1, 2, 3, 4}))

	test := text.Tokenize("A great, great sequel")
	ids := vocab.Encode(test)
	fmt.Println(ids, text.PadTruncate(ids, 6, text.PadOptions{}))

	x, _ := text.Matrix([][]int{ids}, 3, text.PadOptions{Truncate: text.Front}, tensor.Float32)
	fmt.Println(x.Shape(), x.Float32s())
	// Output:
	// [a dull film i didn't care]
	// 10 [<pad> <unk> a film great]
	// [2 4 4 1] [2 4 4 1 0 0]
	// (1, 3) [4 4 1]
}
