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
	"github.com/tsunagu/tsunagu/internal/parity"
)

// TestSimulatorParity plays the same scripts through `tsunagu simulate`'s
// engine and through the running service (signed webhooks, the CLI's
// send, a moving clock, fake LINE and Slack), and compares what the member
// receives and the alerts supporters get, one by one.
func TestSimulatorParity(t *testing.T) {
	scenarios, err := parity.Load("../../flows/testdata/parity/scenarios.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := "../../flows/testdata/parity"
	start := time.Date(2026, 6, 3, 1, 0, 0, 0, time.UTC) // a Wednesday, 10:00 in Tokyo: no digest nearby

	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			clock := newTestClock(start)
			h := newHarness(t, dir, withClock(clock))
			h.roster("F-0001,,U0SUPPORT")

			// The service: enrol, answer the sign-up, then play the script.
			p := &parityRun{h: h, clock: clock}
			p.user = h.enrol("F-0001", tsunagu.RoleChild)
			p.quiesce()
			if sc.Decline {
				p.mark()
				p.from-- // the sign-up's first question came with the enrolment
				for !strings.Contains(h.received(p.user)[p.from].Text, "つなぐへようこそ") {
					p.from--
				}
			} else {
				p.tap(1)
				p.mark()
				h.mustCLI("send", sc.Flow, "--family", "F-0001")
				p.quiesce()
			}
			for _, step := range strings.Split(sc.Script, "|") {
				p.do(step, sc.Flow)
			}

			// The simulator, with the programme's words and flows.
			c := h.main.Config
			texts, risk, safety, err := programme(&c)
			if err != nil {
				t.Fatal(err)
			}
			f := h.main.Bot.Flows.Get(sc.Flow)
			tr, err := flows.Simulate(io.Discard, f, flows.ScriptedAnswers(sc.Script), flows.SimOptions{
				JSON: true, Now: start, Role: tsunagu.RoleChild, Texts: texts, Risk: risk, Safety: safety,
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
			if len(simMsgs) == 0 || len(simAlerts) < sc.Alerts {
				t.Fatalf("the scenario shows too little: %d messages, %d alerts (want at least %d)", len(simMsgs), len(simAlerts), sc.Alerts)
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
		// The next check-in arrives, as the schedule's next occurrence
		// brings it: an open one of the flow ends as missed first.
		// A member who is not to get it (stopped) makes send exit 1.
		if out, errs, code := h.cli("send", flow, "--family", "F-0001", "--replace"); code != 0 && !strings.Contains(errs, "nobody will receive") {
			h.t.Fatalf("tsunagu send %s: exit %d\n%s%s", flow, code, out, errs)
		}
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

// quiesce waits until the service has done everything due by the
// scenario's clock.
func (p *parityRun) quiesce() {
	if p.now.IsZero() {
		p.now = p.h.clock.Now()
	}
	p.h.quiesce(p.now)
}

// quiesce waits until the service has done everything that is due by now
// (callers pass the service's clock's time). settle does it by condition:
// looking twice in a row for empty streams and no due timer could be
// fooled, on a busy machine, by a timer forwarded and finished between
// the two looks (a reply then overtook the next check-in's push).
func (h *harness) quiesce(time.Time) {
	h.t.Helper()
	h.settle()
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
