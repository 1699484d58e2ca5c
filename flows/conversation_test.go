package flows

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

const streakFlow = `
id: weekly
title: 毎週
audience: {roles: [child]}
missed: {streak: 2, severity: warning, note: 2回つづけて未回答}
steps:
  - id: mood
    say: 気分は？
    choices: [{label: いい, value: good}, {label: よくない, value: bad}]
done: ありがとう
`

const signupFlow = `
id: signup
title: 登録
on: enrol
audience: {roles: [child, guardian]}
steps:
  - id: consent
    say: はじめていい？
    choices: [{label: はい、はじめる, value: "yes"}, {label: やめておく, value: "no"}]
done: ありがとう
`

// kinds names a turn's outcomes, for comparing in tests.
func kinds(turn Turn) string {
	var out []string
	for _, o := range turn.Outcomes {
		out = append(out, strings.TrimPrefix(fmt.Sprintf("%T", o), "flows."))
	}
	return strings.Join(out, " ")
}

type catalog []*Flow

func (c catalog) Get(id string) *Flow {
	for _, f := range c {
		if f.ID == id {
			return f
		}
	}
	return nil
}
func (c catalog) All() []*Flow { return c }

func newConv(fs ...*Flow) *Conversation {
	n := 0
	return &Conversation{Flows: catalog(fs), Risk: NewRiskScanner(DefaultRiskWords), Texts: DefaultTexts, Location: time.UTC,
		NewID: func() string { n++; return "id" + strconv.Itoa(n) }}
}

// memFacts is a member in memory; waiting may be set by a test.
type memFacts struct {
	*simFacts
	waiting []Waiting
	invites map[string]*tsunagu.Invite
	enrol   bool // no member yet
}

func (m *memFacts) Waiting() ([]Waiting, error) { return m.waiting, nil }
func (m *memFacts) Member() *tsunagu.Member {
	if m.enrol {
		return nil
	}
	return m.simFacts.Member()
}
func (m *memFacts) Family(code string) (*tsunagu.Family, error) {
	if code != m.family.Code {
		return nil, nil
	}
	return &m.family, nil
}
func (m *memFacts) Invite(code string) (*tsunagu.Invite, error) { return m.invites[code], nil }

func member(f *Flow, opt SimOptions) *memFacts {
	if opt.Role == "" {
		opt.Role = tsunagu.RoleChild
	}
	opt.Now = t0
	return &memFacts{simFacts: newSimFacts(f, opt)}
}

func text(s string) tsunagu.Inbound {
	return tsunagu.Inbound{Kind: tsunagu.InboundText, Text: s, ReplyToken: "r", At: t0}
}

func TestConversationRisk(t *testing.T) {
	f := mustParse(t, engineFlow)
	c := newConv(f)

	t.Run("inside a check-in: safety first, urgent alert with the answers so far", func(t *testing.T) {
		m := member(f, SimOptions{})
		m.session = waitingAt(f, "why", map[string]string{"mood": "bad"})
		turn, err := c.Event(m, "sim-member", text("ｼﾆﾀｲ"), t1)
		if err != nil {
			t.Fatal(err)
		}
		if got := kinds(turn); !strings.HasPrefix(got, "RiskDetected Said AlertRaised") {
			t.Fatalf("outcomes = %s", got)
		}
		if msgs := turn.Messages(); msgs[0].Text != DefaultSafetyMessage {
			t.Errorf("first message = %q", msgs[0].Text)
		}
		a := turn.Alerts()[0]
		want := []tsunagu.QA{{Question: "気分は？", Answer: "bad"}, {Question: "なにがあった？", Answer: "ｼﾆﾀｲ"}}
		if a.Severity != tsunagu.SeverityUrgent || a.FlowID != f.ID || a.FamilyCode != "SIM-0001" || !reflect.DeepEqual(a.Answers, want) ||
			!strings.Contains(a.Reason, "しにたい") || !a.CreatedAt.Equal(t1) || a.State != tsunagu.AlertOpen {
			t.Errorf("alert = %+v", a)
		}
	})
	t.Run("outside a check-in: guardian's safety message, no ack, no info alert", func(t *testing.T) {
		m := member(f, SimOptions{Role: tsunagu.RoleGuardian})
		turn, err := c.Event(m, "sim-member", text("もう死にたい"), t1)
		if err != nil {
			t.Fatal(err)
		}
		if got := kinds(turn); got != "RiskDetected Said AlertRaised" {
			t.Fatalf("outcomes = %s", got)
		}
		if turn.Messages()[0].Text != DefaultGuardianSafetyMessage || turn.Alerts()[0].FlowID != "" {
			t.Errorf("turn = %+v", turn)
		}
	})
	t.Run("before enrolment: the safety reply and an alert for 未登録", func(t *testing.T) {
		m := member(f, SimOptions{})
		m.enrol = true
		turn, err := c.Event(m, "u1", text("たすけて"), t1)
		if err != nil {
			t.Fatal(err)
		}
		if a := turn.Alerts(); len(a) != 1 || a[0].FamilyCode != Unenrolled || a[0].MemberID != "" {
			t.Errorf("alerts = %+v", a)
		}
	})
}

func TestConversationStreak(t *testing.T) {
	f := mustParse(t, streakFlow)
	c := newConv(f)
	for missedBefore, wantAlert := range map[int]bool{0: false, 1: true, 2: false} {
		t.Run(strconv.Itoa(missedBefore), func(t *testing.T) {
			m := member(f, SimOptions{StreakMissed: missedBefore, Previous: map[string]tsunagu.Answer{"mood": {Value: "good"}}})
			m.session = f.Start("s1", "sim-member", t0, Env{}).Session
			turn, err := c.Expire(m, SessionRef{SessionID: "s1"}, t1)
			if err != nil {
				t.Fatal(err)
			}
			want := "SessionEnded StreakChanged"
			if wantAlert {
				want += " AlertRaised"
			}
			if got := kinds(turn); got != want {
				t.Fatalf("outcomes = %s, want %s", got, want)
			}
			if turn.Outcomes[0].(SessionEnded).Why != EndExpired || turn.Outcomes[1].(StreakChanged).Missed != missedBefore+1 {
				t.Errorf("outcomes = %+v", turn.Outcomes)
			}
			if wantAlert {
				a := turn.Alerts()[0]
				last := t0.Add(-2 * 7 * 24 * time.Hour).Format("2006-01-02")
				if a.Reason != "2回つづけて未回答" || a.Answers[0].Answer != "2回" || a.Answers[1].Answer != last {
					t.Errorf("alert = %+v", a)
				}
			}
		})
	}
	t.Run("a reminder for a session that moved on does nothing", func(t *testing.T) {
		m := member(f, SimOptions{})
		m.session = f.Start("s2", "sim-member", t0, Env{}).Session
		turn, _ := c.Remind(m, SessionRef{SessionID: "s1"}, 0, t1)
		if len(turn.Outcomes) != 0 || turn.Summary != "session moved on" {
			t.Errorf("turn = %+v", turn)
		}
	})
}

func TestConversationConsentAndEnrolment(t *testing.T) {
	signup, weekly := mustParse(t, signupFlow), mustParse(t, streakFlow)
	c := newConv(signup, weekly)
	m := member(signup, SimOptions{})
	m.enrol = true
	m.invites = map[string]*tsunagu.Invite{"K7QM-XR4P": {Code: "K7QM-XR4P", FamilyCode: "F-0001", Role: tsunagu.RoleChild, ExpiresAt: t0.Add(time.Hour)}}
	turn, err := c.Event(m, "u1", text("k7qmxr4p"), t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(turn); got != "MemberLinked Said SessionStarted Said" {
		t.Fatalf("outcomes = %s", got)
	}
	linked := turn.Outcomes[0].(MemberLinked)
	if linked.Member.FamilyCode != "F-0001" || linked.Invite != "K7QM-XR4P" || linked.Member.ID != "u1" {
		t.Errorf("linked = %+v", linked)
	}
	if c.Exclusion(weekly, linked.Member, tsunagu.Family{Code: "F-0001"}) != NoConsent {
		t.Error("a member who has not answered the consent step gets check-ins")
	}

	// Declining is recorded with its label, and keeps check-ins away.
	m.enrol = false
	m.session = turn.Outcomes[2].(SessionStarted).Session
	q, _ := signup.Prompt(m.session)
	turn, err = c.Event(m, "sim-member", tsunagu.Inbound{Kind: tsunagu.InboundPostback, Data: q.QuickReplies[1].Data, ReplyToken: "r"}, t1)
	if err != nil {
		t.Fatal(err)
	}
	var rec ConsentRecorded
	for _, o := range turn.Outcomes {
		if r, ok := o.(ConsentRecorded); ok {
			rec = r
		}
	}
	if rec != (ConsentRecorded{Value: "no", Label: "やめておく"}) {
		t.Errorf("consent = %+v in %s", rec, kinds(turn))
	}
	declined := tsunagu.Member{Role: tsunagu.RoleChild, Consent: rec.Value}
	if c.Exclusion(weekly, declined, tsunagu.Family{}) != NoConsent || tsunagu.Consented(declined) {
		t.Error("a member who declined gets check-ins")
	}
}

func TestConversationBegin(t *testing.T) {
	weekly, signup := mustParse(t, streakFlow), mustParse(t, signupFlow)
	c := newConv(weekly, signup)
	tests := []struct {
		name    string
		open    *Flow // the flow of the session open before, if any
		waiting []Waiting
		summary string
		kinds   string
		keep    bool // a coordinator's send: leave an open session of the flow
	}{
		{"idle", nil, nil, BeganStarted, "SessionStarted Said", false},
		{"same flow open, a send: left open, no miss", weekly, nil, BeganOpen, "", true},
		{"same flow open: superseded, streak, restarted", weekly, nil, BeganRestarted, "SessionEnded StreakChanged SessionStarted Said", false},
		{"another flow open: waits", signup, nil, BeganWaiting, "CheckInWaiting", false},
		{"another flow open, already waiting: once", signup, []Waiting{{FlowID: "weekly"}}, BeganWaiting, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := member(weekly, SimOptions{})
			m.waiting = tt.waiting
			if tt.open != nil {
				m.session = tt.open.Start("old", "sim-member", t0, Env{}).Session
				m.simFacts.flows = catalog{weekly, signup}
			}
			turn, err := c.Begin(m, weekly, "occ", !tt.keep, t1)
			if err != nil {
				t.Fatal(err)
			}
			if turn.Summary != tt.summary || kinds(turn) != tt.kinds {
				t.Errorf("Begin = %s [%s], want %s [%s]", turn.Summary, kinds(turn), tt.summary, tt.kinds)
			}
			if tt.summary == BeganRestarted && turn.Outcomes[0].(SessionEnded).Why != EndSuperseded {
				t.Errorf("ended = %+v", turn.Outcomes[0])
			}
		})
	}
}

// The sessions a turn leaves open finish on their own flow, and the
// check-in that waited starts when the member answers (the member is here),
// or as a start of its own after an expiry.
func TestConversationWaitingStarts(t *testing.T) {
	weekly, signup := mustParse(t, streakFlow), mustParse(t, signupFlow)
	c := newConv(weekly, signup)
	consented := func() *memFacts {
		m := member(signup, SimOptions{})
		m.member.Consent = "yes"
		m.session = signup.Start("s1", "sim-member", t0, Env{}).Session
		m.waiting = []Waiting{{FlowID: "weekly", Key: "occ"}}
		return m
	}
	m := consented()
	m.simFacts.flows = catalog{weekly, signup}
	q, _ := signup.Prompt(m.session)
	turn, err := c.Event(m, "sim-member", tsunagu.Inbound{Kind: tsunagu.InboundPostback, Data: q.QuickReplies[0].Data, ReplyToken: "r"}, t1)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(turn); got != "Said SessionEnded StreakChanged ConsentRecorded WaitingTaken SessionStarted Said" {
		t.Errorf("answer: %s", got)
	}
	m = consented()
	m.simFacts.flows = catalog{weekly, signup}
	turn, err = c.Expire(m, SessionRef{SessionID: "s1"}, t1)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(turn); got != "SessionEnded StreakChanged WaitingTaken StartLater" {
		t.Errorf("expiry: %s", got)
	}
}

func TestControlWords(t *testing.T) {
	for text, want := range map[string]Control{
		"停止": ControlStop, " 停止。": ControlStop, "ﾃｲｼ": ControlStop, "配信停止してください！": ControlStop, "やめる": ControlStop,
		"STOP": ControlStop, "再開": ControlResume, "さいかい！": ControlResume, "参加する": ControlJoin,
		"学校やめたい": ControlNone, "やめたい": ControlNone, "停止線": ControlNone, "": ControlNone, "再開してほしくない": ControlNone,
	} {
		if got := ControlWord(text); got != want {
			t.Errorf("ControlWord(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestConversationMemberControl(t *testing.T) {
	weekly, signup := mustParse(t, streakFlow), mustParse(t, signupFlow)
	c := newConv(weekly, signup)

	t.Run("停止 in a check-in ends it without a miss, pauses, tells supporters once", func(t *testing.T) {
		m := member(weekly, SimOptions{})
		m.member.Consent = "yes"
		m.session = weekly.Start("s1", "sim-member", t0, Env{}).Session
		turn, err := c.Event(m, "sim-member", text("停止"), t1)
		if err != nil {
			t.Fatal(err)
		}
		if got := kinds(turn); got != "SessionEnded Said MemberChanged AlertRaised" {
			t.Fatalf("outcomes = %s", got)
		}
		ended := turn.Outcomes[0].(SessionEnded)
		if ended.Why != EndStopped || ended.Session.Status != tsunagu.SessionStopped {
			t.Errorf("ended = %+v", ended)
		}
		stopped := turn.Outcomes[2].(MemberChanged).Member
		if !stopped.Stopped || c.Exclusion(weekly, stopped, tsunagu.Family{}) != Stopped {
			t.Errorf("member %+v is not kept from check-ins", stopped)
		}
		if a := turn.Alerts()[0]; a.Severity != tsunagu.SeverityInfo || a.FamilyCode != "SIM-0001" {
			t.Errorf("alert = %+v", a)
		}
		// Again: the confirmation again, no second alert.
		m.session, m.member = nil, stopped
		turn, _ = c.Event(m, "sim-member", text("停止"), t1)
		if got := kinds(turn); got != "Said" {
			t.Errorf("again: %s", got)
		}
		// A risk word while stopped still gets the safety reply.
		turn, _ = c.Event(m, "sim-member", text("しにたい"), t1)
		if got := kinds(turn); !strings.HasPrefix(got, "RiskDetected Said AlertRaised") {
			t.Errorf("risk while stopped: %s", got)
		}
		turn, _ = c.Event(m, "sim-member", text("再開"), t1)
		if got := kinds(turn); got != "Said MemberChanged AlertRaised" || turn.Outcomes[1].(MemberChanged).Member.Stopped {
			t.Errorf("resume: %s", got)
		}
	})
	t.Run("a button labelled like a stop word is an answer", func(t *testing.T) {
		f := mustParse(t, `
id: q
title: q
steps:
  - {id: go, say: つづける？, choices: [{label: つづける, value: "yes"}, {label: やめる, value: "no"}]}
`)
		c := newConv(f)
		m := member(f, SimOptions{})
		m.session = f.Start("s1", "sim-member", t0, Env{}).Session
		turn, _ := c.Event(m, "sim-member", text("やめる"), t1)
		for _, o := range turn.Outcomes {
			if e, ok := o.(SessionEnded); ok && e.Why != EndCompleted {
				t.Errorf("ended %s, want completed with the answer no", e.Why)
			}
		}
	})
	t.Run("unfollow and follow again are signals for supporters", func(t *testing.T) {
		m := member(weekly, SimOptions{})
		turn, _ := c.Event(m, "sim-member", tsunagu.Inbound{Kind: tsunagu.InboundUnfollow}, t1)
		if got := kinds(turn); got != "MemberChanged AlertRaised" || !turn.Outcomes[0].(MemberChanged).Member.Blocked {
			t.Fatalf("unfollow: %s", got)
		}
		m.member.Blocked = true
		turn, _ = c.Event(m, "sim-member", tsunagu.Inbound{Kind: tsunagu.InboundFollow, ReplyToken: "r"}, t1)
		if got := kinds(turn); got != "Said MemberChanged AlertRaised" {
			t.Fatalf("follow: %s", got)
		}
	})
	t.Run("after declining: nothing but safety, until they ask to join", func(t *testing.T) {
		m := member(signup, SimOptions{})
		m.member.Consent = "no"
		m.simFacts.flows = catalog{weekly, signup}
		for _, ev := range []tsunagu.Inbound{text("こんにちは"), {Kind: tsunagu.InboundMedia}, {Kind: tsunagu.InboundPostback, Data: "x"}} {
			turn, _ := c.Event(m, "sim-member", ev, t1)
			if len(turn.Outcomes) != 0 {
				t.Errorf("%s: %s", ev.Kind, kinds(turn))
			}
		}
		turn, _ := c.Event(m, "sim-member", text("たすけて"), t1)
		if got := kinds(turn); got != "RiskDetected Said AlertRaised" {
			t.Errorf("risk: %s", got)
		}
		turn, _ = c.Event(m, "sim-member", text("やっぱり参加します"), t1)
		if got := kinds(turn); got != "SessionStarted Said" || turn.Outcomes[0].(SessionStarted).Session.FlowID != "signup" {
			t.Errorf("join: %s", got)
		}
	})
}
