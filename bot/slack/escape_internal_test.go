package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

// TestRosterTextEscaped: whatever a roster, a flow file or a member
// wrote, no alert, summary or escalation can mention a channel or forge
// a link: every "<" that reaches Slack's mrkdwn is our own. (Ids and
// roles are ours, validated before they are stored: they are not.)
func TestRosterTextEscaped(t *testing.T) {
	const evil = "<!channel> <https://evil.example|見て> &"
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	a := &tsunagu.Alert{
		ID: "al-1", Severity: tsunagu.SeverityUrgent, FamilyCode: "F-0001", Role: tsunagu.RoleChild, MemberID: "m1",
		FlowID: "x", FlowTitle: evil, Reason: evil, Supporter: evil, State: tsunagu.AlertResolved,
		ResolvedBy: evil, Note: evil, Answers: []tsunagu.QA{{Question: evil, Answer: evil}},
		Grouped: []tsunagu.GroupedAlert{{ID: "g", Reason: evil, CreatedAt: now}},
		History: []tsunagu.AlertEvent{{At: now, By: evil, What: evil, To: evil}},
		Thread:  &tsunagu.ThreadInfo{Count: 1, Reason: evil, At: now}, CreatedAt: now, Channel: "C1", TS: "1.2",
	}
	blocks, fallback := alertMessage(a, time.UTC)
	s := &tsunagu.FamilySummary{
		Family:     tsunagu.Family{Code: "F-0001", Tags: []string{evil}, Supporter: evil},
		Members:    []tsunagu.MemberSummary{{Role: tsunagu.Role(evil), Consent: evil, Flows: []tsunagu.FlowSummary{{FlowID: evil, Title: evil, LastAnswers: []tsunagu.QA{{Question: evil, Answer: evil}}}}}},
		OpenAlerts: []tsunagu.Alert{*a},
	}
	sblocks, sfallback := summaryBlocks(s, now, time.UTC)
	esc := escalationText(a, 1, "", now)
	all, _ := json.Marshal([]any{blocks, fallback, sblocks, sfallback, esc})
	text := string(all)
	for _, bad := range []string{`<!channel>`, `<https://evil`, `\u003c!channel\u003e`, `\u003chttps://evil`} {
		if strings.Contains(text, bad) {
			t.Errorf("Slack text contains %s", bad)
		}
	}
}
