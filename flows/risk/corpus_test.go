package risk

import (
	"os"
	"testing"
)

// The corpus: messages written for this repository (no real person's),
// labelled category<TAB>text. The dev files were used to write the rules;
// the holdout files were written after them and are not tuned against.
var (
	devFiles     = []string{"testdata/risk.tsv", "testdata/everyday.tsv"}
	holdoutFiles = []string{"testdata/holdout-risk.tsv", "testdata/holdout-everyday.tsv"}
)

// TestCorpus measures the built-in rules: recall per category and false
// alarms on everyday messages, over the whole corpus (dev and holdout),
// and fails below the thresholds of docs/risk.md. Run with -v to see the
// tables (as printed in docs/risk.md) and every miss.
func TestCorpus(t *testing.T) {
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	dev := readCorpus(t, devFiles...)
	holdout := readCorpus(t, holdoutFiles...)
	for _, part := range []struct {
		name string
		ex   []Example
	}{{"dev", dev}, {"holdout", holdout}} {
		r := Evaluate(d, part.ex)
		t.Logf("%s:\n%s", part.name, r.Table())
		for _, m := range r.Misses {
			t.Logf("%s miss  %-15s %s  [%s %v gentle=%v]", part.name, m.Label, m.Text, m.Match.Rule, m.Match.Tokens, m.Match.Gentle)
		}
		for _, m := range r.FalseAlarms {
			t.Logf("%s false %-15s %s  [%s %v gentle=%v]", part.name, m.Match.Category, m.Text, m.Match.Rule, m.Match.Tokens, m.Match.Gentle)
		}
	}
	all := Evaluate(d, append(dev, holdout...))
	t.Logf("all:\n%s", all.Table())
	if len(all.PerCategory) < 7 || all.Risk.Total < 300 || all.Everyday < 300 {
		t.Errorf("corpus too small: %d risk messages in %d categories, %d everyday", all.Risk.Total, len(all.PerCategory), all.Everyday)
	}
	if err := all.Check(Thresholds{Overall: 0.95, PerCategory: 0.90, FalseAlarms: 0.03}); err != nil {
		t.Error(err)
	}
}

func readCorpus(t *testing.T, paths ...string) []Example {
	t.Helper()
	var all []Example
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := ReadLabelled(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		all = append(all, ex...)
	}
	return all
}
