package flows

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Normalize folds the ways one word can be typed on a Japanese phone into
// one form, for matching typed answers and risk words: NFKC (so ｼﾆﾀｲ becomes
// シニタイ and ５ becomes 5), width folding, katakana to hiragana, lower
// case, and runs of spaces (including the full-width space) to one space,
// trimmed at both ends.
func Normalize(s string) string {
	s = width.Fold.String(norm.NFKC.String(s))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(toHiragana(r)))
	}
	return b.String()
}

// toHiragana maps a katakana letter to its hiragana twin. The long-vowel
// mark ー and the katakana-only letters ヷ–ヺ have no twin and stay.
func toHiragana(r rune) rune {
	switch {
	case r >= 'ァ' && r <= 'ヶ', r == 'ヽ', r == 'ヾ':
		return r - ('ァ' - 'ぁ')
	}
	return r
}
