package text

import (
	"strings"
	"unicode"
)

// htmlBreaks are the line breaks the IMDB reviews hold, lower-cased.
var htmlBreaks = strings.NewReplacer("<br />", " ", "<br/>", " ", "<br>", " ")

// Tokenize splits s into lower-case words: HTML line breaks ("<br />") become spaces,
// every rune that is not a letter, a digit or an apostrophe separates words, and
// apostrophes are trimmed from both ends of a word, so that contractions and
// possessives inside a word stay ("don't", "film's") while quotes do not ("'bad'"
// gives "bad", "actors'" gives "actors"). The typographic apostrophe ’ counts as '.
func Tokenize(s string) []string {
	s = htmlBreaks.Replace(strings.ToLower(s))
	toks := make([]string, 0, len(s)/6)
	start := -1 // start of the current word, or -1
	for i, r := range s {
		if r == '\'' || r == '’' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			toks = appendWord(toks, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		toks = appendWord(toks, s[start:])
	}
	return toks
}

// appendWord appends w with ’ spelt ' and apostrophes trimmed from its ends, unless
// nothing is left. The word is a substring of the lower-cased text: no copy.
func appendWord(toks []string, w string) []string {
	if strings.ContainsRune(w, '’') {
		w = strings.ReplaceAll(w, "’", "'")
	}
	if w = strings.Trim(w, "'"); w != "" {
		toks = append(toks, w)
	}
	return toks
}

// TokenizeAll tokenizes every text.
func TokenizeAll(texts []string) [][]string {
	out := make([][]string, len(texts))
	for i, t := range texts {
		out[i] = Tokenize(t)
	}
	return out
}
