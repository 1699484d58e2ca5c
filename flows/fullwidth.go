package flows

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// The full-width colon and the ideographic space are what a Japanese
// keyboard types by default, and the commonest reason a flow file is not
// YAML: `say：` is no key, and `　say:` is no indentation. The parser's
// own message for them says nothing a coordinator can act on, so they are
// looked for first, on every line outside a block text (`|` or `>`).
var (
	// fullColon is a key followed by a full-width colon: `say：`, `- id：`.
	fullColon = regexp.MustCompile(`^(\s*(?:-\s+)*[A-Za-z_][A-Za-z0-9_-]*\s*)：`)
	// spaceAfter is an ideographic space where YAML needs a space: after
	// `key:` or a list's `-`.
	spaceAfter = regexp.MustCompile(`^(\s*(?:-\s+)*(?:[A-Za-z_][A-Za-z0-9_-]*:|-))　`)
	// spaceIndent is an ideographic space in a line's indentation.
	spaceIndent = regexp.MustCompile(`^( *)　`)
	// blockStart is a line that opens a block text: its more indented
	// lines that follow are text, where both characters are fine.
	blockStart = regexp.MustCompile(`(?:^|[:\-]\s)[|>][-+0-9]*\s*(?:#.*)?$`)
)

// checkFullWidth reports every full-width colon or ideographic space in
// a place where YAML needs ASCII, with the fix. It returns false when it
// found any: the file is then not parsed, since the parser would only add
// a vaguer message about the first one.
func (r *reporter) checkFullWidth(src []byte) bool {
	ok := true
	block := -1 // the indentation of the line that opened a block text
	for i, line := range strings.Split(string(src), "\n") {
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if block >= 0 {
			if strings.TrimSpace(line) == "" || indent > block {
				continue
			}
			block = -1
		}
		if blockStart.MatchString(line) {
			block = indent
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		at := func(prefix string) pos { return pos{i + 1, 1 + utf8.RuneCountInString(prefix)} }
		switch {
		case fullColon.MatchString(line):
			m := fullColon.FindStringSubmatch(line)
			key := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(m[1]), "- "))
			r.errorf(at(m[1]), hint("`%[1]s` の後の `：` が全角です。半角の `:` にして、後ろに半角スペースを1つ入れてください（`%[1]s: …`）。日本語入力をオフにして打つと半角になります。",
				"The colon after `%[1]s` is full-width `：`: type an ASCII `:` followed by a space (`%[1]s: …`), with the Japanese input off.", key),
				"full-width colon `：` after key %q; YAML needs `:`", key)
			ok = false
		case spaceIndent.MatchString(line):
			m := spaceIndent.FindStringSubmatch(line)
			r.errorf(at(m[1]), hint("行の始めの字下げに全角スペース `　` があります。半角スペースにしてください（日本語入力をオフにして打ちます）。",
				"The indentation holds an ideographic (full-width) space `　`: indent with ASCII spaces, with the Japanese input off."),
				"ideographic space `　` in the indentation; YAML needs ASCII spaces")
			ok = false
		case spaceAfter.MatchString(line):
			m := spaceAfter.FindStringSubmatch(line)
			r.errorf(at(m[1]), hint("`%s` の後のスペースが全角 `　` です。半角スペースにしてください。",
				"The space after `%s` is an ideographic (full-width) space `　`: use an ASCII space.", strings.TrimSpace(m[1])),
				"ideographic space `　` after %q; YAML needs an ASCII space", strings.TrimSpace(m[1]))
			ok = false
		}
	}
	return ok
}
