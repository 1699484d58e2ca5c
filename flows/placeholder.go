package flows

import (
	"cmp"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tsunagu/tsunagu"
)

// Texts the member sees may quote an earlier answer: `{{answers.mood}}` is
// the label of the choice picked at step mood (the number or the text for
// other kinds), and nothing when the step was skipped or not answered. It
// is the only placeholder there is: family codes, tags and roles have none,
// so that no flow can show them to a family.

// placeholderPattern finds `{{ ... }}`; group 1 is what is inside.
var placeholderPattern = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

// answerPlaceholder is the one allowed content: answers.<step id>.
var answerPlaceholder = regexp.MustCompile(`^\s*answers\.([a-z][a-z0-9_]*)\s*$`)

// render fills the placeholders of text from the answers of s, and keeps
// the result within LINE's limit on a message.
func render(text string, s *tsunagu.Session) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	out := placeholderPattern.ReplaceAllStringFunc(text, func(ph string) string {
		m := answerPlaceholder.FindStringSubmatch(ph[2 : len(ph)-2])
		if m == nil {
			return ph // refused when the flow loads; never here
		}
		a, ok := s.Answers[m[1]]
		if !ok || a.Skipped {
			return ""
		}
		return cmp.Or(a.Label, a.Value)
	})
	return clip(out, MaxMessageLen)
}

// render is the package-level render in the session's language: a quoted
// choice shows its label in the language the session speaks.
func (f *Flow) render(text string, s *tsunagu.Session) string {
	lang := f.Lang(s.Lang)
	if lang == f.Lang("") || !strings.Contains(text, "{{") {
		return render(text, s)
	}
	in := *s
	in.Answers = make(map[string]tsunagu.Answer, len(s.Answers))
	for id, a := range s.Answers {
		if st := f.Step(id); st != nil && !a.Skipped {
			if c := st.choice(a.Value); c != nil {
				a.Label = c.LabelIn(lang)
			}
		}
		in.Answers[id] = a
	}
	return render(text, &in)
}

// clip cuts s to at most limit UTF-16 units, at a character boundary, in
// one pass (cutting one character at a time and measuring again was
// quadratic: 57 s for 40 quotes of a 5,000-character answer).
func clip(s string, limit int) string {
	n := 0
	for i, r := range s {
		if n += utf16.RuneLen(r); n > limit {
			return s[:i]
		}
	}
	return s
}

// placeholder is one `{{...}}` in a text of the flow file.
type placeholder struct {
	content string
	stepID  string // the step of answers.<step id>; "" when the content is not that
	offset  int    // rune offset of `{{` in the text
}

// placeholders lists the placeholders of text, and the rune offset of a
// `{{` left unclosed (-1 when there is none).
func placeholders(text string) (phs []placeholder, unclosed int) {
	locs := placeholderPattern.FindAllStringSubmatchIndex(text, -1)
	for _, loc := range locs {
		ph := placeholder{content: strings.TrimSpace(text[loc[2]:loc[3]]), offset: utf8.RuneCountInString(text[:loc[0]])}
		if m := answerPlaceholder.FindStringSubmatch(text[loc[2]:loc[3]]); m != nil {
			ph.stepID = m[1]
		}
		phs = append(phs, ph)
	}
	for i := 0; i+1 < len(text); i++ {
		if text[i] != '{' || text[i+1] != '{' {
			continue
		}
		inside := false
		for _, loc := range locs {
			inside = inside || (i >= loc[0] && i < loc[1])
		}
		if !inside {
			return phs, utf8.RuneCountInString(text[:i])
		}
	}
	return phs, -1
}
