package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// TestRedeliveryStorm: eight members answer a check-in and write twice
// outside it, all at once; every fifth event is delivered twice — half of
// those by two deliveries at the same moment, half redelivered after the
// member's next event (when it is also stale). The books: each member gets
// each question and the thanks once, one acknowledgement per message, each
// message reaches Slack once, and the only pushes are the first questions.
func TestRedeliveryStorm(t *testing.T) {
	h := newHarness(t, "", withEnv("TSUNAGU_THREAD_WINDOW", "off"))
	const families = 8
	var rows []string
	for i := range families {
		rows = append(rows, fmt.Sprintf("F-%04d,,", i))
	}
	h.roster(rows...)
	users := make([]string, families)
	firsts := make([]fakeline.Msg, families)
	for i := range families {
		users[i] = h.enrol(fmt.Sprintf("F-%04d", i), tsunagu.RoleChild)
	}
	for i := range families {
		h.mustCLI("send", "test-checkin", "--family", fmt.Sprintf("F-%04d", i))
		firsts[i] = h.next(users[i], "今週の気分はどう？")
	}
	h.settle()
	pushesBefore := len(h.line.Pushes())

	n := 0 // events so far, across members: every fifth is doubled
	type step struct {
		ev   fakeline.Event
		mode int // 0 once, 1 twice at once, 2 again after the next event
	}
	plans := make([][]step, families)
	for i, u := range users {
		evs := []fakeline.Event{
			h.line.Postback(u, dataFor(t, firsts[i], "いい")),
			h.line.Text(u, "7"),
			h.line.Text(u, fmt.Sprintf("ひとこと%02d-a", i)),
			h.line.Text(u, fmt.Sprintf("ひとこと%02d-b", i)),
		}
		for _, ev := range evs {
			mode := 0
			if n%5 == 0 {
				mode = 1 + (n/5)%2
			}
			n++
			plans[i] = append(plans[i], step{ev, mode})
		}
	}

	var wg sync.WaitGroup
	for _, plan := range plans {
		wg.Go(func() {
			var later []fakeline.Event
			deliver := func(ev fakeline.Event) {
				if _, err := redeliverUntilOK(h, ev); err != nil {
					t.Error(err)
				}
			}
			for _, s := range plan {
				switch s.mode {
				case 1:
					var both sync.WaitGroup
					both.Go(func() { deliver(s.ev) })
					both.Go(func() { deliver(fakeline.Redelivered(s.ev)) })
					both.Wait()
				default:
					deliver(s.ev)
				}
				for _, ev := range later {
					deliver(fakeline.Redelivered(ev))
				}
				later = later[:0]
				if s.mode == 2 {
					later = append(later, s.ev)
				}
			}
			for _, ev := range later {
				deliver(fakeline.Redelivered(ev))
			}
		})
	}
	wg.Wait()
	h.settle()

	msgs := h.slack.Messages(fakeslack.Channel)
	for i, u := range users {
		got := h.received(u)
		for want, count := range map[string]int{"元気度": 1, "ありがとう！またね。": 1, "サポーターさんに伝えました": 2} {
			if c := countText(got, want); c != count {
				t.Errorf("member %d got %q %d times, want %d: %v", i, want, c, count, texts(got))
			}
		}
		for _, suffix := range []string{"a", "b"} {
			text := fmt.Sprintf("ひとこと%02d-%s", i, suffix)
			c := 0
			for _, m := range msgs {
				if strings.Contains(fakeslack.BlocksText(m.Blocks), text) {
					c++
				}
			}
			if c != 1 {
				t.Errorf("message %q is in %d Slack alerts, want 1", text, c)
			}
		}
		if hist := h.history(u); len(hist) != 1 || hist[0].Status != tsunagu.SessionCompleted {
			t.Errorf("member %d history: %+v", i, hist)
		}
	}
	if got := len(h.line.Pushes()); got != pushesBefore {
		t.Errorf("%d pushes during the storm, want none (every answer is a reply)", got-pushesBefore)
	}
	t.Logf("%d events, %d of them delivered twice", n, (n+4)/5)
}

// TestLineErrorsDrill: LINE answers a dispatch's pushes with 429 (with
// Retry-After), then 500, and the members' replies with 500, and some
// pushes take effect but lose their response. The books: each member gets
// the first question once (by one push) and the next question once (by
// reply, or by push when the reply failed); the lost responses come back
// as 409s for their retry keys, never as a second message.
func TestLineErrorsDrill(t *testing.T) {
	h := newHarness(t, "")
	const families = 8
	var rows []string
	for i := range families {
		rows = append(rows, fmt.Sprintf("F-%04d,,", i))
	}
	h.roster(rows...)
	users := make([]string, families)
	for i := range families {
		users[i] = h.enrol(fmt.Sprintf("F-%04d", i), tsunagu.RoleChild)
	}
	h.settle()

	h.line.FailNext(fakeline.PathPush, http.StatusTooManyRequests, 6, 200*time.Millisecond)
	h.line.FailNext(fakeline.PathPush, http.StatusInternalServerError, 6)
	h.line.LoseNextResponse(fakeline.PathPush, 2)
	for i := range families {
		h.mustCLI("send", "test-checkin", "--family", fmt.Sprintf("F-%04d", i))
	}
	firsts := make([]fakeline.Msg, families)
	for i, u := range users {
		firsts[i] = h.next(u, "今週の気分はどう？")
	}
	h.line.FailNext(fakeline.PathReply, http.StatusInternalServerError, 4)
	for i, u := range users {
		h.mustDeliver(h.line.Postback(u, dataFor(t, firsts[i], "いい")))
	}
	for _, u := range users {
		h.next(u, "元気度")
	}
	h.settle()

	// First questions go by push (a reply whose request failed goes by
	// push too, so other pushes are expected): one each.
	perUser := map[string]int{}
	for _, p := range h.line.Pushes() {
		if countText(p.Messages, "今週の気分はどう？") > 0 {
			perUser[p.To]++
		}
	}
	for i, u := range users {
		if perUser[u] != 1 {
			t.Errorf("member %d got the first question by %d pushes, want 1", i, perUser[u])
		}
		got := h.received(u)
		if countText(got, "今週の気分はどう？") != 1 || countText(got, "元気度") != 1 {
			t.Errorf("member %d: %v", i, texts(got))
		}
	}
	if c := h.line.Conflicts(); c != 2 {
		t.Errorf("%d retry-key conflicts (409), want 2: one per lost response", c)
	}
	t.Logf("push requests %d for %d pushes; reply requests %d", h.line.Requests(fakeline.PathPush), families, h.line.Requests(fakeline.PathReply))
}
