package text

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// tarBytes returns files (slash-separated names) as a tar archive, gzipped if gz.
func tarBytes(t testing.TB, files map[string][]byte, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var zw *gzip.Writer
	tw := tar.NewWriter(&buf)
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names) // the same bytes every time
	for _, name := range names {
		b := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if gz {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// FuzzIMDBArchive checks that no archive makes the IMDB reader panic or allocate more
// than the reviews it holds (each at most maxReviewBytes), and that what it accepts
// keeps LoadIMDB's promises: both splits with both classes, positives first, by ID,
// ratings that fit their labels, no ID twice in a class.
func FuzzIMDBArchive(f *testing.F) {
	tiny := tinyIMDBFiles()
	f.Add(tarBytes(f, tiny, false))
	f.Add(tarBytes(f, tiny, true))
	f.Add(tarBytes(f, tiny, false)[:700])
	bad := tinyIMDBFiles()
	bad["aclImdb/train/pos/3_3.txt"] = []byte("meh")
	f.Add(tarBytes(f, bad, false))
	f.Add(tarBytes(f, map[string][]byte{"train/pos/1_8.txt": []byte("a"), "train/neg/1_2.txt": []byte("b"),
		"test/pos/1_9.txt": []byte("c"), "test/neg/1_1.txt": nil}, false))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		splits, err := readIMDBArchive(bytes.NewReader(b))
		if err != nil {
			return
		}
		train, test, err := checkIMDBSplits(splits)
		if err != nil {
			return
		}
		for _, rs := range [][]Review{train, test} {
			pos := 0
			for i, r := range rs {
				pos += r.Label
				if (r.Label == 1 && (r.Rating < 7 || r.Rating > 10)) || (r.Label == 0 && (r.Rating < 1 || r.Rating > 4)) || r.ID < 0 {
					t.Fatalf("review %+v: rating and label disagree", r)
				}
				if len(r.Text) > maxReviewBytes {
					t.Fatalf("review of %d bytes", len(r.Text))
				}
				if i > 0 {
					p := rs[i-1]
					if p.Label < r.Label || (p.Label == r.Label && p.ID >= r.ID) {
						t.Fatalf("reviews %+v then %+v: want positives first, then increasing IDs", p, r)
					}
				}
			}
			if pos == 0 || pos == len(rs) {
				t.Fatalf("%d positive of %d", pos, len(rs))
			}
		}
	})
}

// FuzzTokenize checks that Tokenize never panics and that its tokens are what its doc
// says: non-empty, lower case, letters, digits and inner apostrophes only, and stable
// (tokenizing the tokens joined by spaces gives them back).
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"Bromwell High is a cartoon comedy.", "I didn't like it.<br /><br />The END",
		"'Quoted' words and the actors' lines", "rock'n'roll, 10/10!!! (9.5)", "It’s a film’s flaw",
		"Café  naïve-ÉLAN", "line<br/>break<br>here", "'' ' ''", "", "\xff\xfe<BR />İSTANBUL ǅ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokenize(s)
		for _, tok := range toks {
			if tok == "" || strings.HasPrefix(tok, "'") || strings.HasSuffix(tok, "'") {
				t.Fatalf("token %q: empty or with an apostrophe at an end", tok)
			}
			for _, r := range tok {
				if r != '\'' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					t.Fatalf("token %q holds %q", tok, r)
				}
			}
		}
		if again := Tokenize(strings.Join(toks, " ")); !slices.Equal(again, toks) {
			t.Fatalf("Tokenize(%q) = %q, but Tokenize of them joined = %q", s, toks, again)
		}
	})
}

// FuzzVocab builds a vocabulary from documents (lines of space-separated tokens, so
// empty tokens and the reserved ones occur) and checks its promises: <pad> and <unk>
// first, then every token counted at least MinCount times, by decreasing count (ties
// in byte order), at most MaxSize ids, exact counts, Encode and Decode round trips,
// and the same vocabulary from the documents in another order.
func FuzzVocab(f *testing.F) {
	f.Add("the film was good the end\nthe film was bad\ngood good <pad> <unk>", uint8(0), uint8(0))
	f.Add("a b  c\n\n<unk> a", uint8(2), uint8(3))
	f.Add("x", uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, text string, minCount, maxSize uint8) {
		var docs [][]string
		for _, line := range strings.Split(text, "\n") {
			docs = append(docs, strings.Split(line, " "))
		}
		cfg := VocabConfig{MinCount: int(minCount), MaxSize: int(maxSize)}
		v, err := NewVocab(docs, cfg)
		if err != nil {
			if maxSize != 1 {
				t.Fatalf("%+v: %v", cfg, err)
			}
			return
		}
		counts := map[string]int{}
		for _, d := range docs {
			for _, tok := range d {
				counts[tok]++
			}
		}
		if v.Len() < 2 || (maxSize > 0 && v.Len() > int(maxSize)) || v.Token(PadID) != PadToken || v.Token(UnkID) != UnkToken {
			t.Fatalf("%+v: Len %d, first tokens %q", cfg, v.Len(), v.Decode([]int{0, 1}))
		}
		kept := map[string]bool{}
		for id := 2; id < v.Len(); id++ {
			tok := v.Token(id)
			kept[tok] = true
			if tok == "" || tok == PadToken || tok == UnkToken || v.ID(tok) != id {
				t.Fatalf("id %d: token %q, ID(token) = %d", id, tok, v.ID(tok))
			}
			if v.Count(tok) != counts[tok] || counts[tok] < max(int(minCount), 1) {
				t.Fatalf("token %q: Count %d, counted %d, MinCount %d", tok, v.Count(tok), counts[tok], minCount)
			}
			if id > 2 {
				p := v.Token(id - 1)
				if counts[p] < counts[tok] || (counts[p] == counts[tok] && p >= tok) {
					t.Fatalf("ids %d %q (%d) then %d %q (%d): want decreasing counts, ties in byte order", id-1, p, counts[p], id, tok, counts[tok])
				}
			}
		}
		if maxSize == 0 {
			for tok, n := range counts {
				if n >= max(int(minCount), 1) && tok != "" && tok != PadToken && tok != UnkToken && !kept[tok] {
					t.Fatalf("token %q counted %d times is missing", tok, n)
				}
			}
		}
		for _, d := range docs {
			got := v.Decode(v.Encode(d))
			for i, tok := range d {
				want := tok
				if !kept[tok] && tok != PadToken {
					want = UnkToken
				}
				if got[i] != want {
					t.Fatalf("Decode(Encode(%q)) = %q", d, got)
				}
			}
		}
		rev := slices.Clone(docs)
		slices.Reverse(rev)
		v2, err := NewVocab(rev, cfg)
		if err != nil || !slices.Equal(v2.tokens, v.tokens) {
			t.Fatalf("documents reversed: %q, want %q (%v)", v2.tokens, v.tokens, err)
		}
	})
}
