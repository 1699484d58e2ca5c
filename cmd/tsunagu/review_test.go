package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot"
	"github.com/tsunagu/tsunagu/storage"
)

// TestEventThatCannotSucceed: a session whose flow version is gone (its
// step no longer exists) must not make LINE redeliver forever: the
// session ends as missed and the message is handled as outside a flow.
func TestEventThatCannotSucceed(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	id := tsunagu.UserHash(user)
	err := h.main.Store.Apply(context.Background(), "", id, func(*storage.State) (*storage.Change, error) {
		return &storage.Change{Session: &tsunagu.Session{
			ID: "s-gone", MemberID: id, FlowID: "test-checkin", FlowHash: "0000", Step: "a-step-since-deleted",
			Status: tsunagu.SessionWaiting, StartedAt: time.Now(), UpdatedAt: time.Now(),
		}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := h.line.Text(user, "こんにちは")
	if code := h.deliver(ev); code != http.StatusOK {
		t.Fatalf("webhook answered %d, want 200", code)
	}
	h.next(user, "サポーターさんに伝えました")
	if hist := h.history(user); len(hist) != 1 || hist[0].Status != tsunagu.SessionMissed {
		t.Fatalf("history: %+v", hist)
	}
}

// TestWaitingCheckInRespectsQuietHours: a check-in that waited for another
// one to end starts when that one expires, but not with a push in the
// middle of the night.
func TestWaitingCheckInRespectsQuietHours(t *testing.T) {
	clock := newTestClock(thursday)
	dir := t.TempDir()
	weekly := readFile(t, "testdata/scheduled/weekly.yaml")
	weekly = strings.Replace(weekly, "expires_after: 24h", "expires_after: 5h", 1) // 17:00 + 5h = 22:00
	weekly = strings.Replace(weekly, "after: 2h", "after: 1h", 1)
	writeFlow(t, dir, "weekly.yaml", weekly)
	writeFlow(t, dir, "test-checkin.yaml", readFile(t, "testdata/flows/test-checkin.yaml"))
	h := newHarness(t, dir, withClock(clock), withEnv("TSUNAGU_QUIET_HOURS", "21:00-08:00"))
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.settle()

	clock.Set(friday(0, 17, 0).Add(time.Second))
	h.next(user, "今週はどうだった？")
	out := h.mustCLI("send", "test-checkin", "--family", "F-0001")
	if !strings.Contains(out, "waiting") {
		t.Fatalf("send while another flow is open: %q", out)
	}
	clock.Set(friday(0, 22, 0).Add(time.Second)) // the weekly one expires, in quiet hours
	h.settle()
	if countText(h.received(user), "今週の気分はどう？") != 0 {
		t.Fatal("the waiting check-in was pushed in quiet hours")
	}
	clock.Set(friday(0, 8, 0).Add(24 * time.Hour)) // Saturday 08:00
	h.next(user, "今週の気分はどう？")
}

// TestDispatchRunsTwice: a dispatch run again (a crash, a slow replica)
// starts nobody twice and raises one quota warning, not two.
func TestDispatchRunsTwice(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	for range 3 {
		h.enrol("F-0001", tsunagu.RoleChild)
	}
	// The last welcome reply can be on its way still (delivered, not yet
	// marked done): the quota check counts the outbox, so wait for it.
	h.settle()
	h.line.SetQuota(200)
	h.line.SetUsage(198)
	d := bot.Dispatch{FlowID: "test-checkin", Family: "F-0001", Key: "twice", At: time.Now()}
	first, err := h.main.Bot.Dispatch(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	// Let the first run's pushes land. (Without this the second run can
	// start the member the first left over quota: bot.quota reads LINE's
	// count, then the outbox, and a push delivered in between is counted
	// in neither. Reading the outbox first would err on the safe side;
	// left to the bot/ refactor, see the faults branch report.)
	h.settle()
	second, err := h.main.Bot.Dispatch(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if first.Counts[bot.SentStarted] != 2 || first.Counts[bot.SentOverQuota] != 1 {
		t.Fatalf("first run: %v", first.Counts)
	}
	if second.Counts[bot.SentDuplicate] != 2 || second.Counts[bot.SentStarted] != 0 {
		t.Fatalf("second run: %v, want the two already started as duplicates", second.Counts)
	}
	h.settle()
	alerts, _ := h.main.Store.Alerts(context.Background(), 10)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want one quota warning", len(alerts))
	}
}
