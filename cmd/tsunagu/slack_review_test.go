package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// A family's second alert goes into its thread; the root's chat.update
// fails once with 500. The alert must be posted once.
func TestThreadRootRedrawFailureDoesNotRepost(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustDeliver(h.line.Text(user, "きょうはつかれた"))
	h.slackMessages(1)
	h.slack.FailNext("chat.update", 1, 500, 0)
	h.mustDeliver(h.line.Text(user, "あしたもがっこう"))
	h.slackMessages(2)
	h.settle() // the failed redraw is retried and done: nothing more can be posted
	n := 0
	for _, m := range h.slack.Messages(fakeslack.Channel) {
		if strings.Contains(fakeslack.BlocksText(m.Blocks), "あしたもがっこう") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("second alert posted %d times, want 1", n)
	}
}

// An urgent alert posted late (Slack down past escalate_after): its
// escalation must still go out once it is posted.
func TestEscalationWaitsForThePost(t *testing.T) {
	clock := newTestClock(thursday)
	h := newHarness(t, "", withClock(clock), withEnv("TSUNAGU_SLACK_ONCALL", "S0ONCALL"), withEnv("TSUNAGU_TAKEOVER", "1s"))
	h.roster("F-0001,,")
	a := h.enrol("F-0001", tsunagu.RoleChild)
	h.slack.FailNext("chat.postMessage", 1000, 503, 0)
	h.mustDeliver(h.line.Text(a, "しにたい"))
	eventually(t, func() bool { return h.slack.Calls("chat.postMessage") > 0 }, "the post to fail once")
	clock.Set(thursday.Add(15*time.Minute + time.Second))
	h.timersDone() // the escalation timer fired; its Slack job runs while the post is pending
	h.slack.ClearFailures()
	h.slackMessages(1)
	h.settle()
	n := 0
	for _, m := range h.slack.Messages(fakeslack.Channel) {
		if strings.Contains(m.Text+fakeslack.BlocksText(m.Blocks), "S0ONCALL") {
			n++
		}
	}
	al, _ := h.main.Store.Alerts(context.Background(), 10)
	if n != 1 {
		t.Fatalf("%d escalations after the alert was posted (alert escalated=%d), want 1", n, al[0].Escalated)
	}
}

// A family's second alert within the coalescing minute joins the first
// message; chat.update fails for one whole hand-out (Backoff.Tries). The
// alert must still appear in Slack once the job is retried.
func TestGroupedAlertSurvivesRedrawFailure(t *testing.T) {
	h := newHarness(t, "", withEnv("TSUNAGU_COALESCE", "1m"), withEnv("TSUNAGU_TAKEOVER", "1s"))
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustDeliver(h.line.Text(user, "ねえ"))
	h.slackMessages(1)
	h.waitPosted(1) // else the second alert gets a message of its own
	h.slack.FailNext("chat.update", 3, 500, 0)
	h.mustDeliver(h.line.Text(user, "しにたい"))
	shown := func() bool {
		for _, m := range h.slack.Messages(fakeslack.Channel) {
			if strings.Contains(fakeslack.BlocksText(m.Blocks), "続けて届いたアラート") {
				return true
			}
		}
		return false
	}
	eventually(t, shown, "the grouped urgent alert to be shown in a Slack message")
}

// TestReplyDedup: the same text submitted twice within a minute is one
// reply (Slack resends a slow submission); a minute later it is sent again.
func TestReplyDedup(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustDeliver(h.line.Text(user, "きょうはつかれた"))
	h.slackMessages(1)
	alerts, _ := h.main.Store.Alerts(context.Background(), 10)
	id := alerts[0].ID
	at := time.Now().Truncate(time.Minute)
	for _, when := range []time.Time{at, at.Add(10 * time.Second), at.Add(time.Minute)} {
		if _, err := h.main.Desk.ReplyToFamily(context.Background(), id, "U0SUPPORT", "ありがとう", when); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, func() bool { return len(h.line.Pushes()) == 2 }, "two pushes")
	h.settle()
	a, _ := h.main.Store.Alert(context.Background(), id)
	if n := len(h.line.Pushes()); n != 2 || len(a.History) != 2 {
		t.Fatalf("%d pushes and %d history events for three submissions, two of them in one minute; want 2 and 2", n, len(a.History))
	}
}

// A route to a channel the bot is not in (a typo, or not invited): the
// urgent alert must reach supporters somewhere (the default channel).
func TestMisroutedAlertFallsBack(t *testing.T) {
	h := newHarness(t, "", withYAML("slack:\n  routes:\n    - severity: [urgent]\n      channel: C0NOTINVITED\n"))
	h.roster("F-0001,,")
	a := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustDeliver(h.line.Text(a, "しにたい"))
	h.settle()
	if n := len(h.slack.Messages(fakeslack.Channel)); n == 0 {
		t.Fatalf("urgent alert posted nowhere (postMessage calls %d); log has 'slack refused': %v",
			h.slack.Calls("chat.postMessage"), strings.Contains(h.logs.String(), "slack refused"))
	}
}

// TestUrgentDoesNotJoinAClaim: an urgent alert that follows, within the
// coalescing minute, an alert someone already claimed gets a message of its
// own and escalates, rather than silently counting as claimed.
func TestUrgentDoesNotJoinAClaim(t *testing.T) {
	clock := newTestClock(thursday)
	h := newHarness(t, "", withClock(clock), withEnv("TSUNAGU_COALESCE", "1m"), withEnv("TSUNAGU_SLACK_ONCALL", "S0ONCALL"))
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustDeliver(h.line.Text(user, "ねえ"))
	h.slackMessages(1)
	alerts, _ := h.main.Store.Alerts(context.Background(), 10)
	if _, err := h.main.Desk.ClaimAlert(context.Background(), alerts[0].ID, "U0CLAIM", thursday); err != nil {
		t.Fatal(err)
	}
	h.mustDeliver(h.line.Text(user, "しにたい"))
	h.slackMessages(2)
	clock.Set(thursday.Add(16 * time.Minute))
	eventually(t, func() bool {
		for _, m := range h.slack.Messages(fakeslack.Channel) {
			if strings.Contains(m.Text+fakeslack.BlocksText(m.Blocks), "S0ONCALL") {
				return true
			}
		}
		return false
	}, "the urgent alert to escalate")
	alerts, _ = h.main.Store.Alerts(context.Background(), 10)
	for _, a := range alerts {
		if a.Severity == tsunagu.SeverityUrgent && (a.State != tsunagu.AlertOpen || a.GroupOf != "") {
			t.Fatalf("urgent alert state=%s group_of=%q, want open on its own", a.State, a.GroupOf)
		}
	}
}
