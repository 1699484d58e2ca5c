package tsunagu

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

var (
	familyCodeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,31}$`)
	slackUserRE  = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	tagRE        = regexp.MustCompile(`^[^\s,;]{1,64}$`)
)

// ValidFamilyCode reports whether code can be a family code: capital
// letters, digits and '-', such as F-0001. Names cannot pass, by design.
func ValidFamilyCode(code string) bool { return familyCodeRE.MatchString(code) }

// RosterError lists every problem found in a roster file, one per line as
// "file:line: reason".
type RosterError struct{ Problems []string }

func (e *RosterError) Error() string { return strings.Join(e.Problems, "\n") }

// ParseRoster reads a roster CSV with the header code,tags,supporter (in any
// order; only code is required). It returns every problem at once, each
// named by file and line, and no families when there is any.
func ParseRoster(name string, r io.Reader) ([]Family, error) {
	ro, err := ReadRoster(name, r)
	if err != nil {
		return nil, err
	}
	return ro.Families, nil
}

// Roster is a parsed roster file.
type Roster struct {
	Families []Family
	// HasTags and HasSupporter say the file has the column: an import
	// leaves the field alone when it does not.
	HasTags, HasSupporter bool
}

// ReadRoster is ParseRoster, also saying which columns the file has.
func ReadRoster(name string, r io.Reader) (*Roster, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var problems []string
	bad := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &RosterError{[]string{name + ":1: the file is empty; the first line must be the header code,tags,supporter"}}
	}
	if err != nil {
		return nil, &RosterError{[]string{fmt.Sprintf("%s: %v", name, err)}}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) // Excel writes a BOM
		switch h {
		case "code", "tags", "supporter":
			if _, dup := col[h]; dup {
				bad(1, "column %q appears twice", h)
			}
			col[h] = i
		default:
			bad(1, "unknown column %q: the header is code,tags,supporter (names and other personal data do not belong in the roster)", h)
		}
	}
	if _, ok := col["code"]; !ok {
		bad(1, "the header has no code column: it must be code,tags,supporter")
	}
	if len(problems) > 0 {
		return nil, &RosterError{problems}
	}

	field := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var fams []Family
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(pe.StartLine, "%v", pe.Err)
				continue
			}
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) > len(header) {
			bad(line, "%d fields but the header has %d (tags are separated by ';', not ',')", len(rec), len(header))
			continue
		}
		f := Family{Code: field(rec, "code"), Supporter: field(rec, "supporter")}
		switch {
		case f.Code == "":
			bad(line, "code is empty")
		case !ValidFamilyCode(f.Code):
			bad(line, "code %q: use capital letters, digits and '-' only, such as F-0001", f.Code)
		case !strings.ContainsAny(f.Code, "0123456789"):
			bad(line, "code %q has no digit: a family code is like F-0001, so that a name cannot slip in", f.Code)
		case seen[f.Code] > 0:
			bad(line, "code %s already appears on line %d", f.Code, seen[f.Code])
		}
		seen[f.Code] = line
		for _, t := range strings.Split(field(rec, "tags"), ";") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if !tagRE.MatchString(t) {
				bad(line, "tag %q: a tag has no spaces and at most 64 characters", t)
				continue
			}
			if !slices.Contains(f.Tags, t) {
				f.Tags = append(f.Tags, t)
			}
		}
		if f.Supporter != "" && !slackUserRE.MatchString(f.Supporter) {
			bad(line, "supporter %q: give a Slack user id such as U012AB3CD (Profile → ⋮ → Copy member ID), or leave it empty", f.Supporter)
		}
		fams = append(fams, f)
	}
	if len(problems) > 0 {
		return nil, &RosterError{problems}
	}
	_, hasTags := col["tags"]
	_, hasSupporter := col["supporter"]
	return &Roster{Families: fams, HasTags: hasTags, HasSupporter: hasSupporter}, nil
}

// DecodeRoster returns a roster file's text as UTF-8. Japanese Excel saves
// CSV as Shift_JIS (CP932): such a file is converted, and the encoding
// named ("Shift_JIS"; "" for UTF-8). A file that is neither, or that holds
// replacement characters (already mojibake), is refused, with how to save
// it as UTF-8, rather than imported as garbage.
func DecodeRoster(name string, b []byte) (text, encoding string, err error) {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	howTo := "save it from Excel as 「CSV UTF-8 (コンマ区切り)」 (File → Save As → CSV UTF-8) and import that file"
	if utf8.Valid(b) {
		if bytes.ContainsRune(b, utf8.RuneError) {
			return "", "", &RosterError{[]string{name + ": the file holds broken characters (�): it was converted with the wrong encoding before; " + howTo}}
		}
		return string(b), "", nil
	}
	dec, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	if err != nil || bytes.ContainsRune(dec, utf8.RuneError) || !utf8.Valid(dec) {
		return "", "", &RosterError{[]string{name + ": the file is neither UTF-8 nor Shift_JIS (CP932); " + howTo}}
	}
	return string(dec), "Shift_JIS", nil
}
