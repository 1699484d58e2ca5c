package flows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/tsunagu/tsunagu"
)

// answer is the engine's reading of an input: either an answer to record
// (ok) or why it did not fit, as the kind words to say before asking again.
type answer struct {
	ok           bool
	value, label string
	skipped      bool
	choice       *Choice
	why          string
	tooLong      bool // why says the text's limit: keep it over `retry_say`
}

// skipValue is the postback value of the skip button. No choice can have
// it: a choice's value defaults to its label, which is never empty.
const skipValue = ""

func reask(why string) answer { return answer{why: why} }

// read interprets in as an answer to step s of session sess.
func (f *Flow) read(sess *tsunagu.Session, s *Step, in Input) (answer, error) {
	lang := f.Lang(sess.Lang)
	w := f.wordingIn(lang)
	if in.Postback != "" {
		sid, stepID, value, ok := ParsePostback(in.Postback)
		if !ok || sid != sess.ID || stepID != s.ID {
			return answer{}, fmt.Errorf("session %s on step %q: %w", sess.ID, s.ID, ErrStaleAnswer)
		}
		if value == skipValue && s.Optional {
			return answer{ok: true, skipped: true, label: s.Skip}, nil
		}
		// A value no choice has means the flow changed under an old
		// button: ask again rather than fail.
		if c := s.choice(value); c != nil {
			return answer{ok: true, value: c.Value, label: c.Label, choice: c}, nil
		}
		return reask(w.pick(s.Choices, lang)), nil
	}
	if s.Optional && (isWord(in.Text, s.Skip) || isWord(in.Text, s.SkipIn.in(s.Skip, lang))) {
		return answer{ok: true, skipped: true, label: s.Skip}, nil
	}
	switch s.Kind() {
	case KindNumber:
		return readNumber(s.Number, in.Text, w), nil
	case KindText:
		return readText(s.Text, in.Text, w), nil
	default:
		return readChoice(s, in.Text, w, lang), nil
	}
}

// isWord reports whether typed is word, as a member might type it.
func isWord(typed, word string) bool {
	return trimPunct(Normalize(typed)) == trimPunct(Normalize(word))
}

// readChoice matches typed text with a choice's label or value, so that a
// member who types "ふつう", "フツウ" or "ﾌﾂｳ!" instead of tapping is heard.
// A typed word that is part of exactly one label (食べてない for
// あまり食べてない, はい for はい、はじめる) picks that choice; one that is
// part of several is asked again with the buttons it could mean.
func readChoice(s *Step, text string, w *wording, lang string) answer {
	typed := trimPunct(Normalize(text))
	if typed == "" {
		return reask(w.pick(s.Choices, lang))
	}
	for i, c := range s.Choices {
		if typed == trimPunct(Normalize(c.Label)) || typed == trimPunct(Normalize(c.Value)) || typed == trimPunct(Normalize(c.LabelIn(lang))) {
			return chose(&s.Choices[i])
		}
		for _, alias := range c.aliases {
			if typed == trimPunct(Normalize(alias)) {
				return chose(&s.Choices[i])
			}
		}
	}
	if s.Scale != nil {
		// "3点", "3です", "三": a number on the scale typed with a word after it.
		if m := numberAnswer.FindStringSubmatch(arabic(typed)); m != nil {
			if c := s.choice(m[1]); c != nil {
				return chose(c)
			}
		}
		return reask(w.scale(s.Scale))
	}
	switch part := partOf(s.Choices, typed, lang); len(part) {
	case 1:
		return chose(part[0])
	case 0:
		return reask(w.pick(s.Choices, lang))
	default:
		return reask(w.which(part, lang))
	}
}

// bare is Normalize without spaces and punctuation, so that はいはじめる
// is part of はい、はじめる.
func bare(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			return -1
		}
		return r
	}, Normalize(s))
}

func chose(c *Choice) answer {
	return answer{ok: true, value: c.Value, label: c.Label, choice: c}
}

// minPart is the fewest characters a typed word must have to be read as
// part of a label: one letter (い) is part of too many words to mean one.
const minPart = 2

// partOf lists the choices whose label (in lang) holds the typed word.
func partOf(choices []Choice, typed, lang string) []*Choice {
	if utf8.RuneCountInString(typed) < minPart {
		return nil
	}
	var part []*Choice
	for i, c := range choices {
		if strings.Contains(bare(c.LabelIn(lang)), bare(typed)) {
			part = append(part, &choices[i])
		}
	}
	return part
}

// trimPunct drops the marks people add at the end of a short answer.
func trimPunct(s string) string {
	return strings.TrimSpace(strings.TrimRight(s, "!?.,。、~〜…・ "))
}

// numberAnswer is a number, optionally followed by a few words without
// digits: "5", "５", "5点", "5です", "7くらい". "3か4" is not one number.
var numberAnswer = regexp.MustCompile(`^([+-]?[0-9]+(?:\.[0-9]+)?)[^0-9]{0,10}$`)

func readNumber(spec *NumberSpec, text string, w *wording) answer {
	m := numberAnswer.FindStringSubmatch(arabic(strings.TrimSpace(norm.NFKC.String(text))))
	if m == nil {
		return reask(w.number(spec))
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil ||
		(spec.Integer && v != float64(int64(v))) ||
		(spec.Min != nil && v < *spec.Min) ||
		(spec.Max != nil && v > *spec.Max) {
		return reask(w.number(spec))
	}
	return answer{ok: true, value: strconv.FormatFloat(v, 'f', -1, 64)}
}

func readText(spec *TextSpec, text string, w *wording) answer {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return reask(w.text)
	case utf8.RuneCountInString(text) > spec.MaxLength:
		return answer{why: fmt.Sprintf(w.tooLong, spec.MaxLength), tooLong: true}
	}
	return answer{ok: true, value: text}
}

// kanjiDigits are the kanji a number is written with, and their values;
// 十, 百 and 千 multiply.
var kanjiDigits = map[rune]int{
	'〇': 0, '零': 0, '一': 1, '二': 2, '三': 3, '四': 4, '五': 5,
	'六': 6, '七': 7, '八': 8, '九': 9, '十': 10, '百': 100, '千': 1000,
}

// arabic rewrites a number written in kanji at the start of s (七, 十二,
// 二十五点) in digits, so that it reads like 7, 12 and 25点. Anything else
// is returned unchanged.
func arabic(s string) string {
	total, cur, n := 0, 0, 0
	for _, r := range s {
		d, ok := kanjiDigits[r]
		if !ok {
			break
		}
		n += utf8.RuneLen(r)
		switch {
		case d >= 10:
			total += max(cur, 1) * d
			cur = 0
		default:
			cur = cur*10 + d
		}
	}
	if n == 0 {
		return s
	}
	return strconv.Itoa(total+cur) + s[n:]
}
