package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot/delivery"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// TestStrangerFlood: forty people who never enrolled write a risk word
// within a minute. Each gets the safety reply at once; Slack gets a few
// messages, the rest counted in them; each stranger is escalated once at
// most; and an enrolled child's urgent alert, written right after, goes
// through its own lane and is escalated as usual.
func TestStrangerFlood(t *testing.T) {
	clock := newTestClock(time.Date(2026, 6, 3, 1, 0, 0, 0, time.UTC))
	h := newHarness(t, "", withClock(clock), withEnv("TSUNAGU_SLACK_ONCALL", "S0ONCALL"))
	h.roster("F-0001,,U0SUPPORT")
	child := h.enrol("F-0001", tsunagu.RoleChild)

	strangers := make([]string, 40)
	var events []fakeline.Event
	for i := range strangers {
		strangers[i] = fakeline.NewUserID()
		events = append(events, h.line.Text(strangers[i], "もうしにたい"))
	}
	h.mustDeliver(events...)
	h.mustDeliver(h.line.Text(child, "家で殴られた"))
	h.quiesce(clock.Now())

	for _, s := range strangers {
		if got := h.received(s); len(got) == 0 || !strings.Contains(got[0].Text, "0120-0-78310") {
			t.Fatalf("a stranger got %v, want the safety reply first", texts(got))
		}
	}
	var top, childPosts int
	var lead fakeslack.Message
	for _, m := range h.slack.Messages(fakeslack.Channel) {
		text := fakeslack.BlocksText(m.Blocks)
		switch {
		case m.ThreadTS != "":
		case strings.Contains(text, "未登録"):
			top++
			lead = m
		case strings.Contains(text, "F-0001"):
			childPosts++
		}
	}
	if top < 1 || top > delivery.DefaultStrangerCap {
		t.Fatalf("%d messages for 40 strangers, want at most %d", top, delivery.DefaultStrangerCap)
	}
	if text := fakeslack.BlocksText(lead.Blocks); !strings.Contains(text, "ほか") {
		t.Errorf("the last stranger message does not count the rest:\n%s", text)
	}
	if childPosts != 1 {
		t.Fatalf("the child's urgent alert was posted %d times", childPosts)
	}
	for _, a := range h.alertsSince(0) {
		b, _ := json.Marshal(a)
		for _, s := range strangers {
			if strings.Contains(string(b), s) {
				t.Fatalf("a stranger's LINE id in an alert: %s", b)
			}
		}
		if a.TS == "" {
			t.Fatalf("alert %s (%s) was never shown in Slack", a.ID, a.Reason)
		}
	}

	// Past both escalation times: each stranger message escalates once,
	// those counted in it not at all; the child's alert twice.
	before := len(h.slack.Messages(fakeslack.Channel))
	clock.Set(clock.Now().Add(31 * time.Minute))
	h.quiesce(clock.Now())
	escalations := 0
	for _, m := range h.slack.Messages(fakeslack.Channel)[before:] {
		if m.ThreadTS != "" && strings.Contains(m.Text, "S0ONCALL") {
			escalations++
		}
	}
	if want := top + 2; escalations != want {
		t.Errorf("%d escalations, want %d (one per stranger message, two for the child)", escalations, want)
	}
	n, err := h.main.Store.SlackUrgentOutbox().Len(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("urgent outbox: %d, %v", n, err)
	}
}
