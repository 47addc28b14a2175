// Package text turns raw text into the fixed-length integer sequences that an
// Embedding layer takes: a tokenizer, a vocabulary built on the training split only,
// padding and truncation, and a loader for the IMDB movie-review dataset (aclImdb).
//
// The pipeline, as in examples/sentiment:
//
//	train, test, err := text.LoadIMDB("")       // 25,000 + 25,000 reviews
//	trainTok := text.TokenizeAll(text.Texts(train))
//	vocab, err := text.NewVocab(trainTok, text.VocabConfig{MinCount: 2, MaxSize: 20000})
//	x, err := text.Matrix(vocab.EncodeAll(trainTok), 256, text.PadOptions{}, tensor.Float32)
//	trainSet, err := data.New(x, text.Labels(train), 2) // x: (25000, 256) of ids
//
// Tokenize lower-cases, replaces HTML line breaks, splits on every rune that is not a
// letter, a digit or an apostrophe, and trims apostrophes at the ends of words, so
// "Don't" stays "don't" and "'quoted'" becomes "quoted". A Vocab reserves id 0 for
// <pad> and 1 for <unk> and numbers the other tokens by decreasing count in the
// documents it is built from (ties in byte order), so that the same corpus always
// gives the same ids; it must be built on the training split only, or the test set
// leaks into the model. PadTruncate and Matrix bring sequences to one length, padding
// with PadID.
//
// LoadIMDB reads the Large Movie Review Dataset (Maas et al., 2011, "Learning word
// vectors for sentiment analysis", ACL) from a directory in the aclImdb layout
// (train/pos, train/neg, test/pos, test/neg, one review per file named
// <id>_<rating>.txt) or from an aclImdb_v1.tar.gz archive. Given "", it uses the copy
// shipped in the Go module github.com/cdipaolo/sentiment, which the go command fetches
// into the module cache (see IMDBDir); that module is only read, never imported. A
// rating outside its folder's range (pos 7 to 10, neg 1 to 4), a split with one class
// or two reviews with one ID in a class are errors naming the file or the split.
package text
