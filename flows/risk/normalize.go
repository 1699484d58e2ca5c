package risk

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Normalize folds the ways one word can be typed on a Japanese phone into
// one form, for matching typed answers and risk phrases: NFKC (so ｼﾆﾀｲ
// becomes シニタイ and ５ becomes 5), width folding, katakana to hiragana,
// lower case, and runs of spaces (including the full-width space) to one
// space, trimmed at both ends. flows.Normalize is this function.
func Normalize(s string) string {
	s = fold(s)
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

// fold is NFKC and width folding only: what the analyser reads, since it
// knows kanji and katakana words (ママ, リスカ) that hiragana would hide.
func fold(s string) string {
	return width.Fold.String(norm.NFKC.String(s))
}

// Compact is Normalize without any spaces, so that "し に た い" still
// matches a phrase.
func Compact(s string) string { return compactFolded(fold(s)) }

// compactFolded is Compact for text already folded.
func compactFolded(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(toHiragana(r))
	}, s)
}

// kanaLower is Normalize for text already folded (an analyser token):
// katakana to hiragana and lower case, without allocating when there is
// nothing to change.
func kanaLower(s string) string {
	for _, r := range s {
		if r >= 'ァ' && r <= 'ヶ' || r == 'ヽ' || r == 'ヾ' || unicode.IsUpper(r) {
			return strings.Map(func(r rune) rune { return unicode.ToLower(toHiragana(r)) }, s)
		}
	}
	return s
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

// mostlyKatakana reports whether most of the letters in s are katakana
// (ﾊﾟﾊﾟﾆﾅｸﾞﾗﾚﾀ, シニタイ), so the analyser also reads its hiragana spelling.
func mostlyKatakana(s string) bool {
	kata, other := 0, 0
	for _, r := range s {
		switch {
		case r >= 'ァ' && r <= 'ヶ' || r == 'ー':
			kata++
		case unicode.IsLetter(r):
			other++
		}
	}
	return kata > 0 && kata > other
}
