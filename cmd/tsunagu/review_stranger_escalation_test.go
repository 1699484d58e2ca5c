package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// A stranger's urgent alert over the cap joins the newest stranger message,
// which can be a warning (a negated match): warnings have no escalation,
// and desk.Escalate skips a grouped alert, so the urgent one never escalates.
func TestRegressionStrangerUrgentGroupedIntoWarningNeverEscalates(t *testing.T) {
	clock := newTestClock(time.Date(2026, 6, 3, 1, 0, 0, 0, time.UTC))
	h := newHarness(t, "", withClock(clock), withEnv("TSUNAGU_SLACK_ONCALL", "S0ONCALL"))
	for i := 0; i < 2; i++ {
		h.mustDeliver(h.line.Text(fakeline.NewUserID(), "もうしにたい"))
		h.quiesce(clock.Now())
	}
	h.mustDeliver(h.line.Text(fakeline.NewUserID(), "死にたくない"))
	h.quiesce(clock.Now())
	h.mustDeliver(h.line.Text(fakeline.NewUserID(), "もうしにたい")) // over the cap of 3
	h.quiesce(clock.Now())

	var urgentGrouped *tsunagu.Alert
	for _, a := range h.alertsSince(0) {
		t.Logf("alert %s sev=%s group_of=%q ts=%q", a.ID, a.Severity, a.GroupOf, a.TS)
		if a.Severity == tsunagu.SeverityUrgent && a.GroupOf != "" {
			a := a
			urgentGrouped = &a
		}
	}
	if urgentGrouped == nil {
		t.Fatal("setup: no urgent alert was grouped")
	}
	before := len(h.slack.Messages(fakeslack.Channel))
	clock.Set(clock.Now().Add(31 * time.Minute))
	h.quiesce(clock.Now())
	esc := 0
	for _, m := range h.slack.Messages(fakeslack.Channel)[before:] {
		if m.ThreadTS != "" && strings.Contains(m.Text, "S0ONCALL") {
			esc++
		}
	}
	for _, a := range h.alertsSince(0) {
		if a.ID == urgentGrouped.ID {
			t.Logf("grouped urgent alert: state=%s escalated=%d", a.State, a.Escalated)
			if a.State == tsunagu.AlertOpen && a.Escalated == 0 {
				t.Errorf("an unclaimed urgent stranger alert (grouped into a warning) was never escalated; %d escalations in all", esc)
			}
		}
	}
}
