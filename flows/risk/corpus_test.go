package risk

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestCorpus measures the built-in rules on testdata/: recall per category
// and false alarms on everyday messages, and fails below the thresholds in
// docs/risk.md. Run with -v to see the table and every miss.
func TestCorpus(t *testing.T) {
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var ex []Example
	for _, f := range []string{"testdata/risk.tsv", "testdata/everyday.tsv"} {
		e, err := readCorpus(t, f)
		if err != nil {
			t.Fatal(err)
		}
		ex = append(ex, e...)
	}
	r := Evaluate(d, ex)
	t.Logf("\n%s", r.Table())
	for _, m := range r.Misses {
		t.Logf("miss  %-15s %s", m.Label, m.Text)
	}
	for _, m := range r.FalseAlarms {
		t.Logf("false %-15s %s  [%s %v]", m.Match.Category, m.Text, m.Match.Rule, m.Match.Tokens)
	}
	if err := r.Check(Thresholds{Overall: 0.95, PerCategory: 0.90, FalseAlarms: 0.03}); err != nil {
		t.Error(err)
	}
}

func readCorpus(t *testing.T, path string) ([]Example, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ex, err := ReadLabelled(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ex, nil
}

var _ = strings.TrimSpace
