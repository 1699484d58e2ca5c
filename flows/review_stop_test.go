package flows

import (
	"strings"
	"testing"
)

// On the weekly check-in's free-text step 「なにがあったか書いてみてね」, a child
// who writes just 「やめて」 (stop it — what someone does to them) is taken
// as the control word: the session ends as stopped, the answer is dropped,
// check-ins pause, and the supporters' alert carries no text.
func TestRegressionStopWordSwallowsFreeTextAnswer(t *testing.T) {
	f := loadExample(t, "weekly-child")
	c := newConv(f)
	m := member(f, SimOptions{})
	m.session = waitingAt(f, "why", map[string]string{"mood": "bad"})
	turn, err := c.Event(m, "sim-member", text("やめて"), t1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outcomes: %s; summary %q", kinds(turn), turn.Summary)
	for _, a := range turn.Alerts() {
		t.Logf("alert: %s %v", a.Reason, a.Answers)
	}
	if strings.Contains(kinds(turn), "MemberChanged") || turn.Summary == "stopped" {
		t.Errorf("a free-text answer 「やめて」 was taken for 停止")
	}
}
