package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// A stranger over the cap joins another stranger's message (GroupOf, its TS
// set to the lead's). Their second message within the coalesce window joins
// their own first alert, and the redraw of that alert is a chat.update of
// the other stranger's message: it is overwritten.
func TestRegressionStrangerChainOverwritesAnotherMessage(t *testing.T) {
	clock := newTestClock(time.Date(2026, 6, 3, 1, 0, 0, 0, time.UTC))
	h := newHarness(t, "", withClock(clock), withEnv("TSUNAGU_COALESCE", "1m"))
	users := []string{fakeline.NewUserID(), fakeline.NewUserID(), fakeline.NewUserID(), fakeline.NewUserID()}
	for _, u := range users {
		h.mustDeliver(h.line.Text(u, "もうしにたい"))
		h.quiesce(clock.Now())
	}
	var leadTS, leadLabel string
	for _, a := range h.alertsSince(0) {
		if a.GroupOf == "" && a.TS != "" {
			for _, b := range h.alertsSince(0) {
				if b.GroupOf == a.ID {
					leadTS, leadLabel = a.TS, a.Stranger
				}
			}
		}
	}
	if leadTS == "" {
		t.Fatal("setup: nothing grouped")
	}
	show := func() string {
		for _, m := range h.slack.Messages(fakeslack.Channel) {
			if m.TS == leadTS {
				return fakeslack.BlocksText(m.Blocks)
			}
		}
		return ""
	}
	t.Logf("lead %s before:\n%s", leadLabel, show())
	clock.Set(clock.Now().Add(10 * time.Second))
	h.mustDeliver(h.line.Text(users[3], "やっぱりしにたい")) // the grouped stranger again
	h.quiesce(clock.Now())
	after := show()
	t.Logf("after:\n%s", after)
	if !strings.Contains(after, leadLabel) {
		t.Errorf("stranger %s's message was overwritten by another stranger's alert", leadLabel)
	}
}
