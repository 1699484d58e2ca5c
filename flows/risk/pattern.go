package risk

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ikawaha/kagome/v2/tokenizer"
)

// A pattern is a sequence of words matched on the analysed message, written
// with spaces between the elements:
//
//		父|母|ママ|パパ に 殴る|蹴る れる|られる
//
//	  - 殴る|蹴る: one word whose base form (or, as typed, its surface) is
//	    one of these; a kanji word also matches its kana reading (なぐる), and
//	    any conjugation matches its base form. A word the dictionary reads as
//	    several (いなくなる = いる+ない+なる) matches that sequence.
//	  - 殴る@動詞: @ limits the part of speech (IPA: 名詞, 動詞,
//	    形容詞, 助動詞, 助詞 ...); "@動詞" alone is any verb.
//	  - * is any one word; ... is up to four words, .... up to eight; none
//	    reaches past the end of a sentence.
//	  - a trailing ? makes an element optional: 殴る て? くる
//
// Patterns are compiled to regular expressions over the encoded tokens, so
// a check is linear in the message.
type pattern struct {
	src string
	re  *regexp.Regexp
}

const (
	anyToken = `<[^>|]*>`
	gap      = `(?:<[^>|]*>){0,4}`
	longGap  = `(?:<[^>|]*>){0,8}`
)

// compilePattern parses src. tk reads each word as the analyser would.
func compilePattern(tk *tokenizer.Tokenizer, src string) (pattern, error) {
	fields := strings.Fields(src)
	if len(fields) == 0 {
		return pattern{}, fmt.Errorf("empty pattern")
	}
	var b strings.Builder
	words := 0
	for i, f := range fields {
		opt := false
		if len(f) > 1 && strings.HasSuffix(f, "?") {
			f, opt = strings.TrimSuffix(f, "?"), true
		}
		var frag string
		switch f {
		case "*":
			frag = anyToken
		case "...", "....":
			if i == 0 || i == len(fields)-1 {
				return pattern{}, fmt.Errorf("%q: ... goes between words, not at either end", src)
			}
			frag = gap
			if f == "...." {
				frag = longGap
			}
		default:
			var err error
			if frag, err = element(tk, f); err != nil {
				return pattern{}, fmt.Errorf("%q: %w", src, err)
			}
			words++
		}
		if opt {
			frag = "(?:" + frag + ")?"
		}
		b.WriteString(frag)
	}
	if words == 0 {
		return pattern{}, fmt.Errorf("%q: a pattern needs at least one word", src)
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return pattern{}, fmt.Errorf("%q: %w", src, err)
	}
	return pattern{src: src, re: re}, nil
}

// element compiles one "a|b|c@POS" element.
func element(tk *tokenizer.Tokenizer, f string) (string, error) {
	words, pos, _ := strings.Cut(f, "@")
	posRe := "[^/>]*"
	if pos != "" {
		if strings.ContainsAny(pos, "|*?") {
			return "", fmt.Errorf("%q: write one part of speech after @", f)
		}
		posRe = regexp.QuoteMeta(pos) + "[^/>]*"
	}
	if words == "" {
		if pos == "" {
			return "", fmt.Errorf("%q: a word or a part of speech is missing", f)
		}
		return "<[^/>|]*/[^/>|]*/" + posRe + ">", nil
	}
	var alts []string
	for _, w := range strings.Split(words, "|") {
		if w == "" {
			return "", fmt.Errorf("%q: an empty word between |", f)
		}
		alts = append(alts, wordRegexp(tk, w, posRe))
	}
	return "(?:" + strings.Join(alts, "|") + ")", nil
}

// wordRegexp matches one word: its base form or surface, or its reading;
// a word the analyser splits matches the split sequence.
func wordRegexp(tk *tokenizer.Tokenizer, w, posRe string) string {
	n := Normalize(w)
	forms := []string{regexp.QuoteMeta(n)}
	toks := analyse(tk, fold(w))
	if len(toks) == 1 {
		if r, ok := reading(tk, w); ok && r != n {
			forms = append(forms, regexp.QuoteMeta(r))
		}
	}
	single := tokenRegexp(strings.Join(forms, "|"), posRe)
	if len(toks) <= 1 {
		return single
	}
	var seq strings.Builder
	for i, t := range toks {
		p := "[^/>]*"
		if i == len(toks)-1 {
			p = posRe
		}
		seq.WriteString(tokenRegexp(regexp.QuoteMeta(t.base)+"|"+regexp.QuoteMeta(t.surface), p))
	}
	return "(?:" + single + "|" + seq.String() + ")"
}

func tokenRegexp(forms, posRe string) string {
	return "<(?:(?:" + forms + ")/[^/>|]*|[^/>|]*/(?:" + forms + "))/" + posRe + ">"
}

// reading is the hiragana reading of a one-word kanji base form (殴る →
// なぐる), so patterns written in kanji match children's kana.
func reading(tk *tokenizer.Tokenizer, w string) (string, bool) {
	if !hasKanji(w) {
		return "", false
	}
	raw := tk.Tokenize(fold(w))
	if len(raw) != 1 {
		return "", false
	}
	r, ok := raw[0].Reading()
	if !ok || r == "" || r == "*" {
		return "", false
	}
	return Normalize(r), true
}

func hasKanji(s string) bool {
	for _, r := range s {
		if r >= 0x4E00 && r <= 0x9FFF || r == '々' {
			return true
		}
	}
	return false
}
