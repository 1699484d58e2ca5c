package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
)

// The flows of the parity scenarios: a sign-up with consent, a weekly
// check-in with a branch, a number, reminders, expiry and a missed streak,
// and a flow started by a keyword.
const (
	paritySignup = `
id: signup
title: 登録
on: enrol
audience: {roles: [child, guardian]}
steps:
  - id: consent
    say: [つなぐへようこそ, 答えはサポーターさんだけが見ます。はじめていい？]
    choices: [{label: はい、はじめる, value: "yes"}, {label: やめておく, value: "no"}]
alerts:
  - {if: 'consent == "no"', severity: info, note: 参加しないを選びました}
done: ありがとう
`
	parityWeekly = `
id: weekly
title: 毎週のチェックイン
audience: {roles: [child]}
expires_after: 24h
reminders: [{after: 3h, say: まだ間に合うよ}]
missed: {streak: 2, severity: warning, note: 2回つづけて答えがありません}
steps:
  - id: mood
    say: 今週はどうだった？
    choices: [{label: いい, value: good}, {label: よくない, value: bad, next: why}]
  - id: energy
    say: 元気は0から10でどれくらい？
    number: {min: 0, max: 10}
    next: end
  - id: why
    say: 「{{answers.mood}}」だったんだね。なにがあった？
    text: {max_length: 200}
    next: energy
alerts:
  - {if: 'mood == "bad"', severity: warning, note: 気分がよくない}
  - {if: 'energy <= 2', severity: urgent, when: answered, note: 元気がとても低い}
done: ありがとう！またね
`
	parityTalk = `
id: talk
title: 話したい
on: {keyword: [話したい]}
audience: {roles: [child, guardian]}
steps:
  - id: topic
    say: どんなことを話したい？
    text: {max_length: 300}
alerts:
  - {if: 'true', severity: warning, note: 話したいと連絡がありました}
done: サポーターさんに伝えたよ
`
)

// TestSimulatorParity plays the same scripts through `tsunagu simulate`'s
// engine and through the running service (signed webhooks, the CLI's
// send, a moving clock, fake LINE and Slack), and compares what the member
// receives and the alerts supporters get, one by one.
func TestSimulatorParity(t *testing.T) {
	scenarios := []struct {
		name    string
		flow    string // the flow started; signup is entered by enrolling
		script  string // answers in the simulator's language: numbers tap buttons
		decline bool   // the member declines the sign-up consent
		alerts  int    // at least this many alerts: the scenario is what it says
	}{
		{name: "completed", flow: "weekly", script: "1|7"},
		{name: "re-ask", flow: "weekly", script: "1|たくさん|7", alerts: 0},
		{name: "branch", flow: "weekly", script: "2|ともだちとけんかした|5", alerts: 1},
		{name: "risk word inside a check-in", flow: "weekly", script: "2|もうしにたい|1", alerts: 3},
		{name: "risk word outside a check-in", flow: "weekly", script: "1|7|消えたい", alerts: 1},
		{name: "missed streak reaches its threshold", flow: "weekly", script: ":wait 24h|:send|:wait 24h", alerts: 1},
		{name: "expiry with partial answers", flow: "weekly", script: "2|:wait 24h", alerts: 1},
		{name: "keyword-started flow", flow: "weekly", script: "1|7|話したい|がっこうのこと", alerts: 1},
		{name: "consent declined", flow: "signup", script: "2", decline: true, alerts: 1},
		{name: "superseded by the next check-in", flow: "weekly", script: "1|:send|2|いろいろ|3", alerts: 1},
	}
	dir := t.TempDir()
	writeFlow(t, dir, "signup.yaml", paritySignup)
	writeFlow(t, dir, "weekly.yaml", parityWeekly)
	writeFlow(t, dir, "talk.yaml", parityTalk)
	start := time.Date(2026, 6, 3, 1, 0, 0, 0, time.UTC) // a Wednesday, 10:00 in Tokyo: no digest nearby

	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			clock := newTestClock(start)
			h := newHarness(t, dir, withClock(clock))
			h.roster("F-0001,,U0SUPPORT")

			// The service: enrol, answer the sign-up, then play the script.
			p := &parityRun{h: h, clock: clock}
			p.user = h.enrol("F-0001", tsunagu.RoleChild)
			p.quiesce()
			if sc.decline {
				p.mark()
				p.from-- // the sign-up's first question came with the enrolment
				for !strings.Contains(h.received(p.user)[p.from].Text, "つなぐへようこそ") {
					p.from--
				}
			} else {
				p.tap(1)
				p.mark()
				h.mustCLI("send", sc.flow, "--family", "F-0001")
				p.quiesce()
			}
			for _, step := range strings.Split(sc.script, "|") {
				p.do(step, sc.flow)
			}

			// The simulator, with the programme's words and flows.
			c := h.main.Config
			texts, risk := programme(&c)
			f := h.main.Bot.Flows.Get(sc.flow)
			tr, err := flows.Simulate(io.Discard, f, flows.ScriptedAnswers(sc.script), flows.SimOptions{
				JSON: true, Now: start, Role: tsunagu.RoleChild, Texts: texts, Risk: risk,
				Location: c.Location(), Flows: h.main.Bot.Flows,
			})
			if err != nil {
				t.Fatal(err)
			}

			var simMsgs []string
			for _, ev := range tr.Events {
				if ev.Kind == flows.EventBot {
					simMsgs = append(simMsgs, message(ev.Text, ev.Buttons))
				}
			}
			var liveMsgs []string
			for _, m := range h.received(p.user)[p.from:] {
				liveMsgs = append(liveMsgs, message(m.Text, labels(m)))
			}
			compare(t, "message to the member", simMsgs, liveMsgs)

			var simAlerts []string
			for _, a := range tr.Alerts {
				simAlerts = append(simAlerts, alertLine(a.Severity, a.Reason, a.Answers))
			}
			live := p.alerts()
			var liveAlerts []string
			for _, a := range live {
				liveAlerts = append(liveAlerts, alertLine(a.Severity, a.Reason, a.Answers))
			}
			slices.Sort(simAlerts) // alerts of one turn share a time: compare them as a set
			slices.Sort(liveAlerts)
			compare(t, "alert", simAlerts, liveAlerts)
			if len(simMsgs) == 0 || len(simAlerts) < sc.alerts {
				t.Fatalf("the scenario shows too little: %d messages, %d alerts (want at least %d)", len(simMsgs), len(simAlerts), sc.alerts)
			}
			t.Logf("%d messages and %d alerts alike", len(simMsgs), len(simAlerts))
			eventually(t, func() bool {
				for _, a := range p.alerts() {
					if a.TS == "" && a.GroupOf == "" {
						return false
					}
				}
				return true
			}, "every alert to be posted to Slack")
		})
	}
}

// parityRun plays a simulator script against the running service.
type parityRun struct {
	h      *harness
	clock  interface{ Set(time.Time) }
	user   string
	from   int             // the member's messages before the scenario
	before map[string]bool // alerts before the scenario
	now    time.Time
}

// mark notes where the scenario starts: messages and alerts after this
// are compared.
func (p *parityRun) mark() {
	p.from = len(p.h.received(p.user))
	p.before = map[string]bool{}
	for _, a := range p.allAlerts() {
		p.before[a.ID] = true
	}
}

func (p *parityRun) allAlerts() []tsunagu.Alert {
	as, err := p.h.main.Store.Alerts(context.Background(), 1000)
	if err != nil {
		p.h.t.Fatal(err)
	}
	return as
}

// alerts are those raised since mark.
func (p *parityRun) alerts() []tsunagu.Alert {
	var out []tsunagu.Alert
	for _, a := range p.allAlerts() {
		if !p.before[a.ID] {
			out = append(out, a)
		}
	}
	return out
}

// do plays one step of a script as LINE, the clock or a coordinator
// would bring it.
func (p *parityRun) do(step, flow string) {
	h := p.h
	switch {
	case strings.HasPrefix(step, ":wait "):
		d, err := time.ParseDuration(strings.TrimPrefix(step, ":wait "))
		if err != nil {
			h.t.Fatal(err)
		}
		// An hour at a time, as timers would fire on a live clock: each
		// reminder before the expiry that follows it.
		for end := p.now.Add(d); p.now.Before(end); {
			p.now = p.now.Add(time.Hour)
			p.clock.Set(p.now)
			p.quiesce()
		}
	case step == ":send":
		h.mustCLI("send", flow, "--family", "F-0001")
		p.quiesce()
	default:
		// As the simulator reads it: a number taps a button of the
		// question that waits, when it has buttons; else it is typed.
		if ms := h.received(p.user); len(ms) > 0 {
			if n, err := strconv.Atoi(step); err == nil && n >= 1 && n <= len(ms[len(ms)-1].QuickReplies) {
				p.tap(n)
				return
			}
		}
		h.mustDeliver(h.line.Text(p.user, step))
		p.quiesce()
	}
}

// tap taps button n of the latest message with buttons.
func (p *parityRun) tap(n int) {
	ms := p.h.received(p.user)
	for i := len(ms) - 1; i >= 0; i-- {
		if len(ms[i].QuickReplies) > 0 {
			p.h.mustDeliver(p.h.line.Postback(p.user, ms[i].QuickReplies[n-1].Data))
			p.quiesce()
			return
		}
	}
	p.h.t.Fatalf("no message with buttons to tap %d", n)
}

// quiesce waits until the service has done everything that is due: no
// timer due and unforwarded, and every stream empty, seen twice in a row.
func (p *parityRun) quiesce() {
	h := p.h
	if p.now.IsZero() {
		p.now = h.clock.Now()
	}
	ctx := context.Background()
	quiet := 0
	eventually(h.t, func() bool {
		due, err := h.main.Store.DueTimers(ctx, p.now)
		if err != nil || due > 0 {
			quiet = 0
			return false
		}
		for _, o := range []interface {
			Len(context.Context) (int64, error)
		}{h.main.Store.TimerOutbox(), h.main.Store.LineOutbox(), h.main.Store.SlackOutbox(), h.main.Store.SlackUrgentOutbox()} {
			if n, err := o.Len(ctx); err != nil || n > 0 {
				quiet = 0
				return false
			}
		}
		quiet++
		return quiet >= 2
	}, "the service to finish what is due")
}

func message(text string, buttons []string) string {
	if len(buttons) == 0 {
		return text
	}
	return text + " [" + strings.Join(buttons, "|") + "]"
}

func alertLine(sev tsunagu.Severity, reason string, qa []tsunagu.QA) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", sev, reason)
	for _, x := range qa {
		fmt.Fprintf(&b, " / %s → %s", x.Question, x.Answer)
	}
	return b.String()
}

func compare(t *testing.T, what string, sim, live []string) {
	t.Helper()
	for i := range max(len(sim), len(live)) {
		var s, l string
		if i < len(sim) {
			s = sim[i]
		}
		if i < len(live) {
			l = live[i]
		}
		if s != l {
			t.Errorf("%s %d differs:\n  simulate: %q\n  serve:    %q", what, i+1, s, l)
		}
	}
}

