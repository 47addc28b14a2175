package text

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func TestTokenize(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Bromwell High is a cartoon comedy.", []string{"bromwell", "high", "is", "a", "cartoon", "comedy"}},
		{"I didn't like it.<br /><br />The END", []string{"i", "didn't", "like", "it", "the", "end"}},
		{"'Quoted' words and the actors' lines", []string{"quoted", "words", "and", "the", "actors", "lines"}},
		{"rock'n'roll, 10/10!!! (9.5)", []string{"rock'n'roll", "10", "10", "9", "5"}},
		{"It’s a film’s flaw", []string{"it's", "a", "film's", "flaw"}},
		{"Café  naïve-ÉLAN", []string{"café", "naïve", "élan"}},
		{"line<br/>break<br>here", []string{"line", "break", "here"}},
		{"'' ' ''", nil},
		{"", nil},
	}
	for _, c := range cases {
		if got := Tokenize(c.in); len(got) != len(c.want) || (len(got) > 0 && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("Tokenize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestVocab(t *testing.T) {
	docs := [][]string{
		{"the", "film", "was", "good", "the", "end"},
		{"the", "film", "was", "bad"},
		{"good", "good", "<pad>", "<unk>"},
	}
	v, err := NewVocab(docs, VocabConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// the: 3, good: 3, film: 2, was: 2, then bad, end (count 1), ties in byte order.
	want := []string{"<pad>", "<unk>", "good", "the", "film", "was", "bad", "end"}
	if got := v.Decode([]int{0, 1, 2, 3, 4, 5, 6, 7, 8}); !reflect.DeepEqual(got, append(want, "")) {
		t.Errorf("tokens %q, want %q", got, want)
	}
	if v.Len() != 8 || v.Count("good") != 3 || v.Count("<pad>") != 0 || v.Count("zzz") != 0 {
		t.Errorf("Len %d, Count(good) %d, Count(<pad>) %d", v.Len(), v.Count("good"), v.Count("<pad>"))
	}
	if got := v.Encode([]string{"the", "unseen", "end", "<pad>"}); !reflect.DeepEqual(got, []int{3, UnkID, 7, PadID}) {
		t.Errorf("Encode = %v", got)
	}

	// MinCount 2 drops bad and end; MaxSize 4 keeps <pad>, <unk> and the top two.
	v2, _ := NewVocab(docs, VocabConfig{MinCount: 2})
	if got := v2.Decode([]int{2, 3, 4, 5}); !reflect.DeepEqual(got, []string{"good", "the", "film", "was"}) || v2.Len() != 6 {
		t.Errorf("MinCount 2: %q (len %d)", got, v2.Len())
	}
	v3, _ := NewVocab(docs, VocabConfig{MaxSize: 4})
	if v3.Len() != 4 || v3.ID("film") != UnkID || v3.ID("the") != 3 {
		t.Errorf("MaxSize 4: len %d, film %d, the %d", v3.Len(), v3.ID("film"), v3.ID("the"))
	}
	for _, bad := range []VocabConfig{{MinCount: -1}, {MaxSize: 1}} {
		if _, err := NewVocab(docs, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// TestVocabEmptyToken checks that an empty token, which FuzzVocab found numbered like
// a word (so that Token gave "" for a valid id, its answer for an invalid one), is not
// counted and encodes as UnkID.
func TestVocabEmptyToken(t *testing.T) {
	v, err := NewVocab([][]string{{"a", "", "b", ""}}, VocabConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != 4 || v.Count("") != 0 || v.ID("") != UnkID {
		t.Errorf("Len %d, Count(\"\") %d, ID(\"\") %d, want 4, 0, %d", v.Len(), v.Count(""), v.ID(""), UnkID)
	}
}

// TestVocabTrainOnly checks the property the pipeline relies on: a vocabulary built
// on one split does not know the other split's words.
func TestVocabTrainOnly(t *testing.T) {
	train := TokenizeAll([]string{"a great movie", "a dull movie"})
	test := TokenizeAll([]string{"an outstanding movie"})
	v, _ := NewVocab(train, VocabConfig{})
	if got := v.Encode(test[0]); got[0] != UnkID || got[1] != UnkID || got[2] == UnkID {
		t.Errorf("test ids %v: want unknown, unknown, known", got)
	}
}

func TestPadTruncate(t *testing.T) {
	ids := []int{5, 6, 7, 8}
	cases := []struct {
		length int
		opt    PadOptions
		want   []int
	}{
		{6, PadOptions{}, []int{5, 6, 7, 8, 0, 0}},
		{6, PadOptions{Pad: Front}, []int{0, 0, 5, 6, 7, 8}},
		{2, PadOptions{}, []int{5, 6}},
		{2, PadOptions{Truncate: Front}, []int{7, 8}},
		{4, PadOptions{Pad: Front, Truncate: Front}, []int{5, 6, 7, 8}},
	}
	for _, c := range cases {
		got := PadTruncate(ids, c.length, c.opt)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("PadTruncate(%v, %d, %+v) = %v, want %v", ids, c.length, c.opt, got, c.want)
		}
		got[0] = -1
		if ids[0] != 5 {
			t.Fatal("PadTruncate shares memory with its input")
		}
	}
	m, err := Matrix([][]int{{1, 2, 3}, {4}}, 2, PadOptions{Truncate: Front}, tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Float32s(); !reflect.DeepEqual(got, []float32{2, 3, 4, 0}) || !m.Shape().Eq(tensor.Shape{2, 2}) {
		t.Errorf("Matrix = %v %v", m.Shape(), got)
	}
	if _, err := Matrix([][]int{{1}}, 0, PadOptions{}, tensor.Float64); err == nil {
		t.Error("length 0: no error")
	}
}

// tinyIMDBFiles returns a small aclImdb tree, keyed by slash-separated path: two
// reviews per split and class, with ratings that fit their class (pos 7 to 10, neg 1
// to 4), an unlabelled review and the vocabulary file.
func tinyIMDBFiles() map[string][]byte {
	files := map[string][]byte{}
	for _, split := range []string{"train", "test"} {
		for c, names := range map[string][]string{"pos": {"10_9.txt", "2_7.txt"}, "neg": {"10_4.txt", "2_1.txt"}} {
			for _, name := range names {
				files["aclImdb/"+split+"/"+c+"/"+name] = []byte(split + " " + c + " " + name + "<br />ok")
			}
		}
	}
	files["aclImdb/train/unsup/0_0.txt"] = []byte("unlabelled")
	files["aclImdb/imdb.vocab"] = []byte("the\n")
	return files
}

// writeTinyIMDB writes tinyIMDBFiles under dir and returns them, keyed by path
// relative to dir.
func writeTinyIMDB(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for p, b := range tinyIMDBFiles() {
		files[filepath.FromSlash(p)] = b
	}
	for p, b := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func TestLoadIMDBLayouts(t *testing.T) {
	dir := t.TempDir()
	files := writeTinyIMDB(t, dir)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for p, b := range files {
		_ = tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(p), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		_, _ = tw.Write(b)
	}
	_ = tw.Close()
	_ = gz.Close()
	archive := filepath.Join(dir, "aclImdb_v1.tar.gz")
	if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{dir, filepath.Join(dir, "aclImdb"), archive} {
		train, test, err := LoadIMDB(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if len(train) != 4 || len(test) != 4 {
			t.Fatalf("%s: %d train, %d test, want 4 and 4", src, len(train), len(test))
		}
		want := Review{ID: 2, Rating: 7, Label: 1, Text: "train pos 2_7.txt<br />ok"}
		if train[0] != want {
			t.Errorf("%s: first train review %+v, want %+v", src, train[0], want)
		}
		if got := Labels(test); !reflect.DeepEqual(got, []int{1, 1, 0, 0}) {
			t.Errorf("%s: test labels %v", src, got)
		}
	}
	if _, _, err := LoadIMDB(t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds neither") {
		t.Errorf("empty dir: err = %v", err)
	}
	bad := t.TempDir()
	writeTinyIMDB(t, bad)
	_ = os.WriteFile(filepath.Join(bad, "aclImdb", "test", "neg", "x.txt"), []byte("?"), 0o644)
	if _, _, err := LoadIMDB(bad); err == nil || !strings.Contains(err.Error(), `"x.txt"`) {
		t.Errorf("bad file name: err = %v", err)
	}
}

// TestLoadIMDB loads the real dataset from the Go module cache (downloading the
// module if needed).
func TestLoadIMDB(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 50,000 reviews (and may download 50 MB); skipped with -short")
	}
	train, test, err := LoadIMDB("")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name string
		rs   []Review
	}{{"train", train}, {"test", test}} {
		pos := 0
		for _, r := range s.rs {
			pos += r.Label
			if (r.Label == 1) != (r.Rating >= 7) || r.Text == "" {
				t.Fatalf("%s review %+v: label and rating disagree or empty text", s.name, r)
			}
		}
		if len(s.rs) != 25000 || pos != 12500 {
			t.Errorf("%s: %d reviews, %d positive, want 25000 and 12500", s.name, len(s.rs), pos)
		}
	}
	// Positives first, by ID: train/pos/0_9.txt opens with this sentence.
	if r := train[0]; r.ID != 0 || r.Rating != 9 || !strings.HasPrefix(r.Text, "Bromwell High is a cartoon comedy.") {
		t.Errorf("first training review %d_%d.txt: %.40q", r.ID, r.Rating, r.Text)
	}
}
