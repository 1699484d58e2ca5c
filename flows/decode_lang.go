package flows

import (
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// languages reads `languages:` into sf and the reporter: the languages the
// flow speaks, its default first; absent, the default language only.
func (d decoder) languages(sf *srcFlow, m mapping) {
	d.langs = []string{DefaultLanguage}
	f, ok := m.get("languages")
	if !ok {
		return
	}
	sf.languages = d.strs(f, hint("言語のコードを1つずつ書きます（例: `[ja, en, pt]`）。", "List language codes (e.g. `[ja, en, pt]`)."))
	var langs []string
	for _, l := range sf.languages {
		switch {
		case !ValidLanguage(l.s):
			d.errorf(l.at, hint("言語は `ja`（日本語）・`en`（英語）・`pt`（ポルトガル語）・`vi`・`zh`・`tl`・`ne` のような小文字のコードで書きます。",
				"Write a language as a lowercase code such as `ja`, `en`, `pt`, `vi`, `zh`, `tl` or `ne`."),
				"languages: %q is not a language code", l.s)
		case slices.Contains(langs, l.s):
			d.errorf(l.at, hint("同じ言語が2回書かれています。", "The same language is listed twice."), "languages: %q is listed twice", l.s)
		default:
			langs = append(langs, l.s)
		}
	}
	if len(langs) > 0 {
		d.langs = langs
	}
}

// ltext reads a family-facing text at key: a text in the flow's default
// language, or a mapping by language (`{ja: …, en: …}`) that must have
// every language the flow declares.
func (d decoder) ltext(m mapping, ks keySet, key string, required bool) str {
	f, ok := m.fields[key]
	if !ok || !isMappingNode(f.value) {
		s := d.str(m, ks, key, required)
		d.lacks(s, key)
		return s
	}
	by := d.byLanguage(f, ks.name)
	s := str{at: posOf(f.value), node: f.value, set: true, tr: map[string]str{}}
	for lang, t := range by {
		if t.s == "" && required {
			d.errorf(t.at, requiredHints[ks.name+"."+key], "%s: empty `%s` in %s", ks.name, key, lang)
		}
		if lang == d.langs[0] {
			s.s, s.at, s.node = t.s, t.at, t.node
		} else {
			s.tr[lang] = t
		}
	}
	return s
}

// say reads `say:`: a text or a list of texts in the default language, or
// a mapping by language of either.
func (d decoder) say(f field) ([]str, map[string][]str) {
	each := hint("`say:` の各行には文を1つ書きます。", "Each item of `say:` is one text.")
	if !isMappingNode(f.value) {
		say := d.strs(f, each)
		if len(say) > 0 {
			d.lacks(say[0], "say")
		}
		return say, nil
	}
	var def []str
	tr := map[string][]str{}
	for _, lf := range d.languageFields(f, "step") {
		texts := d.strs(lf, each)
		if len(texts) == 0 {
			d.errorf(lf.keyPos, requiredHints["step.say"], "step: empty `say` in %s", lf.key)
		}
		if lf.key == d.langs[0] {
			def = texts
		} else {
			tr[lf.key] = texts
		}
	}
	return def, tr
}

// byLanguage reads the mapping at f as one text per language.
func (d decoder) byLanguage(f field, set string) map[string]str {
	out := map[string]str{}
	for _, lf := range d.languageFields(f, set) {
		s, ok := scalarText(lf.value)
		if !ok {
			d.errorf(posOf(lf.value), hint("言語ごとに文を1つ書きます（例: `%s: {ja: こんにちは, en: Hello}`）。", "Write one text per language (e.g. `%s: {ja: こんにちは, en: Hello}`).", f.key),
				"%s: `%s` in %s must be text, found %s", set, f.key, lf.key, kindName(lf.value))
			continue
		}
		out[lf.key] = str{s: strings.TrimSpace(s), at: posOf(lf.value), node: lf.value, set: true}
	}
	return out
}

// languageFields are the entries of the mapping at f, each a language the
// flow declares; a language it lacks is reported at the mapping.
func (d decoder) languageFields(f field, set string) []field {
	mn := unwrap(f.value).(*ast.MappingNode)
	var out []field
	have := map[string]bool{}
	for _, mv := range mn.Values {
		lang, _ := scalarText(mv.Key)
		if !slices.Contains(d.langs, lang) {
			h := hint("このフローの言語は `languages: [%s]` です。言語を足すなら `languages:` にも書いてください。",
				"This flow speaks `languages: [%s]`: to add a language, list it under `languages:` too.", strings.Join(d.langs, ", "))
			switch s := closest(lang, d.langs); {
			case !ValidLanguage(lang):
				h = hint("`{…}` の中の `,` は区切りなので、文に `,` があるときは \"…\" で囲んでください（例: `en: \"Yes, please\"`）。",
					"In `{…}` a comma separates entries: quote a text that has one (e.g. `en: \"Yes, please\"`).").and(h)
			case s != "":
				h = hint("もしかして `%s` ですか？", "Did you mean `%s`?", s).and(h)
			}
			d.errorf(posOf(mv.Key), h, "%s: `%s` in language %q, which `languages:` does not list", set, f.key, lang)
			continue
		}
		have[lang] = true
		out = append(out, field{key: lang, keyPos: posOf(mv.Key), value: mv.Value})
	}
	for _, lang := range d.langs {
		if !have[lang] {
			d.missingLanguage(posOf(f.value), f.key, lang)
		}
	}
	return out
}

// lacks reports a text written in one language in a flow that speaks
// several: the members who read the others would get the default.
func (d decoder) lacks(s str, key string) {
	if !s.set || s.s == "" || len(d.langs) < 2 {
		return
	}
	for _, lang := range d.langs[1:] {
		d.missingLanguage(s.at, key, lang)
	}
}

func (d decoder) missingLanguage(at pos, key, lang string) {
	d.errorf(at, hint("このフローは `languages: [%[1]s]` なので、家庭に見せる文はどれも言語ごとに書きます（例: `%[2]s: {%[3]s}`）。",
		"This flow speaks `languages: [%[1]s]`, so every text families see is written in each (e.g. `%[2]s: {%[3]s}`).",
		strings.Join(d.langs, ", "), key, example(d.langs)),
		"`%s` has no %s text", key, lang)
}

func example(langs []string) string {
	parts := make([]string, len(langs))
	for i, l := range langs {
		parts[i] = l + ": …"
	}
	return strings.Join(parts, ", ")
}

func isMappingNode(n ast.Node) bool {
	_, ok := unwrap(n).(*ast.MappingNode)
	return ok
}
