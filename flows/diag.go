package flows

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severities of a Diagnostic.
const (
	SevError   = "error"
	SevWarning = "warning"
)

// Diagnostic is one finding about a flow file, pointing at the line and
// column of the offending YAML node. Message says what is wrong; Hint says
// how to fix it, in the coordinator's language.
type Diagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"` // SevError or SevWarning
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
}

// String formats d as "file:line:col: message", with a second, indented
// hint line when there is a hint. Warnings say so; errors need not. A
// problem with a whole file (Line 0) is "file: message".
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Line > 0 {
		fmt.Fprintf(&b, "%s:%d:%d: ", d.File, d.Line, d.Col)
	} else {
		fmt.Fprintf(&b, "%s: ", d.File)
	}
	if d.Severity == SevWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Message)
	if d.Hint != "" {
		b.WriteString("\n    hint: ")
		b.WriteString(d.Hint)
	}
	return b.String()
}

// Diagnostics is every finding of a load, in file and position order.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error (not a warning).
func (ds Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == SevError })
}

// String formats every diagnostic, one per line (hints on their own line).
func (ds Diagnostics) String() string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func (ds Diagnostics) sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// Options tune loading.
type Options struct {
	// Lang picks the language of hints: "en" (or "en-…") for English,
	// anything else for Japanese. Messages and key names stay English so
	// that they match the YAML and can be searched for.
	Lang string
}

func (o Options) english() bool {
	return strings.HasPrefix(strings.ToLower(o.Lang), "en")
}

// pos is a place in a file, 1-based.
type pos struct{ line, col int }

// reporter collects the diagnostics of one file.
type reporter struct {
	file string
	en   bool
	ds   Diagnostics
	// langs are the languages the flow declares, its default first; set
	// before any text is decoded.
	langs []string
}

// errorf records an error at p with a hint built by hint().
func (r *reporter) errorf(p pos, hint l10n, format string, args ...any) {
	r.add(SevError, p, hint, fmt.Sprintf(format, args...))
}

func (r *reporter) warnf(p pos, hint l10n, format string, args ...any) {
	r.add(SevWarning, p, hint, fmt.Sprintf(format, args...))
}

func (r *reporter) add(sev string, p pos, hint l10n, msg string) {
	r.ds = append(r.ds, Diagnostic{
		File:     r.file,
		Line:     p.line,
		Col:      p.col,
		Severity: sev,
		Message:  msg,
		Hint:     hint.in(r.en),
	})
}

// l10n is a hint in Japanese and English. Build it with hint().
type l10n struct{ ja, en string }

// hint formats the same arguments into a Japanese and an English text.
func hint(ja, en string, args ...any) l10n {
	return l10n{ja: fmt.Sprintf(ja, args...), en: fmt.Sprintf(en, args...)}
}

func (h l10n) in(en bool) string {
	if en {
		return h.en
	}
	return h.ja
}

// and joins two hints with a space, for a fix plus a suggestion.
func (h l10n) and(more l10n) l10n {
	if more.ja == "" {
		return h
	}
	return l10n{ja: h.ja + more.ja, en: h.en + " " + more.en}
}
