package slack_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tsunagu/tsunagu"
	tslack "github.com/tsunagu/tsunagu/bot/slack"
)

// call is one recorded call of the fake Supporters. Arg is what else it
// was given: the note, the new assignee, the reply text, the family code,
// "flow code" for SendFlow.
type call struct {
	Op, AlertID, User, Arg string
	At                     time.Time
}

// fakeSupporters records calls and applies them to one stored alert and
// one family, the way the bot would.
type fakeSupporters struct {
	mu      sync.Mutex
	alert   *tsunagu.Alert
	summary *tsunagu.FamilySummary
	flows   []string // flows SendFlow knows
	err     error    // returned (with the alert as it stands, for ECONFLICT) when set
	calls   []call
}

var _ tslack.Supporters = (*fakeSupporters)(nil)

func (f *fakeSupporters) ClaimAlert(_ context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return f.apply(call{"claim", id, user, "", at}, func(a *tsunagu.Alert) {
		a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertClaimed, user, at
		a.History = append(a.History, tsunagu.AlertEvent{At: at, By: user, What: "claimed"})
	})
}

func (f *fakeSupporters) ResolveAlert(_ context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return f.apply(call{"resolve", id, user, "", at}, func(a *tsunagu.Alert) {
		a.State, a.ResolvedBy, a.ResolvedAt = tsunagu.AlertResolved, user, at
	})
}

func (f *fakeSupporters) UnclaimAlert(_ context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return f.apply(call{"unclaim", id, user, "", at}, func(a *tsunagu.Alert) {
		a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertOpen, "", time.Time{}
		a.History = append(a.History, tsunagu.AlertEvent{At: at, By: user, What: "unclaimed"})
	})
}

func (f *fakeSupporters) ResolveAlertNote(_ context.Context, id, user, note string, at time.Time) (*tsunagu.Alert, error) {
	return f.apply(call{"resolve_note", id, user, note, at}, func(a *tsunagu.Alert) {
		a.State, a.ResolvedBy, a.ResolvedAt, a.Note = tsunagu.AlertResolved, user, at, note
		a.History = append(a.History, tsunagu.AlertEvent{At: at, By: user, What: "resolved"})
	})
}

func (f *fakeSupporters) ReassignAlert(_ context.Context, id, by, to string, at time.Time) (*tsunagu.Alert, error) {
	return f.apply(call{"reassign", id, by, to, at}, func(a *tsunagu.Alert) {
		a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertClaimed, to, at
		a.History = append(a.History, tsunagu.AlertEvent{At: at, By: by, What: "reassigned", To: to})
	})
}

func (f *fakeSupporters) ReplyToFamily(_ context.Context, id, user, text string, at time.Time) (*tsunagu.Alert, error) {
	return f.apply(call{"reply", id, user, text, at}, func(a *tsunagu.Alert) {
		a.History = append(a.History, tsunagu.AlertEvent{At: at, By: user, What: "replied"})
	})
}

func (f *fakeSupporters) apply(c call, change func(*tsunagu.Alert)) (*tsunagu.Alert, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	if c.AlertID != f.alert.ID {
		return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "no alert %s", c.AlertID)
	}
	if tsunagu.ErrorCode(f.err) == tsunagu.ECONFLICT {
		a := *f.alert
		return &a, f.err
	}
	if f.err != nil {
		return nil, f.err
	}
	change(f.alert)
	a := *f.alert
	a.History = slices.Clone(a.History)
	return &a, nil
}

func (f *fakeSupporters) FamilySummary(_ context.Context, code string) (*tsunagu.FamilySummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{Op: "summary", Arg: code})
	if err := f.family(code); err != nil {
		return nil, err
	}
	s := *f.summary
	return &s, nil
}

func (f *fakeSupporters) PauseFamily(_ context.Context, code, user string, paused bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	op := "resume"
	if paused {
		op = "pause"
	}
	f.calls = append(f.calls, call{Op: op, User: user, Arg: code})
	return f.family(code)
}

func (f *fakeSupporters) SendFlow(_ context.Context, flow, code, user string, replace bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{Op: "send", User: user, Arg: flow + " " + code})
	if err := f.family(code); err != nil {
		return "", err
	}
	if !slices.Contains(f.flows, flow) {
		return "", tsunagu.Errorf(tsunagu.ENOTFOUND, "フロー %s はありません", flow)
	}
	return code + " の 2 人に " + flow + " を送りました <!channel>", nil
}

func (f *fakeSupporters) family(code string) error {
	if f.err != nil {
		return f.err
	}
	if f.summary == nil || code != f.summary.Family.Code {
		return tsunagu.Errorf(tsunagu.ENOTFOUND, "家族 %s は名簿にありません", code)
	}
	return nil
}

func (f *fakeSupporters) recorded() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// lineUserID is a LINE user id of the form LINE uses; memberID is what
// the domain calls that member. Neither may reach Slack.
const lineUserID = "U4af4980629f9a1b2c3d4e5f6a7b8c9d0"

var memberID = tsunagu.UserHash(lineUserID)

// newSummary is F-0123 with a guardian and a child (listed guardian first:
// the summary must put the child first) and one open alert.
func newSummary() *tsunagu.FamilySummary {
	return &tsunagu.FamilySummary{
		Family: tsunagu.Family{Code: "F-0123", Supporter: "U0SUPPORT1", Tags: []string{"minato"}},
		Members: []tsunagu.MemberSummary{
			{Role: tsunagu.RoleGuardian, LinkedAt: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC), Consent: "yes",
				Flows: []tsunagu.FlowSummary{{FlowID: "monthly-guardian", Title: "月のふりかえり"}}},
			{Role: tsunagu.RoleChild, LinkedAt: time.Date(2026, 1, 10, 3, 0, 0, 0, time.UTC), Consent: "yes", Blocked: true,
				Flows: []tsunagu.FlowSummary{{
					FlowID: "weekly-child", Title: "週のふりかえり",
					LastCompleted: time.Date(2026, 2, 22, 1, 0, 0, 0, time.UTC),
					LastAnswers:   []tsunagu.QA{{Question: "今週の気分は？", Answer: "とてもつらい"}, {Question: "ひとこと", Answer: "<!here> ねむい\nずっと"}},
					StreakMissed:  3, Open: true,
				}}},
		},
		OpenAlerts: []tsunagu.Alert{
			{ID: "al-0001", Severity: tsunagu.SeverityUrgent, FamilyCode: "F-0123", Role: tsunagu.RoleChild,
				Reason: "気分が「とてもつらい」", State: tsunagu.AlertClaimed, ClaimedBy: "U0CLAIM", MemberID: memberID,
				Channel: "C0TSUNAGU", TS: "1700000001.000001", CreatedAt: time.Date(2026, 3, 1, 0, 15, 0, 0, time.UTC)},
			{ID: "al-0002", Severity: tsunagu.SeverityWarning, FamilyCode: "F-0123", Role: tsunagu.RoleGuardian,
				Reason: "3 回つづけて返事なし", State: tsunagu.AlertOpen},
		},
	}
}
