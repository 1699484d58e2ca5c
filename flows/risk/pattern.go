package risk

import (
	"fmt"
	"maps"
	"slices"
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
//	    形容詞, 助動詞, 助詞 ..., or with its subclass: 名詞-代名詞);
//	    "@動詞" alone is any verb.
//	  - * is any one word; ... is up to four words, .... up to eight; none
//	    reaches past the end of a sentence.
//	  - a trailing ? makes an element optional: 殴る て? くる
//
// A pattern is matched token by token: a few map look-ups per word, so a
// check is fast and linear in practice; words the message does not hold at
// all rule a pattern out before any matching (anchors).
type pattern struct {
	src     string
	elems   []elem
	anchors [][]string // one per required word element: its first-token forms
	start   []string   // the first element's forms, when it is a required word: where a match can begin
}

type elemKind int

const (
	elemWord elemKind = iota
	elemAny
	elemGap
)

type elem struct {
	kind elemKind
	// elemWord: the one-token alternatives merged into one matcher, and
	// the alternatives the analyser reads as several tokens, with the
	// forms any of those can start with (to rule them out at once).
	single tokMatcher
	seqs   [][]tokMatcher
	first  map[string]bool
	max    int // elemGap: at most this many words
	opt    bool
}

// tokMatcher matches one token whose base form or surface is in forms and
// whose part of speech starts with pos.
type tokMatcher struct {
	forms      map[string]bool
	pos1, pos2 string // "" for any
}

func (m tokMatcher) match(t token) bool {
	if t.brk || m.pos1 != "" && t.pos1 != m.pos1 || m.pos2 != "" && t.pos2 != m.pos2 {
		return false
	}
	return m.forms == nil || m.forms[t.base] || m.forms[t.surface]
}

// compilePattern parses src. tk reads each word as the analyser would.
func compilePattern(tk *tokenizer.Tokenizer, src string) (pattern, error) {
	fields := strings.Fields(src)
	if len(fields) == 0 {
		return pattern{}, fmt.Errorf("empty pattern")
	}
	p := pattern{src: src}
	words := 0
	for i, f := range fields {
		opt := false
		if len(f) > 1 && strings.HasSuffix(f, "?") {
			f, opt = strings.TrimSuffix(f, "?"), true
		}
		var e elem
		switch f {
		case "*":
			e = elem{kind: elemAny}
		case "...", "....":
			if i == 0 || i == len(fields)-1 {
				return pattern{}, fmt.Errorf("%q: ... goes between words, not at either end", src)
			}
			e = elem{kind: elemGap, max: 4}
			if f == "...." {
				e.max = 8
			}
		default:
			var err error
			if e, err = wordElem(tk, f); err != nil {
				return pattern{}, fmt.Errorf("%q: %w", src, err)
			}
			words++
			if !opt && e.single.forms != nil {
				anchor := slices.Collect(maps.Keys(e.single.forms))
				anchor = append(anchor, slices.Collect(maps.Keys(e.first))...)
				p.anchors = append(p.anchors, anchor)
				if i == 0 {
					p.start = anchor
				}
			}
		}
		e.opt = opt
		p.elems = append(p.elems, e)
	}
	if words == 0 {
		return pattern{}, fmt.Errorf("%q: a pattern needs at least one word", src)
	}
	return p, nil
}

// wordElem compiles one "a|b|c@POS" element.
func wordElem(tk *tokenizer.Tokenizer, f string) (elem, error) {
	words, pos, _ := strings.Cut(f, "@")
	if strings.ContainsAny(pos, "|*?@") {
		return elem{}, fmt.Errorf("%q: write one part of speech after @", f)
	}
	pos1, pos2, _ := strings.Cut(pos, "-")
	e := elem{kind: elemWord}
	if words == "" {
		if pos == "" {
			return elem{}, fmt.Errorf("%q: a word or a part of speech is missing", f)
		}
		e.single = tokMatcher{pos1: pos1, pos2: pos2}
		return e, nil
	}
	e.single = tokMatcher{forms: map[string]bool{}, pos1: pos1, pos2: pos2}
	e.first = map[string]bool{}
	for _, w := range strings.Split(words, "|") {
		if w == "" {
			return elem{}, fmt.Errorf("%q: an empty word between |", f)
		}
		forms, seq := wordMatchers(tk, w, pos1, pos2)
		maps.Copy(e.single.forms, forms)
		if seq != nil {
			e.seqs = append(e.seqs, seq)
			maps.Copy(e.first, seq[0].forms)
		}
	}
	return e, nil
}

// wordMatchers match one word: as one token, its base form or surface or
// its reading (forms); a word the analyser splits also matches the split
// sequence (seq, nil for a one-token word).
func wordMatchers(tk *tokenizer.Tokenizer, w, pos1, pos2 string) (forms map[string]bool, seq []tokMatcher) {
	forms = map[string]bool{Normalize(w): true}
	toks := analyse(tk, fold(w))
	if len(toks) == 1 {
		if r, ok := reading(tk, w); ok {
			forms[r] = true
		}
	}
	if len(toks) > 1 {
		seq = make([]tokMatcher, len(toks))
		for i, t := range toks {
			seq[i] = tokMatcher{forms: map[string]bool{t.base: true, t.surface: true}}
		}
		seq[len(seq)-1].pos1, seq[len(seq)-1].pos2 = pos1, pos2
	}
	return forms, seq
}

// possible reports whether every required word of p is somewhere in the
// message.
func (p *pattern) possible(x *index) bool {
	for _, a := range p.anchors {
		if !slices.ContainsFunc(a, x.has) {
			return false
		}
	}
	return true
}

// index maps each word of a message (base form and surface) to the tokens
// that hold it, so a pattern is tried only where its first word is.
type index struct {
	head  map[string]int32 // word → 1 + its latest entry
	next  []int32          // entry → the previous entry of the same word, or -1; entry/2 is the token
	cands []int
}

func (x *index) build(toks []token) {
	clear(x.head)
	x.next = x.next[:0]
	for _, t := range toks {
		x.add(t.base)
		x.add(t.surface)
	}
}

func (x *index) add(w string) {
	e := int32(len(x.next))
	x.next = append(x.next, x.head[w]-1)
	x.head[w] = e + 1
}

func (x *index) has(w string) bool { return x.head[w] > 0 }

// starts lists, in order, the tokens where a match of p can begin: where
// its first word is, or every token when it does not begin with one.
func (x *index) starts(p *pattern, n int) []int {
	x.cands = x.cands[:0]
	if p.start == nil {
		for i := range n {
			x.cands = append(x.cands, i)
		}
		return x.cands
	}
	for _, w := range p.start {
		for e := x.head[w] - 1; e >= 0; e = x.next[e] {
			x.cands = append(x.cands, int(e/2))
		}
	}
	slices.Sort(x.cands)
	x.cands = slices.Compact(x.cands)
	return x.cands
}

// find returns the first match of p in toks[from:to] as [start, end), or
// -1, -1.
func (p *pattern) find(toks []token, from, to int) (int, int) {
	for i := from; i < to; i++ {
		if toks[i].brk {
			continue
		}
		if end := p.matchAt(toks[:to], i, 0); end > i {
			return i, end
		}
	}
	return -1, -1
}

// matchAt matches elements k… at token i and returns where the match ends,
// or -1.
func (p *pattern) matchAt(toks []token, i, k int) int {
	if k == len(p.elems) {
		return i
	}
	e := &p.elems[k]
	switch e.kind {
	case elemGap:
		for n := 0; n <= e.max && i+n <= len(toks); n++ {
			if n > 0 && toks[i+n-1].brk {
				break
			}
			if end := p.matchAt(toks, i+n, k+1); end >= 0 {
				return end
			}
		}
		return -1
	case elemAny:
		if i < len(toks) && !toks[i].brk {
			if end := p.matchAt(toks, i+1, k+1); end >= 0 {
				return end
			}
		}
	default:
		if i >= len(toks) {
			break
		}
		t := toks[i]
		if e.single.match(t) {
			if end := p.matchAt(toks, i+1, k+1); end >= 0 {
				return end
			}
		}
		if len(e.seqs) > 0 && (e.first[t.base] || e.first[t.surface]) {
			for _, seq := range e.seqs {
				if j := matchSeq(toks, i, seq); j >= 0 {
					if end := p.matchAt(toks, j, k+1); end >= 0 {
						return end
					}
				}
			}
		}
	}
	if e.opt {
		return p.matchAt(toks, i, k+1)
	}
	return -1
}

// matchSeq matches seq at token i and returns where it ends, or -1.
func matchSeq(toks []token, i int, seq []tokMatcher) int {
	for _, m := range seq {
		if i >= len(toks) || !m.match(toks[i]) {
			return -1
		}
		i++
	}
	return i
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
