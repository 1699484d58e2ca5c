package flows

import (
	"slices"
	"strings"
	"sync"

	"github.com/tsunagu/tsunagu/flows/risk"
)

// DefaultRiskWords was the word list before package flows/risk; it is kept
// for callers and configuration that name it, and NewRiskScanner leaves
// these words to the built-in rules. The comment below is its history.
//
// DefaultRiskWords are words that, typed anywhere by a child or a guardian,
// mean a supporter should look now: thoughts of suicide or self-harm,
// violence at home, abuse, not wanting to go home. Matching is on
// Normalize'd text with spaces removed, so one hiragana or kanji form covers
// katakana and half-width spellings (ｼﾆﾀｲ, シニタイ → しにたい).
//
// Chosen against false alarms: no 死ぬ (死ぬほど眠い), no hiragana
// いきたくない (行きたくない: "I don't want to go to school"), no けられ
// (見つけられ, 声をかけられ), no もう無理 or つらい, which children type
// about homework. A supporter who sees alerts on every other message stops
// reading them.
var DefaultRiskWords = []string{
	// wanting to die or disappear
	"死にたい", "しにたい", "死のうかな", "しのうかな", "死んだほうがまし", "しんだほうがまし", "死んだ方がまし",
	"消えたい", "きえたい", "いなくなりたい", "生きたくない", "生きるのがつらい", "いきるのがつらい",
	"生きてるのがつらい", "いきてるのがつらい", "自殺", "じさつ",
	"飛び降りたい", "とびおりたい", "首吊", "首つり", "くびつり",
	// self-harm
	"リスカ", "リストカット", "自傷", "手首切", "オーバードーズ",
	// violence, abuse, fear at home
	"殴られ", "なぐられ", "叩かれ", "たたかれ", "蹴られ", "ぶたれ", "虐待", "ぎゃくたい", "暴力",
	"殺して", "ころして", "殺され", "ころされ", "いじめられ",
	"家に帰りたくない", "いえにかえりたくない", "うちにかえりたくない", "家にいたくない", "いえにいたくない",
	// a guardian at the end of their tether
	"叩いてしまう", "たたいてしまう", "手をあげてしまう",
	// a plain call for help
	"助けて", "たすけて",
}

// RiskScanner is the old word-list scanner's API over the new detector
// (package flows/risk), for callers not yet switched to risk.Detector:
// NewRiskScanner(words).Match(text) now reads Japanese morphology, and
// DefaultRiskWords are covered by the built-in rules rather than matched
// as substrings (which is how 自殺防止のポスター and 肩を叩かれた stopped
// raising alerts). Other words are matched as surface words, as before.
type RiskScanner struct {
	// The detector is built on first use, so commands that never check
	// text (report, schedule, send) do not load the dictionary.
	once  sync.Once
	build func() (*risk.Detector, error)
	d     *risk.Detector
	// words is the old matcher, used only if the detector cannot be built
	// (the dictionary failed to load): a net with holes beats no net.
	words []riskWord
}

type riskWord struct{ word, norm string }

// NewRiskScanner returns a scanner for the built-in rules plus words
// (matched after normalisation). Empty words are ignored.
func NewRiskScanner(words []string) *RiskScanner {
	rs := &RiskScanner{}
	var extra []risk.Word
	for _, w := range words {
		n := compact(w)
		if n == "" {
			continue
		}
		rs.words = append(rs.words, riskWord{word: w, norm: n})
		if !slices.Contains(DefaultRiskWords, w) {
			extra = append(extra, risk.Word{Text: w, Category: risk.Other})
		}
	}
	rs.build = func() (*risk.Detector, error) { return risk.New(risk.Config{Words: extra}) }
	return rs
}

// RiskScannerFor wraps a detector built from configuration.
func RiskScannerFor(d *risk.Detector) *RiskScanner {
	rs := &RiskScanner{d: d}
	rs.once.Do(func() {})
	return rs
}

// LazyRiskScanner returns a scanner that builds its detector with build on
// first use.
func LazyRiskScanner(build func() (*risk.Detector, error)) *RiskScanner {
	return &RiskScanner{build: build}
}

// Detector is the detector behind rs (nil only if it could not be built).
func (rs *RiskScanner) Detector() *risk.Detector {
	rs.once.Do(func() {
		if d, err := rs.build(); err == nil {
			rs.d = d
		}
	})
	return rs.d
}

// Match reports what in text needs a supporter now: the phrase found (for
// a programme's word, the word as listed). A Gentle match (死にたくない)
// is not reported here: old callers can only raise urgent alerts; Check
// tells them apart.
func (rs *RiskScanner) Match(text string) (word string, ok bool) {
	d := rs.Detector()
	if d == nil {
		t := compact(text)
		for _, w := range rs.words {
			if strings.Contains(t, w.norm) {
				return w.word, true
			}
		}
		return "", false
	}
	m, ok := d.Check(text)
	if !ok || m.Gentle {
		return "", false
	}
	return matchedWord(m), true
}

// Check is the detector's full answer: category, rule, tokens, gentle.
func (rs *RiskScanner) Check(text string) (risk.Match, bool) {
	d := rs.Detector()
	if d == nil {
		if w, ok := rs.Match(text); ok {
			return risk.Match{Category: risk.Other, Rule: "word: " + w, Tokens: []string{w}, Phrase: w}, true
		}
		return risk.Match{}, false
	}
	return d.Check(text)
}

// matchedWord is what an alert quotes: the word as the programme listed
// it, or the phrase as the member typed it.
func matchedWord(m risk.Match) string {
	if strings.HasPrefix(m.Rule, "word: ") && len(m.Tokens) > 0 {
		return m.Tokens[0]
	}
	return m.Phrase
}

// compact is Normalize without spaces, so that "し に た い" still matches.
func compact(s string) string { return risk.Compact(s) }

// DefaultSafetyMessage is sent at once when a member's text matches a risk
// word, before any supporter has seen the alert. Plain words, both numbers
// free of charge; a supporter follows up.
// Per-category replies are risk.DefaultSafety.
const DefaultSafetyMessage = risk.ChildSafety

// DefaultGuardianSafetyMessage is DefaultSafetyMessage for guardians:
// adult lines, and 189 for a parent afraid of hurting their child.
const DefaultGuardianSafetyMessage = risk.GuardianSafety

// RiskReason is an alert's reason for a risk match, category first, so a
// supporter knows what they face before opening it.
func RiskReason(m risk.Match) string {
	w := matchedWord(m)
	switch {
	case m.Gentle:
		return m.Category.Label() + "（打ち消し・念のため確認を）: 「" + w + "」"
	case m.Category == risk.Other:
		return "気になることば「" + w + "」が書かれています"
	}
	return m.Category.Label() + "のおそれ: 「" + w + "」"
}
