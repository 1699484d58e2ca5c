package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu/internal/clocktest"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/internal/redistest"
	"github.com/tsunagu/tsunagu/storage"
)

var tokyo = mustLoad("Asia/Tokyo")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// jst is a wall-clock time in Tokyo.
func jst(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, tokyo)
}

func newClock(t time.Time) *clocktest.Clock { return clocktest.New(t) }

// flowSet is a fixed Flows.
type flowSet []*flows.Flow

func (s flowSet) All() []*flows.Flow { return s }

// mustFlow parses a flow from a YAML literal.
func mustFlow(t *testing.T, src string) *flows.Flow {
	t.Helper()
	f, ds := flows.Parse("x.yaml", []byte(src), flows.Options{})
	if f == nil {
		t.Fatalf("parse flow: %s", ds)
	}
	return f
}

// scheduledFlow is a one-step flow with one schedule.
func scheduledFlow(t *testing.T, id, cron string) *flows.Flow {
	t.Helper()
	return mustFlow(t, `
id: `+id+`
title: 予定
schedule:
  - cron: "`+cron+`"
steps: [{id: a, say: a?, text: {}}]
`)
}

// recorder is a Handler that records the timers it gets and fails as told.
type recorder struct {
	mu    sync.Mutex
	got   []storage.Timer
	calls map[string]int // by Timer.ID
	// fail, when set, decides the result of the n-th call (from 1) for a timer.
	fail func(ctx context.Context, tm storage.Timer, n int) error
}

func newRecorder() *recorder { return &recorder{calls: map[string]int{}} }

func (r *recorder) HandleTimer(ctx context.Context, tm storage.Timer) error {
	r.mu.Lock()
	r.got = append(r.got, tm)
	r.calls[tm.ID()]++
	n := r.calls[tm.ID()]
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		return fail(ctx, tm, n)
	}
	return nil
}

func (r *recorder) timers() []storage.Timer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]storage.Timer(nil), r.got...)
}

func (r *recorder) callsOf(tm storage.Timer) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[tm.ID()]
}

var errHandler = errors.New("handler failed on purpose")

// newStore returns a Store on its own connection to srv, as a separate
// replica would have.
func newStore(srv *redistest.Server) *storage.Store { return storage.New(srv.Client()).WithJobs(Quiet) }

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newScheduler is a scheduler in Tokyo with a 6h catch-up, no quiet hours,
// 3 tries and a short take-over, as a test wants it.
func newScheduler(store *storage.Store, clock *clocktest.Clock, fl flowSet, h Runner) *Scheduler {
	return &Scheduler{
		Store: store, Flows: fl, Handler: h, Clock: clock,
		Location: tokyo, CatchUp: 6 * time.Hour,
		MaxTries: 3, TakeOver: 50 * time.Millisecond,
		Log: discardLog(),
	}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustTick(t *testing.T, s *Scheduler) {
	t.Helper()
	if err := s.Tick(testCtx(t)); err != nil {
		t.Fatalf("Tick at %v: %v", s.Clock.Now(), err)
	}
}

// forwarded reads every timer that reached the timer stream since the
// last call (a test consumer of the workers' group).
func forwarded(t *testing.T, store *storage.Store) []storage.Timer {
	t.Helper()
	var out []storage.Timer
	for {
		jobs, err := store.TimerOutbox().Read(testCtx(t), "test-reader", 100, -1) // -1: do not block
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("read timer stream: %v", err)
		}
		if len(jobs) == 0 {
			return out
		}
		for _, j := range jobs {
			var tm storage.Timer
			if err := j.Decode(&tm); err != nil {
				t.Fatalf("decode timer %s: %v", j.Data, err)
			}
			out = append(out, tm)
		}
	}
}

func pending(t *testing.T, store *storage.Store) int64 {
	t.Helper()
	n, err := store.PendingTimers(testCtx(t))
	if err != nil {
		t.Fatalf("PendingTimers: %v", err)
	}
	return n
}

// eventually polls cond every 10ms until it holds or 10s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// running runs s until the returned stop is called (or the test ends);
// stop waits for Run to return.
func running(t *testing.T, s *Scheduler, consumer string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx, consumer, 10*time.Millisecond)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Errorf("Run(%s) did not return within 10s of its context ending", consumer)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func occursOf(ts []storage.Timer) []time.Time {
	out := make([]time.Time, len(ts))
	for i, tm := range ts {
		out[i] = tm.Occurs
	}
	return out
}
