package flows

import (
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu"
)

// TestRenderClip: a message quoting long answers many times is cut to
// LINE's limit at a character boundary, surrogate pairs included.
func TestRenderClip(t *testing.T) {
	s := &tsunagu.Session{Answers: map[string]tsunagu.Answer{"x": {Value: strings.Repeat("😀あ", 2500)}}}
	got := render(strings.Repeat("{{answers.x}}", 40), s)
	if n := lineLen(got); n > MaxMessageLen || n < MaxMessageLen-1 {
		t.Errorf("rendered %d UTF-16 units, want %d (or one less at a pair)", n, MaxMessageLen)
	}
	if !strings.HasPrefix(got, "😀あ😀") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("cut inside a character")
	}
}

// BenchmarkRenderLongAnswers is {{answers.x}} ×40 with a 5,000-character
// answer, which took 57 s when each cut character meant measuring again.
func BenchmarkRenderLongAnswers(b *testing.B) {
	s := &tsunagu.Session{Answers: map[string]tsunagu.Answer{"x": {Value: strings.Repeat("あ", 5000)}}}
	text := strings.Repeat("{{answers.x}}", 40)
	for b.Loop() {
		render(text, s)
	}
}
