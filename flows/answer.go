package flows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
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
		return reask(f.wording().choice), nil
	}
	if s.Optional && trimPunct(Normalize(in.Text)) == trimPunct(Normalize(s.Skip)) {
		return answer{ok: true, skipped: true, label: s.Skip}, nil
	}
	switch s.Kind() {
	case KindNumber:
		return readNumber(s.Number, in.Text, f.wording()), nil
	case KindText:
		return readText(s.Text, in.Text, f.wording()), nil
	default:
		return readChoice(s, in.Text, f.wording()), nil
	}
}

// readChoice matches typed text with a choice's label or value, so that a
// member who types "ふつう", "フツウ" or "ﾌﾂｳ!" instead of tapping is heard.
func readChoice(s *Step, text string, w *wording) answer {
	typed := trimPunct(Normalize(text))
	if typed == "" {
		return reask(w.choice)
	}
	for i, c := range s.Choices {
		if typed == trimPunct(Normalize(c.Label)) || typed == trimPunct(Normalize(c.Value)) {
			return answer{ok: true, value: c.Value, label: c.Label, choice: &s.Choices[i]}
		}
		for _, alias := range c.aliases {
			if typed == trimPunct(Normalize(alias)) {
				return answer{ok: true, value: c.Value, label: c.Label, choice: &s.Choices[i]}
			}
		}
	}
	if s.Scale != nil {
		// "3点", "3です": a number on the scale typed with a word after it.
		if m := numberAnswer.FindStringSubmatch(typed); m != nil {
			if c := s.choice(m[1]); c != nil {
				return answer{ok: true, value: c.Value, label: c.Label, choice: c}
			}
		}
		return reask(w.scale(s.Scale))
	}
	return reask(w.choice)
}

// trimPunct drops the marks people add at the end of a short answer.
func trimPunct(s string) string {
	return strings.TrimSpace(strings.TrimRight(s, "!?.,。、~〜…・ "))
}

// numberAnswer is a number, optionally followed by a few words without
// digits: "5", "５", "5点", "5です", "7くらい". "3か4" is not one number.
var numberAnswer = regexp.MustCompile(`^([+-]?[0-9]+(?:\.[0-9]+)?)[^0-9]{0,10}$`)

func readNumber(spec *NumberSpec, text string, w *wording) answer {
	m := numberAnswer.FindStringSubmatch(strings.TrimSpace(norm.NFKC.String(text)))
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
