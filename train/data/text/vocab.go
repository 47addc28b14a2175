package text

import (
	"sort"

	"github.com/pkg/errors"
)

// The reserved ids and tokens of every Vocab.
const (
	PadID    = 0       // padding: fills sequences up to their length
	UnkID    = 1       // unknown: any token not in the vocabulary
	PadToken = "<pad>" // the token of PadID
	UnkToken = "<unk>" // the token of UnkID
)

// VocabConfig configures NewVocab. The zero value keeps every token.
type VocabConfig struct {
	// MinCount drops tokens seen fewer times than this (they encode as UnkID); 0
	// means 1.
	MinCount int
	// MaxSize caps the vocabulary's size, <pad> and <unk> included, keeping the most
	// frequent tokens; 0 means no cap, otherwise it must be >= 2.
	MaxSize int
}

// Vocab maps tokens to integer ids and back. Id 0 is <pad>, 1 is <unk>, and the other
// tokens follow by decreasing count (ties in byte order). A Vocab is read-only once
// built and safe for concurrent use.
type Vocab struct {
	tokens []string
	counts []int
	ids    map[string]int
}

// NewVocab builds a vocabulary from tokenized documents, which should be the
// training split only. Occurrences of "<pad>" and "<unk>" in docs are not counted,
// nor empty tokens (Token's answer for an id out of range; Tokenize makes none): they
// encode as UnkID.
func NewVocab(docs [][]string, cfg VocabConfig) (*Vocab, error) {
	if cfg.MinCount < 0 {
		return nil, errors.Errorf("text: vocab: MinCount = %d, want >= 0", cfg.MinCount)
	}
	if cfg.MaxSize != 0 && cfg.MaxSize < 2 {
		return nil, errors.Errorf("text: vocab: MaxSize = %d, want 0 (no cap) or >= 2 (<pad> and <unk> included)", cfg.MaxSize)
	}
	minCount := max(cfg.MinCount, 1)
	counts := map[string]int{}
	for _, doc := range docs {
		for _, tok := range doc {
			counts[tok]++
		}
	}
	delete(counts, PadToken)
	delete(counts, UnkToken)
	delete(counts, "")
	kept := make([]string, 0, len(counts))
	for tok, n := range counts {
		if n >= minCount {
			kept = append(kept, tok)
		}
	}
	sort.Slice(kept, func(i, j int) bool {
		if ci, cj := counts[kept[i]], counts[kept[j]]; ci != cj {
			return ci > cj
		}
		return kept[i] < kept[j]
	})
	if cfg.MaxSize > 0 && len(kept) > cfg.MaxSize-2 {
		kept = kept[:cfg.MaxSize-2]
	}
	v := &Vocab{
		tokens: append([]string{PadToken, UnkToken}, kept...),
		counts: make([]int, len(kept)+2),
		ids:    make(map[string]int, len(kept)+2),
	}
	for id, tok := range v.tokens {
		v.ids[tok] = id
		if id >= 2 {
			v.counts[id] = counts[tok]
		}
	}
	return v, nil
}

// Len returns the number of ids, <pad> and <unk> included: the Num of an Embedding.
func (v *Vocab) Len() int { return len(v.tokens) }

// ID returns tok's id, or UnkID for a token not in the vocabulary.
func (v *Vocab) ID(tok string) int {
	if id, ok := v.ids[tok]; ok {
		return id
	}
	return UnkID
}

// Token returns the token of id, or "" if id is out of range.
func (v *Vocab) Token(id int) string {
	if id < 0 || id >= len(v.tokens) {
		return ""
	}
	return v.tokens[id]
}

// Count returns how many times tok occurred in the documents the vocabulary was built
// from (0 for <pad>, <unk> and unknown tokens).
func (v *Vocab) Count(tok string) int {
	if id, ok := v.ids[tok]; ok {
		return v.counts[id]
	}
	return 0
}

// Encode returns the ids of tokens.
func (v *Vocab) Encode(tokens []string) []int {
	ids := make([]int, len(tokens))
	for i, t := range tokens {
		ids[i] = v.ID(t)
	}
	return ids
}

// EncodeAll encodes every document.
func (v *Vocab) EncodeAll(docs [][]string) [][]int {
	out := make([][]int, len(docs))
	for i, d := range docs {
		out[i] = v.Encode(d)
	}
	return out
}

// Decode returns the tokens of ids ("" for an id out of range).
func (v *Vocab) Decode(ids []int) []string {
	toks := make([]string, len(ids))
	for i, id := range ids {
		toks[i] = v.Token(id)
	}
	return toks
}
