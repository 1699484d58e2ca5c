package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
	"github.com/tsunagu/tsunagu/storage"
)

var tokyo = mustLoad("Asia/Tokyo")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// A Thursday noon in Tokyo, before the real now, so that reply tokens of
// events built with the wall clock are still fresh on this clock.
var thursday = time.Date(2026, 11, 12, 12, 0, 0, 0, tokyo)

func friday(week int, hh, mm int) time.Time {
	return time.Date(2026, 11, 13+7*week, hh, mm, 0, 0, tokyo)
}

// TestScheduledCheckIn walks two weeks on a moved clock: the Friday 17:00
// check-in goes out by push once, a reminder follows two hours later, the
// session expires after a day as missed, and the second miss in a row
// raises one outreach alert with the streak and the last answer's date.
func TestScheduledCheckIn(t *testing.T) {
	clock := newTestClock(thursday)
	h := newHarness(t, "testdata/scheduled", withClock(clock))
	h.roster("F-0001,,U0SUPPORT")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.settle() // the first look at the schedule starts from now

	clock.Set(friday(0, 17, 0).Add(time.Second))
	q := h.waitText(user, "今週はどうだった？")
	clock.Set(friday(0, 19, 0).Add(time.Second))
	h.waitText(user, "まだ答えてないよ")
	clock.Set(friday(0, 21, 0))
	h.settle()
	if got := countText(h.received(user), "まだ答えてないよ"); got != 1 {
		t.Fatalf("%d reminders, want 1", got)
	}

	// Week 1: no answer; expiry the next day ends it as missed.
	clock.Set(friday(1, 16, 0))
	h.settle()
	hist := h.history(user)
	if len(hist) != 1 || hist[0].Status != tsunagu.SessionMissed {
		t.Fatalf("history after a day: %+v", hist)
	}
	if n := len(h.slack.Messages(fakeslack.Channel)); n != 0 {
		t.Fatalf("%d alerts after one miss, want none", n)
	}

	// Week 2: missed again, after its reminder; the streak of 2 raises
	// one alert.
	n := len(h.received(user))
	clock.Set(friday(1, 17, 0).Add(time.Second))
	h.waitCount(user, n+1)
	clock.Set(friday(1, 19, 0).Add(time.Second))
	h.waitCount(user, n+2)
	clock.Set(friday(2, 16, 0))
	alert := fakeslack.BlocksText(h.slackMessages(1)[0].Blocks)
	for _, want := range []string{"2回つづけて答えがありません", "2回", "まだありません", "<@U0SUPPORT>"} {
		if !strings.Contains(alert, want) {
			t.Errorf("streak alert lacks %q:\n%s", want, alert)
		}
	}

	// An answer to an old question does nothing; one to the new one
	// completes it, and the reminder set for it does nothing after.
	clock.Set(friday(2, 17, 0).Add(time.Second))
	n = len(h.received(user))
	q = h.waitCount(user, n+1)[n]
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "いい")))
	h.waitText(user, "ありがとう！")
	clock.Set(friday(2, 19, 30))
	h.settle()
	if got := countText(h.received(user), "まだ答えてないよ"); got != 2 {
		t.Fatalf("%d reminders in all, want 2 (weeks 0 and 1; week 2 was answered)", got)
	}
	clock.Set(friday(3, 16, 0))
	h.settle()
	if n := len(h.slack.Messages(fakeslack.Channel)); n != 1 {
		t.Fatalf("%d alerts, want the one streak alert only", n)
	}
}

// TestQuietHours: an occurrence at 22:00 waits for the end of quiet hours.
func TestQuietHours(t *testing.T) {
	clock := newTestClock(thursday)
	dir := t.TempDir()
	writeFlow(t, dir, "late.yaml", strings.Replace(readFile(t, "testdata/scheduled/weekly.yaml"), `"0 17 * * 5"`, `"0 22 * * 5"`, 1))
	h := newHarness(t, dir, withClock(clock), withEnv("TSUNAGU_QUIET_HOURS", "21:00-08:00"))
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.settle()
	n := len(h.received(user))
	clock.Set(friday(0, 22, 0).Add(time.Second))
	h.settle()
	clock.Set(friday(0, 23, 59))
	h.settle()
	if len(h.received(user)) != n {
		t.Fatalf("a push went out in quiet hours: %v", texts(h.received(user)[n:]))
	}
	clock.Set(friday(1, 8, 0).Add(-7 * 24 * time.Hour).Add(24 * time.Hour)) // Saturday 08:00
	h.waitText(user, "今週はどうだった？")
}

// TestReplicasDispatchOnce: three services on one Redis, one occurrence,
// thirty members: each gets exactly one first push.
func TestReplicasDispatchOnce(t *testing.T) {
	clock := newTestClock(thursday)
	first := newHarness(t, "testdata/scheduled", withClock(clock))
	replicas := []*harness{first,
		newHarness(t, "testdata/scheduled", withClock(clock), replicaOf(first)),
		newHarness(t, "testdata/scheduled", withClock(clock), replicaOf(first)),
	}
	var rows []string
	for i := range 30 {
		rows = append(rows, fmt.Sprintf("F-%04d,,", i))
	}
	first.roster(rows...)
	var users []string
	for i := range 30 {
		users = append(users, replicas[i%3].enrol(fmt.Sprintf("F-%04d", i), tsunagu.RoleChild))
	}
	for _, r := range replicas {
		r.settle()
	}
	clock.Set(friday(0, 17, 0).Add(time.Second))
	eventually(t, func() bool { return len(first.line.Pushes()) >= 30 }, "30 pushes")
	for _, r := range replicas {
		r.settle()
	}
	if got := len(first.line.Pushes()); got != 30 {
		t.Fatalf("%d pushes, want 30", got)
	}
	for _, u := range users {
		if got := countText(first.received(u), "今週はどうだった？"); got != 1 {
			t.Fatalf("a member got the check-in %d times", got)
		}
	}
}

// TestRestartKeepsTimers: a reminder due while no service runs is sent by
// the next one to start.
func TestRestartKeepsTimers(t *testing.T) {
	clock := newTestClock(thursday)
	a := newHarness(t, "testdata/scheduled", withClock(clock))
	a.roster("F-0001,,")
	user := a.enrol("F-0001", tsunagu.RoleChild)
	a.settle()
	clock.Set(friday(0, 17, 0).Add(time.Second))
	a.waitText(user, "今週はどうだった？")
	if err := a.main.Close(); err != nil {
		t.Fatal(err)
	}
	clock.Set(friday(0, 19, 0).Add(time.Second))
	b := newHarness(t, "testdata/scheduled", withClock(clock), replicaOf(a))
	b.waitText(user, "まだ答えてないよ")
}

// settle lets the service's loops run a few ticks on the current clock.
// settle waits until everything due on the service's clock is done. It
// ticks the scheduler itself, so the schedules have been looked at at the
// clock's time however busy the machine is (the background tick may not
// have run yet), and waits by condition, not for a time: the timer, LINE
// and Slack streams are empty (an entry leaves its stream only when its
// work is done), no due timer is left to forward, and nothing was added
// to any stream meanwhile (the background tick and workers keep running:
// a timer they forwarded and finished between two looks would otherwise
// go unseen, and with it the timers it left due).
func (h *harness) settle() {
	h.t.Helper()
	ctx := context.Background()
	st := h.main.Store
	outboxes := []*storage.Outbox{st.TimerOutbox(), st.LineOutbox(), st.SlackOutbox(), st.SlackUrgentOutbox()}
	// look returns how many entries the streams ever had, or false when
	// one is not empty (or Redis did not answer).
	look := func() (int64, bool) {
		var added int64
		for _, o := range outboxes {
			if n, err := o.Len(ctx); err != nil || n != 0 {
				return 0, false
			}
			a, err := o.Added(ctx)
			if err != nil {
				return 0, false
			}
			added += a
		}
		return added, true
	}
	eventually(h.t, func() bool {
		if err := h.main.Scheduler.Tick(ctx); err != nil {
			return false
		}
		before, ok := look()
		if !ok {
			return false
		}
		now := h.main.Scheduler.Clock.Now()
		if n, err := st.ForwardTimers(ctx, now, h.main.Scheduler.Quiet.In(now)); err != nil || n != 0 {
			return false
		}
		after, ok := look()
		return ok && after == before
	}, "everything due to be done")
}

// timersDone waits until every timer due on the service's clock has been
// handled (the work it queued for LINE and Slack may still be under way),
// the way settle does for the timer stream alone.
func (h *harness) timersDone() {
	h.t.Helper()
	ctx := context.Background()
	st, timers := h.main.Store, h.main.Store.TimerOutbox()
	look := func() (int64, bool) {
		if n, err := timers.Len(ctx); err != nil || n != 0 {
			return 0, false
		}
		a, err := timers.Added(ctx)
		return a, err == nil
	}
	eventually(h.t, func() bool {
		if err := h.main.Scheduler.Tick(ctx); err != nil {
			return false
		}
		before, ok := look()
		if !ok {
			return false
		}
		now := h.main.Scheduler.Clock.Now()
		if n, err := st.ForwardTimers(ctx, now, h.main.Scheduler.Quiet.In(now)); err != nil || n != 0 {
			return false
		}
		after, ok := look()
		return ok && after == before
	}, "the due timers to be handled")
}

// waitPosted waits until n alerts are recorded as posted to Slack (Slack
// shows a post a moment before the poster has recorded it).
func (h *harness) waitPosted(n int) {
	h.t.Helper()
	eventually(h.t, func() bool {
		alerts, err := h.main.Store.Alerts(context.Background(), 100)
		if err != nil {
			return false
		}
		posted := 0
		for _, a := range alerts {
			if a.TS != "" {
				posted++
			}
		}
		return posted >= n
	}, "%d alerts recorded as posted", n)
}

func (h *harness) history(user string) []tsunagu.Session {
	h.t.Helper()
	hist, err := h.main.Store.History(context.Background(), tsunagu.UserHash(user))
	if err != nil {
		h.t.Fatal(err)
	}
	return hist
}

func countText(ms []fakeline.Msg, s string) int {
	n := 0
	for _, m := range ms {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFlow(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestScheduleCommand(t *testing.T) {
	clock := newTestClock(thursday)
	h := newHarness(t, "testdata/scheduled", withClock(clock))
	h.roster("F-0001,,", "F-0002,,")
	h.enrol("F-0001", tsunagu.RoleChild)
	h.enrol("F-0002", tsunagu.RoleGuardian)
	out := h.mustCLI("schedule")
	for _, want := range []string{"weekly", "2026-11-13(金) 17:00, 2026-11-20(金) 17:00", "  1  ", "not in audience 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("schedule lacks %q:\n%s", want, out)
		}
	}
	out = h.mustCLI("schedule", "--dry-run", "weekly")
	if !strings.Contains(out, "F-0001  child") || !strings.Contains(out, "yes") || !strings.Contains(out, "F-0002  guardian") || !strings.Contains(out, "not in audience") {
		t.Errorf("dry run:\n%s", out)
	}
}

// TestQuota: a dispatch that would exceed the month's quota serves members
// in a stable order, records the rest as not sent, and warns supporters.
func TestQuota(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	var users []string
	for range 3 {
		users = append(users, h.enrol("F-0001", tsunagu.RoleChild))
	}
	h.line.SetQuota(200)
	h.line.SetUsage(199)
	var res struct {
		Counts map[string]int `json:"counts"`
	}
	mustJSON(t, h.mustCLI("send", "test-checkin", "--family", "F-0001", "--json"), &res)
	if res.Counts["started"] != 1 || res.Counts["over quota"] != 2 {
		t.Fatalf("counts = %v, want 1 started and 2 over quota", res.Counts)
	}
	text := fakeslack.BlocksText(h.slackMessages(1)[0].Blocks)
	if !strings.Contains(text, "2人にチェックインを送れませんでした") || !strings.Contains(text, "200 / 199") {
		t.Errorf("quota alert:\n%s", text)
	}
	eventually(t, func() bool { return len(h.line.Pushes()) == 1 }, "one push")
}
