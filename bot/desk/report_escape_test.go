package desk

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

// TestReportEscapes: roster tags, flow titles and alert reasons reach
// Slack's digest escaped, and a CSV cell never starts a formula.
func TestReportEscapes(t *testing.T) {
	r := &Report{
		Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC),
		Rows: []ReportRow{
			{Flow: "weekly", Title: "=HYPERLINK(\"http://x\",\"y\")", Rate: -1, PreviousRate: -1},
			{Flow: "weekly", Tag: "<!channel>", Rate: -1, PreviousRate: -1},
			{Flow: "weekly", Tag: "@here", Rate: -1, PreviousRate: -1},
			{Flow: "weekly", Tag: "+1", Rate: -1, PreviousRate: -1},
			{Flow: "weekly", Tag: "-2", Rate: -1, PreviousRate: -1},
		},
		Unclaimed:  []tsunagu.Alert{{FamilyCode: "F-0001", Reason: "<https://evil|見て> & <!here>", CreatedAt: time.Now()}},
		QuotaLimit: -1,
	}
	slack := r.Slack(time.UTC)
	for _, bad := range []string{"<!channel>", "<!here>", "<https://"} {
		if strings.Contains(slack, bad) {
			t.Errorf("digest contains %q:\n%s", bad, slack)
		}
	}
	if !strings.Contains(slack, "&lt;!channel&gt;") || !strings.Contains(slack, "&amp; &lt;!here&gt;") {
		t.Errorf("digest lost the text:\n%s", slack)
	}
	var csv bytes.Buffer
	if err := r.CSV(&csv); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(csv.String()), "\n")[1:] {
		for _, cell := range strings.Split(line, ",") {
			cell = strings.TrimPrefix(cell, `"`)
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("CSV cell %q starts a formula:\n%s", cell, csv.String())
			}
		}
	}
	if !strings.Contains(csv.String(), `'=HYPERLINK`) || !strings.Contains(csv.String(), "'@here") {
		t.Errorf("CSV:\n%s", csv.String())
	}
}
