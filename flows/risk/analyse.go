package risk

import (
	"slices"
	"strings"
	"sync"

	"github.com/ikawaha/kagome-dict/dict"
	"github.com/ikawaha/kagome-dict/ipa"
	"github.com/ikawaha/kagome/v2/tokenizer"
)

// The analyser and its dictionary (about 100 MB in memory) are loaded once
// per process, on first use, and shared by every Detector.
var (
	analyserOnce sync.Once
	analyser     *tokenizer.Tokenizer
	analyserErr  error
)

func loadAnalyser() (*tokenizer.Tokenizer, error) {
	analyserOnce.Do(func() {
		var ud *dict.UserDict
		if ud, analyserErr = userDict(); analyserErr != nil {
			return
		}
		analyser, analyserErr = tokenizer.New(ipa.Dict(), tokenizer.OmitBosEos(), tokenizer.UserDict(ud))
	})
	return analyser, analyserErr
}

// Warm loads the dictionary now rather than on the first message, so a
// service pays the cost at start-up.
func Warm() error {
	_, err := loadAnalyser()
	return err
}

// userWords are words the IPA dictionary does not know and children write
// in kana: without them ぱぱになぐられた reads as one unknown word. Each is
// a noun whose base form is itself.
var userWords = []string{
	"ぱぱ", "おかん", "おとん", "おとう", "おかあ", "おとうと", "おとうさん", "おかあさん", "おとうちゃん", "おかあちゃん",
	"にいちゃん", "ねえちゃん", "ねぇちゃん", "おにいちゃん", "おねえちゃん", "とうちゃん", "かあちゃん",
	"じいちゃん", "ばあちゃん", "おじいちゃん", "おばあちゃん", "りすか", "あむか",
}

func userDict() (*dict.UserDict, error) {
	recs := make(dict.UserDictRecords, len(userWords))
	for i, w := range userWords {
		recs[i] = dict.UserDicRecord{Text: w, Tokens: []string{w}, Yomi: []string{w}, Pos: "名詞-一般"}
	}
	return recs.NewUserDict()
}

// token is one morpheme as rules see it: base form and surface, both
// Normalize'd (so ママ and まま are one), and the part of speech.
type token struct {
	base, surface string
	pos1, pos2    string // part of speech (動詞) and its subclass (自立)
	text          string // the surface as typed (normalised), for Match
	// brk marks the end of a sentence (。！？ or a line break): gaps in
	// patterns do not reach across it.
	brk bool
}

// analyse splits text into tokens.
func analyse(tk *tokenizer.Tokenizer, text string) []token {
	return analyseInto(tk, text, nil)
}

// analyseInto is analyse appending to toks[:0], so a caller can reuse the
// slice.
func analyseInto(tk *tokenizer.Tokenizer, text string, toks []token) []token {
	raw := tk.Tokenize(text)
	toks = slices.Grow(toks[:0], len(raw))
	for _, t := range raw {
		if strings.TrimSpace(t.Surface) == "" {
			if strings.Contains(t.Surface, "\n") {
				toks = append(toks, token{brk: true})
			}
			continue
		}
		pos1, _ := t.FeatureAt(0)
		pos2, _ := t.FeatureAt(1)
		if isBreak(t.Surface, pos1, pos2) {
			toks = append(toks, token{brk: true})
			continue
		}
		tok := token{surface: kanaLower(t.Surface), pos1: pos1}
		tok.text = tok.surface
		if t.Class == tokenizer.USER {
			tok.base = tok.surface
			tok.pos1, tok.pos2, _ = strings.Cut(pos1, "-")
			toks = append(toks, tok)
			continue
		}
		if pos2 != "*" {
			tok.pos2 = pos2
		}
		if b, ok := t.FeatureAt(ipa.BaseForm); ok && b != "*" {
			tok.base = kanaLower(b)
		} else {
			tok.base = tok.surface
		}
		toks = append(toks, tok)
	}
	explain(toks)
	return toks
}

// explanatory are the words after ん that make it の (もう死にたいんよ,
// 帰りたいんじゃ), not a negation, though the analyser may read it as one.
var explanatory = map[string]bool{"よ": true, "だ": true, "じゃ": true, "です": true, "や": true, "けん": true, "けぇ": true, "か": true, "ね": true, "な": true, "よね": true, "で": true}

// explain rewrites an explanatory ん as の, so rules and negation checks
// do not read it as ない.
func explain(toks []token) {
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].base == "ん" && toks[i].pos1 == "助動詞" && explanatory[toks[i+1].surface] {
			toks[i].base, toks[i].surface, toks[i].pos1, toks[i].pos2 = "の", "の", "名詞", "非自立"
		}
	}
}

// isBreak reports whether a token ends a sentence.
func isBreak(surface, pos1, pos2 string) bool {
	if pos1 == "記号" && pos2 == "句点" {
		return true
	}
	switch surface {
	case "。", ".", "!", "?", "！", "？", "…", "...":
		return true
	}
	return false
}
