package text

import "testing"

func BenchmarkTokenize(b *testing.B) {
	s := "I didn't like it.<br /><br />The END of a 'great' film's story, rock'n'roll 10/10!!! Café naïve élan. "
	for range 5 {
		s += s
	}
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		Tokenize(s)
	}
}
