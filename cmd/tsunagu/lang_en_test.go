package main

import (
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// TestLangEnglishSafety: a member who reads English is answered in
// English, and an English risk phrase gets the built-in English safety
// reply and an urgent alert noting the language.
func TestLangEnglishSafety(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	var inv inviteOut
	mustJSON(t, h.mustCLI("invite", "F-0001", "--role", "child", "--lang", "en", "--json"), &inv)
	user := fakeline.NewUserID()
	h.mustDeliver(h.line.Follow(user))
	h.mustDeliver(h.line.Text(user, inv.Code))
	h.next(user, "You are registered. Thank you!")
	h.mustDeliver(h.line.Text(user, "sometimes I want to die"))
	h.next(user, "TELL Lifeline (in English)")
	alert := fakeslack.BlocksText(h.slackMessages(1)[0].Blocks)
	if !strings.Contains(alert, "英語 (en)") || !strings.Contains(alert, "I want to die") {
		t.Errorf("alert:\n%s", alert)
	}
}
