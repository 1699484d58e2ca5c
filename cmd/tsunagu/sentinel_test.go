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
	"github.com/tsunagu/tsunagu/internal/redistest"
)

// TestSentinelFailover: the service on Redis Sentinel (a real primary,
// replica and three sentinels) runs a check-in across a failover. The
// answer given before the switch is kept; while the primary switches, a
// member keeps writing, each message delivered as LINE does (redelivered
// until answered 200): no acknowledged message is lost (each is answered
// and reaches Slack), and the check-in then finishes on the new primary,
// with no restart of tsunagu.
func TestSentinelFailover(t *testing.T) {
	s := redistest.StartSentinel(t)
	// Each alert a message of its own, so that Slack can be counted per
	// message (a thread's first message shows its newest alert too).
	h := newHarness(t, "", withRedisURL(s.URL()), withEnv("TSUNAGU_THREAD_WINDOW", "off"))
	h.roster("F-0001,,", "F-0002,,")
	child := h.enrol("F-0001", tsunagu.RoleChild)
	talker := h.enrol("F-0002", tsunagu.RoleChild)
	h.mustCLI("send", "test-checkin", "--family", "F-0001")
	q := h.next(child, "今週の気分はどう？")
	h.mustDeliver(h.line.Postback(child, dataFor(t, q, "いい")))
	h.next(child, "元気度")

	acked := make(chan string, 1000)
	var mu sync.Mutex
	retried := map[string]bool{} // messages answered 503 at least once
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			text := fmt.Sprintf("きいて%03d", i)
			n, err := redeliverUntilOK(h, h.line.Text(talker, text))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			retried[text] = n > 1
			mu.Unlock()
			acked <- text
			time.Sleep(50 * time.Millisecond) // a steady trickle, not a flood: the books are per message
		}
	})
	before := waitAcked(t, acked, 3, nil)
	oldPrimary, newPrimary := s.Failover()
	during := waitAcked(t, acked, 5, nil) // some of these went through the switch
	close(stop)
	wg.Wait()
	close(acked)
	texts := append(append(before, during...), drain(acked)...)
	t.Logf("primary %s → %s; %d messages acknowledged across the switch", oldPrimary, newPrimary, len(texts))

	// The check-in goes on where it was.
	if _, err := redeliverUntilOK(h, h.line.Text(child, "7")); err != nil {
		t.Fatal(err)
	}
	h.next(child, "ありがとう！またね。")
	hist := h.history(child)
	if len(hist) != 1 || hist[0].Status != tsunagu.SessionCompleted || hist[0].Answers["mood"].Value != "good" {
		t.Fatalf("history after the failover: %+v", hist)
	}

	// The books: each acknowledged message answered and in Slack. None may
	// be missing (guarantee 1). A message delivered in the moment between
	// the promotion and the service following it can be handled twice:
	// its first delivery was committed on the old primary (and delivered
	// by a worker still connected to it) but answered 503 because no
	// replica confirmed it (WAIT); its redelivery is committed again on
	// the new primary (README, known limits). Such a double is logged; a
	// double of a message acknowledged at its first delivery fails. Work
	// done against the old primary after the promotion (a post and its
	// record) is lost with it and done again: one alert posted twice is
	// logged too.
	h.settle()
	msgs := h.slack.Messages(fakeslack.Channel)
	doubles := 0
	for _, text := range texts {
		posts, alerts := 0, map[string]bool{}
		for _, m := range msgs {
			if body := fakeslack.BlocksText(m.Blocks); strings.Contains(body, text) {
				posts++
				alerts[alertID(body)] = true
			}
		}
		switch {
		case posts == 0:
			t.Errorf("acknowledged message %q is in no Slack alert: lost", text)
		case len(alerts) > 1 && !retried[text]:
			t.Errorf("message %q, acknowledged at its first delivery, raised %d alerts", text, len(alerts))
		case len(alerts) > 1:
			doubles++
			t.Logf("message %q, redelivered across the switch, raised %d alerts", text, len(alerts))
		case posts > 1:
			// One alert, posted twice: the post was done against the old
			// primary, where its record was lost with the switch.
			t.Logf("the alert for %q was posted %d times", text, posts)
		}
	}
	if got := countText(h.received(talker), "サポーターさんに伝えました"); got < len(texts) || got > len(texts)+doubles {
		t.Errorf("%d acknowledgements sent for %d acknowledged messages (%d doubled at the switch)", got, len(texts), doubles)
	}
}

// redeliverUntilOK delivers ev as LINE does with redelivery on: again,
// marked as a redelivery, until the webhook answers 200. 503 is expected
// while Redis switches primaries; anything else is an error. It gives up
// after 20 s. It returns how many deliveries it took.
func redeliverUntilOK(h *harness, ev fakeline.Event) (int, error) {
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: 10 * time.Second}
	for n := 0; ; n++ {
		if n > 0 {
			ev = fakeline.Redelivered(ev)
		}
		res, err := client.Do(fakeline.WebhookRequest(h.url+"/line/webhook", lineSecret, fakeline.Body(ev)))
		if err != nil {
			return n + 1, err
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusOK:
			return n + 1, nil
		case http.StatusServiceUnavailable:
		default:
			return n + 1, fmt.Errorf("webhook answered %d", res.StatusCode)
		}
		if time.Now().After(deadline) {
			return n + 1, fmt.Errorf("webhook still 503 after %d deliveries", n+1)
		}
		// stop is not looked at here: a message given up mid-redelivery
		// would be neither acknowledged nor lost. Stop between messages.
		time.Sleep(20 * time.Millisecond) // LINE waits longer; any pause does
	}
}

func waitAcked(t *testing.T, acked <-chan string, n int, got []string) []string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for len(got) < n {
		select {
		case s := <-acked:
			got = append(got, s)
		case <-timeout:
			t.Fatalf("only %d messages acknowledged", len(got))
		}
	}
	return got
}

func drain(ch <-chan string) []string {
	var out []string
	for s := range ch {
		out = append(out, s)
	}
	return out
}

// alertID is the alert id a Slack alert message shows.
func alertID(body string) string {
	_, rest, _ := strings.Cut(body, "アラート ID: ")
	id, _, _ := strings.Cut(rest, "\n")
	return id
}
