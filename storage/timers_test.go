package storage

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestTimerIDStable(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2025, 4, 4, 17, 0, 0, 0, tokyo)
	base := Timer{Kind: jobReminder, Due: due, MemberID: "m1", SessionID: "s1", Index: 1}
	if base.ID() != base.ID() {
		t.Fatal("ID differs between two calls")
	}
	same := Timer{Kind: jobReminder, Due: time.Date(2025, 4, 4, 17, 0, 0, 0, tokyo), MemberID: "m1", SessionID: "s1", Index: 1}
	if base.ID() != same.ID() {
		t.Errorf("equal timers have different ids %s and %s", base.ID(), same.ID())
	}
	// A timer read back from Redis (JSON) keeps its id: the bot dedups
	// its work on it.
	b, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	var back Timer
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ID() != base.ID() {
		t.Errorf("id after a JSON round trip %s, want %s", back.ID(), base.ID())
	}
	occ := Timer{Kind: jobDispatch, Due: due, FlowID: "weekly", Occurs: due}
	var occBack Timer
	ob, _ := json.Marshal(occ)
	if err := json.Unmarshal(ob, &occBack); err != nil {
		t.Fatal(err)
	}
	if occBack.ID() != occ.ID() {
		t.Errorf("dispatch id after a JSON round trip %s, want %s", occBack.ID(), occ.ID())
	}

	differ := map[string]Timer{
		"kind":    {Kind: jobExpire, Due: due, MemberID: "m1", SessionID: "s1", Index: 1},
		"due":     {Kind: jobReminder, Due: due.Add(time.Millisecond), MemberID: "m1", SessionID: "s1", Index: 1},
		"member":  {Kind: jobReminder, Due: due, MemberID: "m2", SessionID: "s1", Index: 1},
		"session": {Kind: jobReminder, Due: due, MemberID: "m1", SessionID: "s2", Index: 1},
		"index":   {Kind: jobReminder, Due: due, MemberID: "m1", SessionID: "s1", Index: 2},
	}
	seen := map[string]string{base.ID(): "base"}
	for name, tm := range differ {
		id := tm.ID()
		if other, dup := seen[id]; dup {
			t.Errorf("timers differing in %s share the id of %s", name, other)
		}
		seen[id] = name
	}
	if len(base.ID()) != 24 {
		t.Errorf("id %q is %d hex digits, want 24", base.ID(), len(base.ID()))
	}
}

func TestAddTimersSameTimerTwiceIsOne(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	tm := Timer{Kind: jobReminder, Due: t0, MemberID: "m1", SessionID: "s1"}
	if err := e.store.AddTimers(ctx, tm, tm); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddTimers(ctx, tm); err != nil {
		t.Fatal(err)
	}
	if n, err := e.store.PendingTimers(ctx); err != nil || n != 1 {
		t.Fatalf("PendingTimers = %d, %v; want 1", n, err)
	}
}

func TestForwardTimersMovesAllDueInBatches(t *testing.T) {
	for _, due := range []int{0, 1, 99, forwardBatch, forwardBatch + 1, 2 * forwardBatch, 250} {
		t.Run(fmt.Sprintf("due=%d", due), func(t *testing.T) {
			e := newEnv(t)
			ctx := testCtx(t)
			var ts []Timer
			for i := range due {
				// Due times out of insertion order, to check the stream order.
				ts = append(ts, Timer{Kind: jobReminder, Due: t0.Add(-time.Duration((i*37)%due+1) * time.Second), MemberID: "m", SessionID: "s", Index: i})
			}
			for i := range 5 {
				ts = append(ts, Timer{Kind: jobReminder, Due: t0.Add(time.Duration(i+1) * time.Millisecond), MemberID: "later", SessionID: "s", Index: i})
			}
			if err := e.store.AddTimers(ctx, ts...); err != nil {
				t.Fatal(err)
			}
			n, err := e.store.ForwardTimers(ctx, t0, false)
			if err != nil {
				t.Fatal(err)
			}
			if n != due {
				t.Fatalf("ForwardTimers moved %d, want all %d due", n, due)
			}
			if got := outboxLen(t, e.store.TimerOutbox()); got != int64(due) {
				t.Fatalf("timer stream holds %d, want %d", got, due)
			}
			if p, _ := e.store.PendingTimers(ctx); p != 5 {
				t.Fatalf("%d timers left, want the 5 not yet due", p)
			}
			// In due order.
			var prev time.Time
			for _, j := range mustRead(t, e.store.TimerOutbox(), "c", 1000) {
				var tm Timer
				if err := j.Decode(&tm); err != nil {
					t.Fatal(err)
				}
				if tm.Due.Before(prev) {
					t.Fatalf("timer due %v forwarded after one due %v", tm.Due, prev)
				}
				prev = tm.Due
			}
			if n, err := e.store.ForwardTimers(ctx, t0, false); err != nil || n != 0 {
				t.Fatalf("forwarding again moved %d, %v; want 0", n, err)
			}
		})
	}
}

// One script call moves at most a batch, so each stays short.
func TestForwardTimersScriptMovesOneBatch(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	var ts []Timer
	for i := range 250 {
		ts = append(ts, Timer{Kind: jobReminder, Due: t0.Add(-time.Minute), MemberID: "m", SessionID: "s", Index: i})
	}
	if err := e.store.AddTimers(ctx, ts...); err != nil {
		t.Fatal(err)
	}
	n, err := forwardTimers.Run(ctx, e.raw, []string{pushTimersKey(), timerStreamKey()}, t0.UnixMilli(), forwardBatch).Int()
	if err != nil {
		t.Fatal(err)
	}
	if n != forwardBatch {
		t.Fatalf("one script call moved %d, want a batch of %d", n, forwardBatch)
	}
	if got := e.raw.ZCard(ctx, pushTimersKey()).Val(); got != 150 {
		t.Fatalf("%d left in the set, want 150", got)
	}
}

func TestForwardTimersQuietMovesOnlyExpiries(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	past := t0.Add(-time.Minute)
	reminder := Timer{Kind: jobReminder, Due: past, MemberID: "m1", SessionID: "s1"}
	dispatch := Timer{Kind: jobDispatch, Due: past, FlowID: "weekly", Occurs: past}
	expire := Timer{Kind: jobExpire, Due: past, MemberID: "m1", SessionID: "s1"}
	if err := e.store.AddTimers(ctx, reminder, dispatch, expire); err != nil {
		t.Fatal(err)
	}
	n, err := e.store.ForwardTimers(ctx, t0, true)
	if err != nil || n != 1 {
		t.Fatalf("quiet: moved %d, %v; want only the expiry", n, err)
	}
	jobs := mustRead(t, e.store.TimerOutbox(), "c", 10)
	var got Timer
	if len(jobs) != 1 || jobs[0].Decode(&got) != nil || got.Kind != jobExpire {
		t.Fatalf("quiet: stream holds %v, want the expiry", jobs)
	}
	n, err = e.store.ForwardTimers(ctx, t0, false)
	if err != nil || n != 2 {
		t.Fatalf("after quiet hours: moved %d, %v; want the reminder and the dispatch", n, err)
	}
}

func TestClaimOccurrenceOnce(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	at := time.Date(2025, 4, 4, 8, 0, 0, 0, time.UTC)
	tm := Timer{Kind: jobDispatch, Due: at, FlowID: "weekly", Schedule: 1, Occurs: at}
	won, err := e.store.ClaimOccurrence(ctx, tm)
	if err != nil || !won {
		t.Fatalf("first claim: %v, %v; want true", won, err)
	}
	won, err = e.store.ClaimOccurrence(ctx, tm)
	if err != nil || won {
		t.Fatalf("second claim: %v, %v; want false", won, err)
	}
	if n, _ := e.store.PendingTimers(ctx); n != 1 {
		t.Fatalf("%d timers set, want the one dispatch", n)
	}
	// Other schedules, flows and occurrences are claimed on their own.
	for _, other := range []Timer{
		{Kind: jobDispatch, Due: at, FlowID: "weekly", Schedule: 0, Occurs: at},
		{Kind: jobDispatch, Due: at, FlowID: "monthly", Schedule: 1, Occurs: at},
		{Kind: jobDispatch, Due: at.Add(time.Hour), FlowID: "weekly", Schedule: 1, Occurs: at.Add(time.Hour)},
	} {
		if won, err := e.store.ClaimOccurrence(ctx, other); err != nil || !won {
			t.Errorf("claim %+v: %v, %v; want true", other, won, err)
		}
	}
	if ttl := e.raw.TTL(ctx, occurrenceKey("weekly", 1, at.UnixMilli())).Val(); ttl <= 0 || ttl > occurrenceTTL {
		t.Errorf("claim key TTL %v, want up to %v", ttl, occurrenceTTL)
	}
}

func TestClaimOccurrenceConcurrent(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2025, 4, 4, 8, 0, 0, 0, time.UTC)
	tm := Timer{Kind: jobDispatch, Due: at, FlowID: "weekly", Occurs: at}
	const claimers = 20
	var wins int
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range claimers {
		s := New(e.srv.Client()).WithJobs(quietJobs) // each its own connection, as replicas
		wg.Go(func() {
			<-start
			won, err := s.ClaimOccurrence(testCtx(t), tm)
			if err != nil {
				t.Errorf("claim: %v", err)
			}
			if won {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d of %d concurrent claims won, want exactly 1", wins, claimers)
	}
	if n, _ := e.store.PendingTimers(testCtx(t)); n != 1 {
		t.Fatalf("%d timers set, want 1", n)
	}
}

func TestLastLookOnlyMovesForward(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	last, err := e.store.LastLook(ctx, "weekly", 0)
	if err != nil || !last.IsZero() {
		t.Fatalf("LastLook before any look = %v, %v; want the zero time", last, err)
	}
	at := time.Date(2025, 4, 4, 8, 0, 0, 123_000_000, time.UTC)
	steps := []struct {
		set, want time.Time
	}{
		{at, at},
		{at.Add(time.Minute), at.Add(time.Minute)},
		{at, at.Add(time.Minute)}, // a replica with an older look does not move it back
		{at.Add(-24 * time.Hour), at.Add(time.Minute)},
		{at.Add(2 * time.Minute), at.Add(2 * time.Minute)},
	}
	for _, s := range steps {
		if err := e.store.SetLastLook(ctx, "weekly", 0, s.set); err != nil {
			t.Fatal(err)
		}
		got, err := e.store.LastLook(ctx, "weekly", 0)
		if err != nil || !got.Equal(s.want) {
			t.Fatalf("after SetLastLook(%v): LastLook = %v, %v; want %v", s.set, got, err, s.want)
		}
	}
	// Each flow and schedule has its own.
	if got, _ := e.store.LastLook(ctx, "weekly", 1); !got.IsZero() {
		t.Errorf("schedule 1 LastLook = %v, want zero", got)
	}
	if got, _ := e.store.LastLook(ctx, "monthly", 0); !got.IsZero() {
		t.Errorf("monthly LastLook = %v, want zero", got)
	}
}
