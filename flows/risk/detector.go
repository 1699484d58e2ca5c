package risk

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ikawaha/kagome/v2/tokenizer"
)

// Match says why a message matched: the category, the rule (a built-in
// rule's id, "pattern: …" or "word: …" for a programme's own), the words
// that made it match, and the phrase as found.
type Match struct {
	Category Category `json:"category"`
	Rule     string   `json:"rule"`
	Tokens   []string `json:"tokens,omitempty"`
	Phrase   string   `json:"phrase"`
	// Gentle marks a negated match (死にたくない, 死にたいとは思わない):
	// not an emergency, but worth a supporter's gentle look. The caller
	// raises a warning, not an urgent alert, and sends no safety reply.
	Gentle bool `json:"gentle,omitempty"`
}

// Word is a surface phrase: matched on the whole message after Compact
// (so ｼﾆﾀｲ, シニタイ and し に た い are one), for what the analyser cannot
// read: slang, romaji, deliberate misspellings, emoji.
type Word struct {
	Text     string   `yaml:"text" json:"text"`
	Category Category `yaml:"category" json:"category"`
}

// Pattern is a programme's own rule in the pattern language (see pattern.go
// and docs/risk.md): words by base form, in any conjugation.
type Pattern struct {
	Pattern  string   `yaml:"pattern" json:"pattern"`
	Category Category `yaml:"category" json:"category"`
}

// Config is what a programme changes; the zero value is the built-in rules.
type Config struct {
	Words    []Word    // surface phrases added to the built-in ones
	Patterns []Pattern // patterns added to the built-in rules
	// Remove turns off built-in rules by id (e.g. "bullying.ignored") or
	// surface phrases by their text.
	Remove []string
	// NoBuiltins drops every built-in rule and phrase: only Words and
	// Patterns are checked.
	NoBuiltins bool
}

// Detector checks messages. It is safe for concurrent use; the analyser's
// dictionary is shared by every Detector in the process.
type Detector struct {
	tk      *tokenizer.Tokenizer
	rules   []rule
	phrases []phrase
}

type negation int

const (
	negIgnore negation = iota // a negation after the match changes nothing
	negGentle                 // a negation after the match makes it Gentle
)

type rule struct {
	id     string
	cat    Category
	pats   []pattern
	unless []pattern // in the same sentence, any of these silences the rule
	neg    negation
}

type phrase struct {
	text, norm string
	cat        Category
	rule       string
	unless     []string // compact forms that, found in the message, silence it
	with       []string // when set, one of these must also be in the message
}

// New builds a detector from the built-in rules and c. An error names the
// pattern or word that is wrong.
func New(c Config) (*Detector, error) {
	tk, err := loadAnalyser()
	if err != nil {
		return nil, fmt.Errorf("risk: load the dictionary: %w", err)
	}
	d := &Detector{tk: tk}
	if !c.NoBuiltins {
		rules, phrases, err := compiledBuiltins(tk)
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			if !slices.Contains(c.Remove, r.id) {
				d.rules = append(d.rules, r)
			}
		}
		for _, p := range phrases {
			if !slices.Contains(c.Remove, p.text) {
				d.phrases = append(d.phrases, p)
			}
		}
	}
	if err := d.add(c.Words, c.Patterns); err != nil {
		return nil, err
	}
	return d, nil
}

// The built-in rules are compiled once per process and shared: compiled
// regular expressions are safe for concurrent use.
var (
	builtinOnce    sync.Once
	builtinCompd   []rule
	builtinPhrased []phrase
	builtinErr     error
)

func compiledBuiltins(tk *tokenizer.Tokenizer) ([]rule, []phrase, error) {
	builtinOnce.Do(func() {
		for _, br := range builtinRules {
			r, err := br.compile(tk)
			if err != nil {
				builtinErr = fmt.Errorf("risk: built-in rule %s: %w", br.id, err) // a bug here, not the programme's
				return
			}
			builtinCompd = append(builtinCompd, r)
		}
		for _, bp := range builtinPhrases {
			builtinPhrased = append(builtinPhrased, bp.compile())
		}
	})
	return builtinCompd, builtinPhrased, builtinErr
}

// With returns a detector with d's rules and the extra words and patterns
// (a flow's own), leaving d as it is.
func (d *Detector) With(words []Word, patterns []Pattern) (*Detector, error) {
	if len(words) == 0 && len(patterns) == 0 {
		return d, nil
	}
	nd := &Detector{tk: d.tk, rules: slices.Clip(d.rules), phrases: slices.Clip(d.phrases)}
	if err := nd.add(words, patterns); err != nil {
		return nil, err
	}
	return nd, nil
}

func (d *Detector) add(words []Word, patterns []Pattern) error {
	for _, p := range patterns {
		cat, err := category(p.Category)
		if err != nil {
			return fmt.Errorf("risk pattern %q: %w", p.Pattern, err)
		}
		cp, err := compilePattern(d.tk, p.Pattern)
		if err != nil {
			return fmt.Errorf("risk pattern %w", err)
		}
		// A programme's pattern comes first: it was added on purpose.
		d.rules = append([]rule{{id: "pattern: " + p.Pattern, cat: cat, pats: []pattern{cp}}}, d.rules...)
	}
	for _, w := range words {
		cat, err := category(w.Category)
		if err != nil {
			return fmt.Errorf("risk word %q: %w", w.Text, err)
		}
		n := Compact(w.Text)
		if n == "" {
			return fmt.Errorf("risk word %q: empty after normalisation", w.Text)
		}
		d.phrases = append([]phrase{{text: w.Text, norm: n, cat: cat, rule: "word: " + w.Text}}, d.phrases...)
	}
	return nil
}

func category(c Category) (Category, error) {
	if c == "" {
		return Other, nil
	}
	if pc, ok := ParseCategory(string(c)); ok {
		return pc, nil
	}
	return "", fmt.Errorf("unknown category %q (use one of %s)", c, categoryList())
}

func categoryList() string {
	ids := make([]string, len(Categories))
	for i, c := range Categories {
		ids[i] = string(c)
	}
	return strings.Join(ids, ", ")
}

// CheckPattern reports whether src is a valid pattern, for validators.
func CheckPattern(src string) error {
	tk, err := loadAnalyser()
	if err != nil {
		return err
	}
	_, err = compilePattern(tk, src)
	return err
}

// CheckCategory reports whether s names a category ("" is Other).
func CheckCategory(s string) error {
	_, err := category(Category(s))
	return err
}

// Check reports whether text needs a supporter now, and why. A match in a
// rule beats a surface phrase, and both beat a Gentle (negated) match.
func (d *Detector) Check(text string) (Match, bool) {
	folded := fold(text)
	var gentle *Match
	buf := tokBufs.Get().(*[]token)
	defer tokBufs.Put(buf)
	for _, src := range d.readings(folded) {
		toks := analyseInto(d.tk, src, *buf)
		*buf = toks
		if m, ok := d.matchRules(toks); ok {
			if !m.Gentle {
				return m, true
			}
			if gentle == nil {
				gentle = &m
			}
		}
	}
	if m, ok := d.matchPhrases(folded); ok {
		// The analyser read a negation there (しにたいわけじゃない): trust
		// it over the surface phrase of the same category.
		if gentle != nil && gentle.Category == m.Category {
			return *gentle, true
		}
		return m, true
	}
	if gentle != nil {
		return *gentle, true
	}
	return Match{}, false
}

// readings are the spellings the analyser reads: the message as typed
// (NFKC, width folded) and, when it holds katakana, in hiragana too, so a
// message typed all in katakana (ﾊﾟﾊﾟﾆﾅｸﾞﾗﾚﾀ) reads like its kana twin.
//
// Only a message mostly in katakana gets the second reading: in hiragana a
// loanword (サッカー) falls apart into nonsense the rules might misread.
func (d *Detector) readings(folded string) []string {
	folded = typos.Replace(folded)
	if !mostlyKatakana(folded) {
		return []string{folded}
	}
	return []string{folded, strings.Map(toHiragana, folded)}
}

// typos are small-kana slips children make on a flick keyboard (しにたぃ,
// かえりたくなぃ), undone before analysis.
var typos = strings.NewReplacer("たぃ", "たい", "なぃ", "ない", "てぃる", "ている")

// tokBufs are reused token slices, for the same reason.
var tokBufs = sync.Pool{New: func() any { return new([]token) }}

// indexes are reused word indexes: a check allocates little, so a busy
// service does not collect garbage for it.
var indexes = sync.Pool{New: func() any { return &index{head: map[string]int32{}} }}

func (d *Detector) matchRules(toks []token) (Match, bool) {
	x := indexes.Get().(*index)
	defer indexes.Put(x)
	x.build(toks)
	var gentle *Match
	for i := range d.rules {
		r := &d.rules[i]
		for pi := range r.pats {
			p := &r.pats[pi]
			if !p.possible(x) {
				continue
			}
			for _, start := range x.starts(p, len(toks)) { // nothing below calls starts again
				if toks[start].brk {
					continue
				}
				end := p.matchAt(toks, start, 0)
				if end <= start || r.silenced(toks, x, start, end) {
					continue
				}
				m := Match{Category: r.cat, Rule: r.id}
				for _, t := range toks[start:end] {
					if !t.brk {
						m.Tokens = append(m.Tokens, t.base)
						m.Phrase += t.text
					}
				}
				if neg := negatedAfter(toks, end); r.neg == negGentle && neg > 0 {
					m.Gentle = true
					for _, t := range toks[end:neg] {
						m.Phrase += t.text // show the negation too: 死にたくない, not 死にたく
					}
					if gentle == nil {
						gentle = &m
					}
					continue
				}
				return m, true
			}
		}
	}
	if gentle != nil {
		return *gentle, true
	}
	return Match{}, false
}

// silenced reports whether an unless pattern matches in the sentence that
// holds toks[start:end].
func (r *rule) silenced(toks []token, x *index, start, end int) bool {
	if len(r.unless) == 0 {
		return false
	}
	from, to := start, end
	for from > 0 && !toks[from-1].brk {
		from--
	}
	for to < len(toks) && !toks[to].brk {
		to++
	}
	for i := range r.unless {
		u := &r.unless[i]
		if u.possible(x) {
			if s, _ := u.find(toks, from, to); s >= 0 {
				return true
			}
		}
	}
	return false
}

// retraction are words that take back what was just said (消えたいレベル
// なんてね): the match becomes Gentle.
var retraction = map[string]bool{"なんてね": true, "冗談": true, "じょうだん": true}

// negatedAfter reports whether the words after token i take back the wish
// just matched: a negation right after it (死にたく|ない, 死にたく|は|ない),
// or one reached only through the words of "I don't think so"
// (死にたい|と|は|思わ|ない, 死にたい|わけ|じゃ|ない), or a retraction
// (なんてね, 冗談). A negation further on belongs to something else
// (死にたい気持ちがおさまらない).
//
// It returns the index just past the negation or retraction, or 0 for none.
func negatedAfter(toks []token, i int) int {
	for j := i; j < len(toks) && j < i+8 && !toks[j].brk; j++ {
		if t := toks[j]; retraction[t.base] {
			return j + 1
		} else if t.base == "なんて" && j+1 < len(toks) && toks[j+1].base == "ね" {
			return j + 2
		}
	}
	for j := i; j < len(toks) && j < i+8; j++ {
		t := toks[j]
		if t.brk {
			return 0
		}
		switch t.base {
		case "ない", "ぬ", "ん", "ねぇ", "ねー":
			if t.pos1 == "助動詞" || t.pos1 == "形容詞" {
				return j + 1
			}
		}
		if !connective[t.base] {
			return 0
		}
	}
	return 0
}

// connective are the words that may stand between a wish and its negation.
var connective = map[string]bool{
	"は": true, "も": true, "と": true, "とは": true, "って": true, "なんて": true, "なんか": true,
	"わけ": true, "訳": true, "じゃ": true, "で": true, "では": true, "だ": true, "思う": true,
	"おもう": true, "て": true, "いる": true, "てる": true, "ます": true, "ませ": true, "けど": true,
}

// matchPhrases looks for the surface phrases in folded (the message after
// fold).
func (d *Detector) matchPhrases(folded string) (Match, bool) {
	c := compactFolded(folded)
	for _, p := range d.phrases {
		if !strings.Contains(c, p.norm) || p.silenced(c) {
			continue
		}
		return Match{Category: p.cat, Rule: p.rule, Tokens: []string{p.text}, Phrase: p.text}, true
	}
	return Match{}, false
}

func (p *phrase) silenced(c string) bool {
	for _, u := range p.unless {
		if strings.Contains(c, u) {
			return true
		}
	}
	if len(p.with) == 0 {
		return false
	}
	for _, w := range p.with {
		if strings.Contains(c, w) {
			return false
		}
	}
	return true
}

// builtinRule is a rule as written in rules.go.
type builtinRule struct {
	id       string
	cat      Category
	patterns []string
	unless   []string
	neg      negation
}

func (b builtinRule) compile(tk *tokenizer.Tokenizer) (rule, error) {
	r := rule{id: b.id, cat: b.cat, neg: b.neg}
	for _, s := range b.patterns {
		p, err := compilePattern(tk, s)
		if err != nil {
			return r, err
		}
		r.pats = append(r.pats, p)
	}
	for _, s := range b.unless {
		p, err := compilePattern(tk, s)
		if err != nil {
			return r, err
		}
		r.unless = append(r.unless, p)
	}
	return r, nil
}

// builtinPhrase is a surface phrase as written in rules.go.
type builtinPhrase struct {
	text   string
	cat    Category
	unless []string
	with   []string // when set, one of these must also be in the message
}

func (b builtinPhrase) compile() phrase {
	p := phrase{text: b.text, norm: Compact(b.text), cat: b.cat, rule: "phrase." + string(b.cat)}
	for _, u := range b.unless {
		p.unless = append(p.unless, Compact(u))
	}
	for _, w := range b.with {
		p.with = append(p.with, Compact(w))
	}
	return p
}

// RuleIDs lists the built-in rules' ids, for configuration and docs.
func RuleIDs() []string {
	ids := make([]string, len(builtinRules))
	for i, r := range builtinRules {
		ids[i] = r.id
	}
	return ids
}
