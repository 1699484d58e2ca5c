package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/flows/risk"
)

const riskUsage = `usage:
  tsunagu risk check [--json] [--flow FILE|ID] "TEXT" ...   does a message match the risk rules, and why
  tsunagu risk check [--json] [--flow FILE|ID] --file F     one message per line
  tsunagu risk test [--json] FILE...                        recall and false alarms on a labelled file
                                                            (category<TAB>text per line; "none" for everyday)
exit: 0 nothing matched / thresholds met, 1 a message matched / below thresholds, 2 bad usage
`

func (e *env) risk(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, riskUsage)
		return exitUsage
	}
	switch args[0] {
	case "check":
		return e.riskCheck(args[1:])
	case "test":
		return e.riskTest(args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, riskUsage)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "tsunagu risk: unknown command %q\n\n%s", args[0], riskUsage)
	return exitUsage
}

// riskFromConfig builds the detector the configuration describes (`risk:`,
// `risk_words`, `safety_message`) and its safety replies. An error names
// the setting; it is a configuration error (exit 2).
func riskFromConfig(c *config.Config) (*flows.RiskScanner, risk.Safety, error) {
	_, scanner, safety, err := programme(c)
	return scanner, safety, err
}

// riskDetector is the configured detector, with a flow's own words and
// patterns when flowArg names one.
func (e *env) riskDetector(c *config.Config, flowArg string) (*risk.Detector, int) {
	rs, _, err := riskFromConfig(c)
	if err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: %v\n", err)
		return nil, exitUsage
	}
	d := rs.Detector()
	if flowArg == "" {
		return d, exitOK
	}
	f, code := e.findFlow(c.FlowsDir, c.Lang, flowArg)
	if f == nil {
		return nil, code
	}
	fr := f.Risk()
	if d, err = d.With(fr.Words, fr.Patterns); err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: %s: %v\n", f.ID, err)
		return nil, exitFail
	}
	return d, exitOK
}

// riskResult is one checked message, as --json prints it.
type riskResult struct {
	Line    int         `json:"line,omitempty"`
	Matched bool        `json:"matched"`
	Match   *risk.Match `json:"match,omitempty"`
	Label   string      `json:"category_label,omitempty"`
}

func (e *env) riskCheck(args []string) int {
	fs, cfgPath := e.flags("risk check")
	file := fs.String("file", "", "check each line of `F` as one message (- for standard input)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	flowArg := fs.String("flow", "", "also use this flow's risk_words_extra and risk_patterns (a file or flow id)")
	texts, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if (len(texts) == 0) == (*file == "") {
		fmt.Fprint(e.stderr, "tsunagu risk check: give the message(s) to check, or --file, not both\n\n"+riskUsage)
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	var lines []int
	if *file != "" {
		if texts, lines, err = e.readLines(*file); err != nil {
			fmt.Fprintf(e.stderr, "tsunagu: %v\n", err)
			return exitFail
		}
	}
	d, code := e.riskDetector(&c, *flowArg)
	if d == nil {
		return code
	}
	var results []riskResult
	matched := false
	for i, text := range texts {
		r := riskResult{}
		if lines != nil {
			r.Line = lines[i]
		}
		if m, ok := d.Check(text); ok {
			r.Matched, r.Match, r.Label = true, &m, m.Category.Label()
			matched = true
		}
		results = append(results, r)
	}
	if *asJSON {
		e.printJSON(results)
	} else {
		for _, r := range results {
			e.printRisk(*file, r)
		}
	}
	if matched {
		return exitFail
	}
	return exitOK
}

// printRisk prints one result for a coordinator: whether it matched, the
// category, the rule and the words that made it match.
func (e *env) printRisk(file string, r riskResult) {
	where := ""
	if r.Line > 0 {
		where = fmt.Sprintf("%s:%d: ", file, r.Line)
	}
	if !r.Matched {
		fmt.Fprintf(e.stdout, "%s一致なし (no match)\n", where)
		return
	}
	m := r.Match
	kind := "一致 (matched)"
	if m.Gentle {
		kind = "打ち消し・念のため (gentle: negated, a warning)"
	}
	fmt.Fprintf(e.stdout, "%s%s: %s (%s)\n", where, kind, m.Category.Label(), m.Category)
	fmt.Fprintf(e.stdout, "  rule:   %s\n", m.Rule)
	fmt.Fprintf(e.stdout, "  tokens: %s\n", strings.Join(m.Tokens, " "))
	fmt.Fprintf(e.stdout, "  phrase: %s\n", m.Phrase)
}

// readLines reads the non-empty lines of path ("-" for standard input)
// and their line numbers.
func (e *env) readLines(path string) ([]string, []int, error) {
	var r io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		r = f
	}
	var texts []string
	var lines []int
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			texts, lines = append(texts, t), append(lines, n)
		}
	}
	return texts, lines, sc.Err()
}

// riskReport is what `risk test --json` prints.
type riskReport struct {
	Categories  map[risk.Category]risk.Tally `json:"categories"`
	Risk        risk.Tally                   `json:"risk"`
	Recall      float64                      `json:"recall"`
	Everyday    int                          `json:"everyday"`
	FalseAlarms int                          `json:"false_alarms"`
	FalseRate   float64                      `json:"false_alarm_rate"`
	Problems    string                       `json:"problems,omitempty"`
}

func (e *env) riskTest(args []string) int {
	fs, cfgPath := e.flags("risk test")
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	flowArg := fs.String("flow", "", "also use this flow's risk_words_extra and risk_patterns (a file or flow id)")
	overall := fs.Float64("recall", 0.95, "least overall recall accepted")
	perCat := fs.Float64("category-recall", 0.90, "least recall accepted in any category")
	falseMax := fs.Float64("false-alarms", 0.03, "most false alarms accepted, as a share of everyday messages")
	files, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprint(e.stderr, "tsunagu risk test: name the labelled file(s)\n\n"+riskUsage)
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	var ex []risk.Example
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintf(e.stderr, "tsunagu: %v\n", err)
			return exitFail
		}
		got, err := risk.ReadLabelled(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(e.stderr, "tsunagu: %s: %v\n", p, err)
			return exitFail
		}
		for i := range got {
			got[i].Source = p
		}
		ex = append(ex, got...)
	}
	d, code := e.riskDetector(&c, *flowArg)
	if d == nil {
		return code
	}
	r := risk.Evaluate(d, ex)
	problems := r.Check(risk.Thresholds{Overall: *overall, PerCategory: *perCat, FalseAlarms: *falseMax})
	if *asJSON {
		out := riskReport{Categories: map[risk.Category]risk.Tally{}, Risk: r.Risk, Recall: r.Risk.Recall(),
			Everyday: r.Everyday, FalseAlarms: len(r.FalseAlarms), FalseRate: r.FalseAlarmRate()}
		for c, t := range r.PerCategory {
			out.Categories[c] = *t
		}
		if problems != nil {
			out.Problems = problems.Error()
		}
		e.printJSON(out)
	} else {
		fmt.Fprint(e.stdout, r.Table())
		for _, m := range r.Misses {
			fmt.Fprintf(e.stdout, "見逃し (missed) %s:%d: [%s] %s\n", m.Source, m.Line, m.Label, m.Text)
		}
		for _, m := range r.FalseAlarms {
			fmt.Fprintf(e.stdout, "誤検知 (false alarm) %s:%d: %s %s [%s]\n", m.Source, m.Line, m.Match.Category.Label(), m.Text, m.Match.Rule)
		}
		if problems != nil {
			fmt.Fprintf(e.stdout, "below the thresholds: %v\n", problems)
		} else {
			fmt.Fprintln(e.stdout, "ok: thresholds met")
		}
	}
	if problems != nil {
		return exitFail
	}
	return exitOK
}
