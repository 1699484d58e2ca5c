package flows

import (
	"regexp"
	"slices"

	"github.com/tsunagu/tsunagu"
)

// Languages. A flow declares the languages it speaks (`languages: [ja, en,
// pt]`); the first is its default, in which every plain text is written.
// A family-facing text (say, choice labels, done, reminders, retry_say,
// skip_label, scale and yes/no labels) may instead be a map by language.
// Values, step ids, conditions and alert notes have one language: the
// programme's, which supporters read. A session speaks the language of its
// member, fixed when it starts, or the flow's default when the flow does
// not speak it.

// DefaultLanguage is the language of a flow that declares none.
const DefaultLanguage = "ja"

// langPattern is a language code as written in `languages:`: ISO 639-1 or
// -3, optionally with a region or script (pt-BR, zh-Hant).
var langPattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z]{2,4})?$`)

// ValidLanguage reports whether code is written like a language code.
func ValidLanguage(code string) bool { return langPattern.MatchString(code) }

// Localized is a text in the languages other than the flow's default, by
// language code.
type Localized map[string]string

// in is def in the default language, or its text in lang when it has one.
func (l Localized) in(def, lang string) string {
	if v, ok := l[lang]; ok && v != "" {
		return v
	}
	return def
}

// Speaks reports whether the flow has its texts in lang.
func (f *Flow) Speaks(lang string) bool { return slices.Contains(f.Languages, lang) }

// Lang is the language the flow speaks to a member who reads want: want
// when the flow speaks it, else the flow's default.
func (f *Flow) Lang(want string) string {
	if f.Speaks(want) {
		return want
	}
	if len(f.Languages) == 0 {
		return DefaultLanguage
	}
	return f.Languages[0]
}

// sayIn is the step's `say` in lang.
func (s *Step) sayIn(lang string) []string {
	if t, ok := s.SayIn[lang]; ok && len(t) > 0 {
		return t
	}
	return s.Say
}

// questionIn is the last text of the step's `say` in lang.
func (s *Step) questionIn(lang string) string {
	say := s.sayIn(lang)
	if len(say) == 0 {
		return ""
	}
	return say[len(say)-1]
}

// LabelIn is the choice's button in lang.
func (c *Choice) LabelIn(lang string) string { return c.Labels.in(c.Label, lang) }

// LanguageStep is the id of a step whose answer, a language code, becomes
// the member's language when the session completes: a flow started by a
// keyword (言語, language, idioma) or at sign-up lets members choose.
const LanguageStep = "language"

// languageChosen is m with the language picked at the LanguageStep of a
// completed session s of flow, when there is one and it differs.
func languageChosen(flow *Flow, s *tsunagu.Session, m *tsunagu.Member) (tsunagu.Member, bool) {
	a, ok := s.Answers[LanguageStep]
	if !ok || a.Skipped || m == nil || s.Status != tsunagu.SessionCompleted || !ValidLanguage(a.Value) || a.Value == m.Lang {
		return tsunagu.Member{}, false
	}
	changed := *m
	changed.Lang = a.Value
	return changed, true
}

// memberLang is the language m reads, "" before enrolment.
func memberLang(m *tsunagu.Member) string {
	if m == nil {
		return ""
	}
	return m.Lang
}
