package flows

import "github.com/tsunagu/tsunagu/flows/risk"

// Normalize folds the ways one word can be typed on a Japanese phone into
// one form, for matching typed answers and risk words: NFKC (so ｼﾆﾀｲ becomes
// シニタイ and ５ becomes 5), width folding, katakana to hiragana, lower
// case, and runs of spaces (including the full-width space) to one space,
// trimmed at both ends. It lives in flows/risk, which cannot import flows.
func Normalize(s string) string { return risk.Normalize(s) }
