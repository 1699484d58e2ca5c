package scheduler

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu/internal/redistest"
	"github.com/tsunagu/tsunagu/storage"
)

// Friday 2025-04-04 17:00 JST is an occurrence of "0 17 * * 5".
var friday17 = jst(2025, 4, 4, 17, 0)

func TestFirstLookDispatchesNothingFromThePast(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(srv)
	// Half an hour after an occurrence, well within catch-up: a flow seen
	// for the first time still does not replay it.
	clock := newClock(friday17.Add(30 * time.Minute))
	s := newScheduler(store, clock, flowSet{scheduledFlow(t, "weekly", "0 17 * * 5")}, newRecorder())

	mustTick(t, s)
	if got := forwarded(t, store); len(got) != 0 {
		t.Fatalf("first look forwarded %+v, want nothing", got)
	}
	if n := pending(t, store); n != 0 {
		t.Fatalf("first look left %d timers pending, want none", n)
	}
	last, err := store.LastLook(testCtx(t), "weekly", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !last.Equal(clock.Now()) {
		t.Fatalf("LastLook after first look = %v, want %v", last, clock.Now())
	}
}

func TestOccurrenceBetweenTicksDispatchedOnce(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(srv)
	clock := newClock(jst(2025, 4, 3, 12, 0)) // Thursday noon
	s := newScheduler(store, clock, flowSet{scheduledFlow(t, "weekly", "0 17 * * 5")}, newRecorder())

	mustTick(t, s) // first look
	clock.Set(friday17.Add(-time.Minute))
	mustTick(t, s)
	if got := forwarded(t, store); len(got) != 0 {
		t.Fatalf("before the occurrence: forwarded %+v", got)
	}
	clock.Set(friday17.Add(30 * time.Second))
	mustTick(t, s)
	clock.Set(friday17.Add(90 * time.Second))
	mustTick(t, s)
	mustTick(t, s)

	got := forwarded(t, store)
	if len(got) != 1 {
		t.Fatalf("forwarded %d timers (%+v), want exactly one dispatch", len(got), got)
	}
	tm := got[0]
	if tm.Kind != JobDispatch || tm.FlowID != "weekly" || tm.Schedule != 0 {
		t.Errorf("timer %+v, want a dispatch of weekly schedule 0", tm)
	}
	if !tm.Occurs.Equal(friday17) || !tm.Due.Equal(friday17) {
		t.Errorf("Occurs %v Due %v, want both %v", tm.Occurs, tm.Due, friday17)
	}
	if local := tm.Occurs.In(tokyo); local.Weekday() != time.Friday || local.Hour() != 17 || local.Minute() != 0 {
		t.Errorf("occurrence %v is not Friday 17:00 in Tokyo", local)
	}
	if tm.MemberID != "" || tm.SessionID != "" || tm.Family != "" || tm.Key != "" {
		t.Errorf("a scheduled dispatch carries no member, session, family or key: %+v", tm)
	}
	if n := pending(t, store); n != 0 {
		t.Errorf("%d timers still pending, want none", n)
	}

	// The next week's occurrence is the next one, once.
	clock.Set(friday17.Add(7*24*time.Hour + time.Minute))
	mustTick(t, s)
	got = forwarded(t, store)
	if len(got) != 1 || !got[0].Occurs.Equal(friday17.Add(7*24*time.Hour)) {
		t.Fatalf("next week: forwarded %+v, want one dispatch for %v", got, friday17.Add(7*24*time.Hour))
	}
}

// A schedule with its own zone is read in it, whatever the default.
func TestScheduleTimezoneOverridesDefault(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(srv)
	f := mustFlow(t, `
id: utcflow
title: UTC
schedule:
  - {cron: "0 9 * * *", timezone: UTC}
steps: [{id: a, say: a?, text: {}}]
`)
	clock := newClock(time.Date(2025, 4, 4, 8, 0, 0, 0, time.UTC))
	s := newScheduler(store, clock, flowSet{f}, newRecorder())
	mustTick(t, s)
	clock.Set(time.Date(2025, 4, 4, 9, 1, 0, 0, time.UTC))
	mustTick(t, s)
	got := forwarded(t, store)
	if want := time.Date(2025, 4, 4, 9, 0, 0, 0, time.UTC); len(got) != 1 || !got[0].Occurs.Equal(want) {
		t.Fatalf("forwarded %+v, want one dispatch at %v (09:00 UTC, not 09:00 JST)", got, want)
	}
}

func TestReplicasDispatchEachOccurrenceOnce(t *testing.T) {
	srv := redistest.Start(t)
	f := scheduledFlow(t, "hourly", "0 * * * *")
	clock := newClock(jst(2025, 4, 4, 9, 30))
	const replicas = 3
	var ss []*Scheduler
	for range replicas {
		ss = append(ss, newScheduler(newStore(srv), clock, flowSet{f}, newRecorder()))
	}
	mustTick(t, ss[0]) // first look

	const hours = 20
	var want []time.Time
	for h := range hours {
		occ := jst(2025, 4, 4, 10+h, 0)
		want = append(want, occ)
		clock.Set(occ.Add(time.Second))
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, replicas*2)
		for _, s := range ss {
			wg.Go(func() {
				<-start
				for range 2 { // a replica may tick again before the others finish
					errs <- s.Tick(context.Background())
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("Tick at %v: %v", occ, err)
			}
		}
	}

	got := occursOf(forwarded(t, newStore(srv)))
	slices.SortFunc(got, time.Time.Compare)
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Fatalf("%d replicas forwarded %d dispatches %v, want each of %d occurrences once: %v", replicas, len(got), got, len(want), want)
	}
}

func TestCatchUp(t *testing.T) {
	t.Run("missed by less than catch_up is still dispatched", func(t *testing.T) {
		srv := redistest.Start(t)
		store := newStore(srv)
		clock := newClock(friday17.Add(-time.Hour))
		s := newScheduler(store, clock, flowSet{scheduledFlow(t, "weekly", "0 17 * * 5")}, newRecorder())
		mustTick(t, s)
		clock.Set(friday17.Add(5*time.Hour + 59*time.Minute)) // down for almost 7h
		mustTick(t, s)
		got := forwarded(t, store)
		if len(got) != 1 || !got[0].Occurs.Equal(friday17) {
			t.Fatalf("forwarded %+v, want the dispatch for %v", got, friday17)
		}
	})

	t.Run("missed by exactly catch_up is still dispatched", func(t *testing.T) {
		srv := redistest.Start(t)
		store := newStore(srv)
		clock := newClock(friday17.Add(-time.Hour))
		s := newScheduler(store, clock, flowSet{scheduledFlow(t, "weekly", "0 17 * * 5")}, newRecorder())
		mustTick(t, s)
		clock.Set(friday17.Add(6 * time.Hour))
		mustTick(t, s)
		if got := forwarded(t, store); len(got) != 1 {
			t.Fatalf("forwarded %+v, want the dispatch for %v", got, friday17)
		}
	})

	t.Run("missed by more than catch_up is skipped", func(t *testing.T) {
		srv := redistest.Start(t)
		store := newStore(srv)
		clock := newClock(friday17.Add(-time.Hour))
		s := newScheduler(store, clock, flowSet{scheduledFlow(t, "weekly", "0 17 * * 5")}, newRecorder())
		mustTick(t, s)
		clock.Set(friday17.Add(6*time.Hour + time.Minute))
		mustTick(t, s)
		mustTick(t, s)
		if got := forwarded(t, store); len(got) != 0 {
			t.Fatalf("forwarded %+v, want nothing: the occurrence is older than catch_up", got)
		}
		if n := pending(t, store); n != 0 {
			t.Fatalf("%d timers pending, want none: the skipped occurrence is not claimed", n)
		}
		// Skipping it does not stop the schedule.
		next := friday17.Add(7 * 24 * time.Hour)
		clock.Set(next.Add(time.Minute))
		mustTick(t, s)
		if got := forwarded(t, store); len(got) != 1 || !got[0].Occurs.Equal(next) {
			t.Fatalf("next week: forwarded %+v, want one dispatch for %v", got, next)
		}
	})

	t.Run("several missed occurrences each once, old ones skipped", func(t *testing.T) {
		srv := redistest.Start(t)
		store := newStore(srv)
		clock := newClock(jst(2025, 4, 4, 10, 30))
		s := newScheduler(store, clock, flowSet{scheduledFlow(t, "hourly", "0 * * * *")}, newRecorder())
		mustTick(t, s)
		clock.Set(jst(2025, 4, 4, 20, 30)) // down for 10h
		mustTick(t, s)
		mustTick(t, s)
		clock.Set(jst(2025, 4, 4, 20, 45))
		mustTick(t, s)
		got := occursOf(forwarded(t, store))
		var want []time.Time
		for h := 15; h <= 20; h++ { // 14:00 and before are more than 6h late at 20:30
			want = append(want, jst(2025, 4, 4, h, 0))
		}
		if !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Fatalf("forwarded dispatches for %v, want each of %v once, in order", got, want)
		}
	})
}

// After a downtime longer than maxOccurrencesPerLook occurrences of a
// frequent schedule, the occurrences within catch_up are still claimed: the
// walk starts at the catch-up window, so old ones skipped as too late do
// not use up the bound.
func TestCatchUpAfterVeryLongDowntimeStillDispatchesRecentOccurrences(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(srv)
	clock := newClock(jst(2025, 4, 4, 10, 30))
	s := newScheduler(store, clock, flowSet{scheduledFlow(t, "hourly", "0 * * * *")}, newRecorder())
	mustTick(t, s)
	back := jst(2025, 4, 4, 10, 30).Add(60 * 24 * time.Hour) // 1,440 hourly occurrences later
	clock.Set(back)
	mustTick(t, s)
	got := occursOf(forwarded(t, store))
	var want []time.Time
	for i := 5; i >= 0; i-- {
		want = append(want, back.Add(-30*time.Minute-time.Duration(i)*time.Hour))
	}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Fatalf("after 60 days down, forwarded dispatches for %v, want the %d occurrences within catch_up: %v", got, len(want), want)
	}
}

func TestQuietHoursHoldPushTimers(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(srv)
	clock := newClock(jst(2025, 4, 4, 21, 0))
	s := newScheduler(store, clock, flowSet{scheduledFlow(t, "late", "30 21 * * *")}, newRecorder())
	s.Quiet = QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour, Location: tokyo}
	ctx := testCtx(t)

	mustTick(t, s) // first look, at 21:00
	reminderEarly := storage.Timer{Kind: JobReminder, Due: jst(2025, 4, 4, 20, 50), MemberID: "m1", SessionID: "s1"}
	reminderLate := storage.Timer{Kind: JobReminder, Due: jst(2025, 4, 4, 22, 0), MemberID: "m2", SessionID: "s2", Index: 1}
	expire := storage.Timer{Kind: JobExpire, Due: jst(2025, 4, 4, 23, 0), MemberID: "m3", SessionID: "s3"}
	expireMorning := storage.Timer{Kind: JobExpire, Due: jst(2025, 4, 5, 9, 0), MemberID: "m4", SessionID: "s4"}
	if err := store.AddTimers(ctx, reminderLate, expire, reminderEarly, expireMorning); err != nil {
		t.Fatal(err)
	}

	// At 23:30 the 21:30 occurrence is claimed and everything but the
	// expiry is held.
	clock.Set(jst(2025, 4, 4, 23, 30))
	mustTick(t, s)
	got := forwarded(t, store)
	if len(got) != 1 || got[0].ID() != expire.ID() {
		t.Fatalf("during quiet hours forwarded %+v, want only the expiry %+v", got, expire)
	}
	clock.Set(jst(2025, 4, 5, 7, 59))
	mustTick(t, s)
	if got := forwarded(t, store); len(got) != 0 {
		t.Fatalf("at 07:59 forwarded %+v, want nothing", got)
	}
	if n := pending(t, store); n != 4 {
		t.Fatalf("%d timers held, want 4 (two reminders, the dispatch, the morning expiry)", n)
	}

	clock.Set(jst(2025, 4, 5, 8, 0))
	mustTick(t, s)
	got = forwarded(t, store)
	var kinds []string
	var dues []time.Time
	for _, tm := range got {
		kinds = append(kinds, tm.Kind)
		dues = append(dues, tm.Due)
	}
	wantKinds := []string{JobReminder, JobDispatch, JobReminder}
	wantDues := []time.Time{reminderEarly.Due, jst(2025, 4, 4, 21, 30), reminderLate.Due}
	if !slices.Equal(kinds, wantKinds) || !slices.EqualFunc(dues, wantDues, time.Time.Equal) {
		t.Fatalf("at 08:00 forwarded %v due %v, want %v due %v (held push timers, in due order)", kinds, dues, wantKinds, wantDues)
	}
	if !got[1].Occurs.Equal(jst(2025, 4, 4, 21, 30)) {
		t.Errorf("dispatch %+v, want the 21:30 occurrence", got[1])
	}
	if n := pending(t, store); n != 1 {
		t.Errorf("%d timers pending, want 1 (the 09:00 expiry)", n)
	}
}

func TestRunHandsEachDueTimerOnce(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(srv)
	clock := newClock(jst(2025, 4, 4, 12, 0))
	h := newRecorder()
	s := newScheduler(store, clock, flowSet{scheduledFlow(t, "weekly", "0 17 * * 5")}, h)
	var ts []storage.Timer
	for i := range 30 {
		ts = append(ts, storage.Timer{Kind: JobReminder, Due: clock.Now().Add(-time.Duration(i) * time.Minute), MemberID: "m", SessionID: "s", Index: i})
	}
	later := storage.Timer{Kind: JobExpire, Due: friday17.Add(24 * time.Hour), MemberID: "m", SessionID: "s"}
	if err := store.AddTimers(testCtx(t), append(ts, later)...); err != nil {
		t.Fatal(err)
	}
	stop := running(t, s, "w1")
	eventually(t, "the handler has every due timer", func() bool { return len(h.timers()) >= len(ts) })
	// The occurrence comes due while running.
	clock.Set(friday17.Add(time.Second))
	eventually(t, "the handler has the dispatch", func() bool { return len(h.timers()) >= len(ts)+1 })
	eventually(t, "the timer stream is empty", func() bool {
		n, err := store.TimerOutbox().Len(testCtx(t))
		return err == nil && n == 0
	})
	stop()

	for _, tm := range append(ts, storage.Timer{Kind: JobDispatch, Due: friday17, FlowID: "weekly", Occurs: friday17}) {
		if n := h.callsOf(tm); n != 1 {
			t.Errorf("timer %+v handed out %d times, want once", tm, n)
		}
	}
	if n := h.callsOf(later); n != 0 {
		t.Errorf("a timer not yet due was handed out %d times", n)
	}
	if got := len(h.timers()); got != len(ts)+1 {
		t.Errorf("handler got %d timers, want %d", got, len(ts)+1)
	}
	if n := pending(t, store); n != 1 {
		t.Errorf("%d timers pending, want the one not yet due", n)
	}
}

func TestRunRetriesFailedTimersThenGivesUp(t *testing.T) {
	srv := redistest.Start(t)
	store := newStore(srv)
	raw := srv.Client()
	clock := newClock(jst(2025, 4, 4, 12, 0))
	due := clock.Now().Add(-time.Minute)
	ok := storage.Timer{Kind: JobReminder, Due: due, MemberID: "ok", SessionID: "s1"}
	flaky := storage.Timer{Kind: JobReminder, Due: due, MemberID: "flaky", SessionID: "s2"}
	broken := storage.Timer{Kind: JobExpire, Due: due, MemberID: "broken", SessionID: "s3"}
	h := newRecorder()
	h.fail = func(_ context.Context, tm storage.Timer, n int) error {
		switch {
		case tm.MemberID == "flaky" && n < 3:
			return errHandler
		case tm.MemberID == "broken":
			return errHandler
		}
		return nil
	}
	s := newScheduler(store, clock, nil, h)
	s.MaxTries = 3
	if err := store.AddTimers(testCtx(t), ok, flaky, broken); err != nil {
		t.Fatal(err)
	}
	stop := running(t, s, "w1")
	eventually(t, "the broken timer is dead and the stream empty", func() bool {
		dead := raw.XLen(context.Background(), "tsunagu:outbox:dead").Val()
		n, err := store.TimerOutbox().Len(testCtx(t))
		return dead == 1 && err == nil && n == 0
	})
	stop()

	if n := h.callsOf(ok); n != 1 {
		t.Errorf("a succeeding timer was handled %d times, want once", n)
	}
	if n := h.callsOf(flaky); n != 3 {
		t.Errorf("a timer failing twice was handled %d times, want 3 (retried until it succeeded)", n)
	}
	if n := h.callsOf(broken); n != 3 {
		t.Errorf("a timer that always fails was handled %d times, want MaxTries = 3", n)
	}
	msgs := raw.XRange(context.Background(), "tsunagu:outbox:dead", "-", "+").Val()
	if len(msgs) != 1 {
		t.Fatalf("dead stream holds %d entries, want 1", len(msgs))
	}
	if d, _ := msgs[0].Values["d"].(string); d == "" || msgs[0].Values["reason"] != errHandler.Error() || msgs[0].Values["stream"] != "tsunagu:outbox:timers" {
		t.Errorf("dead entry %v, want the broken timer from the timer stream with the handler's error", msgs[0].Values)
	}

	// Nothing is left pending to be taken over and retried.
	if p := raw.XPending(context.Background(), "tsunagu:outbox:timers", "senders").Val(); p.Count != 0 {
		t.Fatalf("%d timers still pending in the workers' group, want none", p.Count)
	}
	// A new worker finds nothing to retry.
	h2 := newRecorder()
	s2 := newScheduler(newStore(srv), clock, nil, h2)
	probe := storage.Timer{Kind: JobReminder, Due: due, MemberID: "probe", SessionID: "s4"}
	if err := store.AddTimers(testCtx(t), probe); err != nil {
		t.Fatal(err)
	}
	stop2 := running(t, s2, "w2")
	eventually(t, "the new worker handled the probe", func() bool { return h2.callsOf(probe) == 1 })
	stop2()
	if got := h2.timers(); len(got) != 1 {
		t.Errorf("a new worker was handed %+v, want only the probe", got)
	}
}

func TestRestartLosesNoTimers(t *testing.T) {
	srv := redistest.Start(t)
	clock := newClock(jst(2025, 4, 4, 12, 0))
	f := scheduledFlow(t, "weekly", "0 17 * * 5")

	// The first process looks, sets timers for later, starts on one that
	// is due and dies while handling it.
	storeA := newStore(srv)
	hA := newRecorder()
	inFlight := storage.Timer{Kind: JobReminder, Due: clock.Now().Add(-time.Minute), MemberID: "m0", SessionID: "s0"}
	started := make(chan struct{})
	var once sync.Once
	hA.fail = func(ctx context.Context, tm storage.Timer, _ int) error {
		if tm.ID() == inFlight.ID() {
			once.Do(func() { close(started) })
			<-ctx.Done() // the process dies mid-way
			return ctx.Err()
		}
		return nil
	}
	a := newScheduler(storeA, clock, flowSet{f}, hA)
	a.TakeOver = 30 * time.Second // the default: only a later process takes over
	var later []storage.Timer
	for i := range 5 {
		later = append(later,
			storage.Timer{Kind: JobReminder, Due: jst(2025, 4, 4, 13, i), MemberID: "m", SessionID: "s", Index: i},
			storage.Timer{Kind: JobExpire, Due: jst(2025, 4, 4, 14, i), MemberID: "m", SessionID: "s", Index: i})
	}
	if err := storeA.AddTimers(testCtx(t), append(later, inFlight)...); err != nil {
		t.Fatal(err)
	}
	stopA := running(t, a, "host-a")
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the first process never started on the due timer")
	}
	stopA()
	if got := hA.timers(); len(got) != 1 {
		t.Fatalf("the first process handled %+v, want only the one it died on", got)
	}

	// Time passes while nothing runs: the occurrence and the later timers
	// come due. A new process on the same Redis picks everything up.
	clock.Set(friday17.Add(time.Minute))
	hB := newRecorder()
	b := newScheduler(newStore(srv), clock, flowSet{f}, hB)
	b.TakeOver = 50 * time.Millisecond
	want := append(later, inFlight, storage.Timer{Kind: JobDispatch, Due: friday17, FlowID: "weekly", Occurs: friday17})
	running(t, b, "host-b")
	eventually(t, "the new process handled every timer", func() bool {
		for _, tm := range want {
			if hB.callsOf(tm) == 0 {
				return false
			}
		}
		return true
	})
	eventually(t, "the timer stream is empty", func() bool {
		n, err := storeA.TimerOutbox().Len(testCtx(t))
		return err == nil && n == 0
	})
	for _, tm := range want {
		if n := hB.callsOf(tm); n != 1 {
			t.Errorf("timer %+v handled %d times by the new process, want once", tm, n)
		}
	}
	if got := hB.timers(); len(got) != len(want) {
		t.Errorf("the new process handled %d timers, want %d", len(got), len(want))
	}
	if n := pending(t, storeA); n != 0 {
		t.Errorf("%d timers still pending", n)
	}
}
