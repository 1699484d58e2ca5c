package risk

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// None labels an everyday message in a labelled file.
const None = "none"

// Example is one line of a labelled file: "category<TAB>text", with "none"
// for an everyday message. Blank lines and lines starting with # are
// skipped.
type Example struct {
	Source string // the file, for reports; set by the caller
	Line   int
	Label  string // a Category id or None
	Text   string
}

// ReadLabelled reads a labelled file. A line without a tab or with an
// unknown label is an error naming the line.
func ReadLabelled(r io.Reader) ([]Example, error) {
	var ex []Example
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		label, text, ok := strings.Cut(line, "\t")
		if !ok || strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("line %d: want category<TAB>text", n)
		}
		label = strings.TrimSpace(label)
		if label != None {
			c, ok := ParseCategory(label)
			if !ok {
				return nil, fmt.Errorf("line %d: unknown category %q (use none or one of %s)", n, label, categoryList())
			}
			label = string(c)
		}
		ex = append(ex, Example{Line: n, Label: label, Text: text})
	}
	return ex, sc.Err()
}

// Result is one example and what the detector said.
type Result struct {
	Example
	Match   Match
	Matched bool
}

// Report is recall per category and false alarms on everyday messages.
//
// A risk message counts as caught when it matches and the match is not
// Gentle (a gentle match raises only a warning); an everyday message
// counts as a false alarm on any match, Gentle or not. Whether the
// category was also right is reported, not required: a caught message
// raises an alert either way.
type Report struct {
	PerCategory map[Category]*Tally
	Risk        Tally // all risk messages
	Everyday    int
	FalseAlarms []Result
	Misses      []Result
}

// Tally counts one category's messages.
type Tally struct {
	Total, Caught, RightCategory int
}

// Recall is Caught/Total (1 when there are none).
func (t Tally) Recall() float64 {
	if t.Total == 0 {
		return 1
	}
	return float64(t.Caught) / float64(t.Total)
}

// Evaluate runs d over ex.
func Evaluate(d *Detector, ex []Example) *Report {
	r := &Report{PerCategory: map[Category]*Tally{}}
	for _, e := range ex {
		m, ok := d.Check(e.Text)
		res := Result{Example: e, Match: m, Matched: ok}
		if e.Label == None {
			r.Everyday++
			if ok {
				r.FalseAlarms = append(r.FalseAlarms, res)
			}
			continue
		}
		c := Category(e.Label)
		t := r.PerCategory[c]
		if t == nil {
			t = &Tally{}
			r.PerCategory[c] = t
		}
		t.Total++
		r.Risk.Total++
		if ok && !m.Gentle {
			t.Caught++
			r.Risk.Caught++
			if m.Category == c {
				t.RightCategory++
				r.Risk.RightCategory++
			}
		} else {
			r.Misses = append(r.Misses, res)
		}
	}
	return r
}

// FalseAlarmRate is false alarms over everyday messages (0 when none).
func (r *Report) FalseAlarmRate() float64 {
	if r.Everyday == 0 {
		return 0
	}
	return float64(len(r.FalseAlarms)) / float64(r.Everyday)
}

// Thresholds are the least recall and the most false alarms accepted.
type Thresholds struct {
	Overall, PerCategory, FalseAlarms float64
}

// Check returns an error naming every threshold r does not meet.
func (r *Report) Check(th Thresholds) error {
	var probs []string
	if r.Risk.Total > 0 && r.Risk.Recall() < th.Overall {
		probs = append(probs, fmt.Sprintf("overall recall %.1f%% < %.0f%%", 100*r.Risk.Recall(), 100*th.Overall))
	}
	for _, c := range Categories {
		if t := r.PerCategory[c]; t != nil && t.Recall() < th.PerCategory {
			probs = append(probs, fmt.Sprintf("%s recall %.1f%% < %.0f%%", c, 100*t.Recall(), 100*th.PerCategory))
		}
	}
	if r.Everyday > 0 && r.FalseAlarmRate() > th.FalseAlarms {
		probs = append(probs, fmt.Sprintf("false alarms %.1f%% > %.0f%%", 100*r.FalseAlarmRate(), 100*th.FalseAlarms))
	}
	if len(probs) > 0 {
		return fmt.Errorf("%s", strings.Join(probs, "; "))
	}
	return nil
}

// Table is the report as a Markdown table.
func (r *Report) Table() string {
	var b strings.Builder
	b.WriteString("| category | カテゴリ | messages | caught | recall | right category |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|\n")
	for _, c := range Categories {
		t := r.PerCategory[c]
		if t == nil {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %.1f%% | %d |\n", c, c.Label(), t.Total, t.Caught, 100*t.Recall(), t.RightCategory)
	}
	if r.Risk.Total > 0 {
		fmt.Fprintf(&b, "| **all risk** | **全体** | %d | %d | **%.1f%%** | %d |\n", r.Risk.Total, r.Risk.Caught, 100*r.Risk.Recall(), r.Risk.RightCategory)
	}
	if r.Everyday > 0 {
		fmt.Fprintf(&b, "| everyday (none) | 日常 | %d | %d false alarms | **%.1f%%** false alarms | |\n", r.Everyday, len(r.FalseAlarms), 100*r.FalseAlarmRate())
	}
	return b.String()
}
