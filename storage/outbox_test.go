package storage

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

func TestOutboxDeliverOnce(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	out := e.store.LineOutbox()
	sent := []tsunagu.Outgoing{outgoing("o1", "m1"), outgoing("o2", "m1")}
	mustApply(t, e.store, "ev1", "m1", change(&Change{Out: sent}))
	if n := outboxLen(t, out); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}

	jobs := mustRead(t, out, "w1", 10)
	if len(jobs) != 2 {
		t.Fatalf("read %d jobs, want 2", len(jobs))
	}
	for i, j := range jobs {
		var got tsunagu.Outgoing
		if err := j.Decode(&got); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if got.ID != sent[i].ID || got.Messages[0].Text != sent[i].Messages[0].Text || !got.CreatedAt.Equal(t0) {
			t.Errorf("job %d = %+v, want %+v (in order)", i, got, sent[i])
		}
		if j.Attempts != 1 {
			t.Errorf("job %d: Attempts %d, want 1", i, j.Attempts)
		}
	}
	// Handed out once: another worker gets nothing while w1 works on them.
	if more := mustRead(t, out, "w2", 10); len(more) != 0 {
		t.Errorf("second worker read %d jobs already taken, want 0", len(more))
	}

	for _, j := range jobs {
		if err := out.Done(ctx, j.ID); err != nil {
			t.Fatalf("Done: %v", err)
		}
	}
	if n := outboxLen(t, out); n != 0 {
		t.Errorf("Len after Done = %d, want 0", n)
	}
	if pend := e.raw.XPending(ctx, lineOutboxKey(), outboxGroup).Val(); pend.Count != 0 {
		t.Errorf("%d entries still pending after Done", pend.Count)
	}
	if more := mustRead(t, out.WithMinIdle(0), "w2", 10); len(more) != 0 {
		t.Errorf("read %d jobs after all were done, want 0", len(more))
	}
}

func TestOutboxCount(t *testing.T) {
	e := newEnv(t)
	out := e.store.LineOutbox()
	var sent []tsunagu.Outgoing
	for i := range 5 {
		sent = append(sent, outgoing(step(i), "m1"))
	}
	mustApply(t, e.store, "", "m1", change(&Change{Out: sent}))
	if jobs := mustRead(t, out, "w1", 3); len(jobs) != 3 {
		t.Errorf("Read(count 3) gave %d jobs", len(jobs))
	}
	if jobs := mustRead(t, out, "w1", 3); len(jobs) != 2 {
		t.Errorf("second Read(count 3) gave %d jobs, want the 2 left", len(jobs))
	}
}

// A worker that died holding a job: another takes it over once it has been
// idle long enough, and sees that this is the second attempt.
func TestOutboxTakeover(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	out := e.store.LineOutbox().WithMinIdle(time.Minute)
	mustApply(t, e.store, "", "m1", change(&Change{Out: []tsunagu.Outgoing{outgoing("o1", "m1")}}))

	a := mustRead(t, out, "dead-worker", 10)
	if len(a) != 1 || a[0].Attempts != 1 {
		t.Fatalf("first read: %+v, want one job at attempt 1", a)
	}
	// Not yet idle long enough (30s for the production outbox).
	if b := mustRead(t, e.store.LineOutbox(), "w2", 10); len(b) != 0 {
		t.Errorf("job taken over before its min idle: %+v", b)
	}

	e.idle(t, "dead-worker", a[0].ID)
	b := mustRead(t, out, "w2", 10)
	if len(b) != 1 {
		t.Fatalf("takeover read %d jobs, want 1", len(b))
	}
	if b[0].ID != a[0].ID || string(b[0].Data) != string(a[0].Data) {
		t.Errorf("took over %+v, want %+v", b[0], a[0])
	}
	if b[0].Attempts != 2 {
		t.Errorf("taken-over job: Attempts %d, want 2", b[0].Attempts)
	}

	e.idle(t, "w2", b[0].ID)
	c := mustRead(t, out, "w3", 10)
	if len(c) != 1 || c[0].Attempts != 3 {
		t.Errorf("third hand-out: %+v, want attempt 3", c)
	}

	if err := out.Done(ctx, c[0].ID); err != nil {
		t.Fatal(err)
	}
	if d := mustRead(t, out, "w4", 10); len(d) != 0 {
		t.Errorf("a done job was handed out again: %+v", d)
	}
}

// Several jobs taken over in one read each get their own attempt count, even
// when a job between them in the stream is pending but not idle (another
// worker just took it over) and so is not part of the takeover.
func TestOutboxTakeoverAttemptsWithBusyJobBetween(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	out := e.store.LineOutbox().WithMinIdle(time.Minute)
	mustApply(t, e.store, "", "m1", change(&Change{Out: []tsunagu.Outgoing{
		outgoing("o1", "m1"), outgoing("o2", "m1"), outgoing("o3", "m1"),
	}}))
	a := mustRead(t, out, "dead-worker", 10)
	if len(a) != 3 {
		t.Fatalf("read %d jobs, want 3", len(a))
	}
	e.idle(t, "dead-worker", a[0].ID, a[1].ID, a[2].ID)
	// A live worker has just picked up the middle job: it is not idle.
	if err := e.raw.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: lineOutboxKey(), Group: outboxGroup, Consumer: "live-worker",
		MinIdle: 0, Messages: []string{a[1].ID},
	}).Err(); err != nil {
		t.Fatal(err)
	}

	b := mustRead(t, out, "w2", 10)
	if len(b) != 2 || b[0].ID != a[0].ID || b[1].ID != a[2].ID {
		t.Fatalf("takeover read %+v, want jobs 1 and 3", b)
	}
	for _, j := range b {
		if j.Attempts != 2 {
			t.Errorf("job %s: Attempts %d, want 2", j.ID, j.Attempts)
		}
	}
}

func TestOutboxDead(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	out := e.store.LineOutbox()
	mustApply(t, e.store, "", "m1", change(&Change{Out: []tsunagu.Outgoing{outgoing("o1", "m1")}}))
	jobs := mustRead(t, out, "w1", 10)
	if len(jobs) != 1 {
		t.Fatalf("read %d jobs, want 1", len(jobs))
	}
	if err := out.Dead(ctx, jobs[0], "400 invalid user"); err != nil {
		t.Fatalf("Dead: %v", err)
	}
	if n := outboxLen(t, out); n != 0 {
		t.Errorf("Len after Dead = %d, want 0", n)
	}
	if pend := e.raw.XPending(ctx, lineOutboxKey(), outboxGroup).Val(); pend.Count != 0 {
		t.Errorf("%d entries still pending after Dead", pend.Count)
	}
	dead, err := e.raw.XRange(ctx, deadKey(), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 {
		t.Fatalf("dead stream has %d entries, want 1", len(dead))
	}
	// Kept with the member id, not the LINE user id: that lives in the
	// member record only.
	want := map[string]any{"stream": lineOutboxKey(), "d": string(stripRecipient(jobs[0].Data)), "reason": "400 invalid user"}
	if strings.Contains(dead[0].Values["d"].(string), `"Um1"`) {
		t.Errorf("the dead letter holds the LINE user id")
	}
	for k, v := range want {
		if dead[0].Values[k] != v {
			t.Errorf("dead entry %s = %v, want %v", k, dead[0].Values[k], v)
		}
	}
	if more := mustRead(t, out.WithMinIdle(0), "w2", 10); len(more) != 0 {
		t.Errorf("a dead job was handed out again: %+v", more)
	}
}

func TestOutboxGroupCreatedOnUse(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	out := e.store.LineOutbox()

	// No stream, no group.
	if jobs := mustRead(t, out, "w1", 10); len(jobs) != 0 {
		t.Errorf("read %d jobs from an empty Redis", len(jobs))
	}
	if n := outboxLen(t, out); n != 0 {
		t.Errorf("Len = %d on an empty outbox", n)
	}
	mustApply(t, e.store, "", "m1", change(&Change{Out: []tsunagu.Outgoing{outgoing("o1", "m1")}}))
	if jobs := mustRead(t, out, "w1", 10); len(jobs) != 1 {
		t.Fatalf("read %d jobs, want 1", len(jobs))
	}

	// Redis lost everything (restarted empty), then a job came in before any
	// worker read: it is not skipped when the group is created again.
	if err := e.raw.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	mustApply(t, e.store, "", "m1", change(&Change{Out: []tsunagu.Outgoing{outgoing("o2", "m1")}}))
	jobs := mustRead(t, out, "w1", 10)
	if len(jobs) != 1 {
		t.Fatalf("after FLUSHALL and a new job: read %d jobs, want 1", len(jobs))
	}
	var got tsunagu.Outgoing
	if err := jobs[0].Decode(&got); err != nil || got.ID != "o2" {
		t.Errorf("job = %+v, %v; want o2", got, err)
	}

	// Lost everything again, and the worker reads before any job comes.
	if err := e.raw.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if jobs := mustRead(t, out, "w1", 10); len(jobs) != 0 {
		t.Errorf("read %d jobs after FLUSHALL", len(jobs))
	}
	mustApply(t, e.store, "", "m1", change(&Change{Out: []tsunagu.Outgoing{outgoing("o3", "m1")}}))
	if jobs := mustRead(t, out, "w1", 10); len(jobs) != 1 {
		t.Errorf("read %d jobs after the group came back, want 1", len(jobs))
	}
}

// The two outboxes are separate queues.
func TestOutboxesSeparate(t *testing.T) {
	e := newEnv(t)
	mustApply(t, e.store, "", "m1", change(&Change{
		Out:    []tsunagu.Outgoing{outgoing("o1", "m1")},
		Alerts: []*tsunagu.Alert{newAlert("a1", t0)},
	}))
	line := mustRead(t, e.store.LineOutbox(), "w", 10)
	slack := mustRead(t, e.store.SlackOutbox(), "w", 10)
	if len(line) != 1 || len(slack) != 1 {
		t.Fatalf("LINE outbox %d jobs, Slack outbox %d, want 1 each", len(line), len(slack))
	}
	var job SlackJob
	if err := slack[0].Decode(&job); err != nil || job != (SlackJob{Op: SlackPost, AlertID: "a1"}) {
		t.Errorf("Slack job = %+v, %v", job, err)
	}
}

// idle makes pending entries of consumer look idle for an hour, as if their
// worker had died long ago: XCLAIM's IDLE sets the idle time on Redis's own
// clock, so no test sleeps through a takeover limit (or, on a busy machine,
// past one it meant not to reach). JUSTID leaves the delivery count alone.
func (e *testEnv) idle(t *testing.T, consumer string, ids ...string) {
	t.Helper()
	args := []any{"XCLAIM", lineOutboxKey(), outboxGroup, consumer, 0}
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(args, "IDLE", time.Hour.Milliseconds(), "JUSTID")
	if err := e.raw.Do(testCtx(t), args...).Err(); err != nil {
		t.Fatalf("XCLAIM IDLE: %v", err)
	}
}

// A job that runs longer than the take-over time keeps its lease: another
// worker looking for abandoned work never gets it while the first is still
// at it (TestOutboxTakeover shows it does once the first stops answering).
func TestOutboxLeaseOnLongJob(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	// A lease is renewed every third of the take-over time: a renewal
	// starved for more than two thirds of it loses the job. 1 s leaves a
	// busy machine (CI shares one) room that 300 ms did not.
	const takeOver = time.Second
	out := e.store.LineOutbox().WithMinIdle(takeOver)
	mustApply(t, e.store, "ev1", "m1", change(&Change{Out: []tsunagu.Outgoing{outgoing("o1", "m1")}}))

	started, finish, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go out.Work(wctx, "slow", 1, slog.New(slog.DiscardHandler), func(ctx context.Context, j Job) error {
		close(started)
		<-finish // a push waiting out a long Retry-After
		defer close(finished)
		return out.Done(ctx, j.ID)
	})
	<-started
	// Look for abandoned work for three take-over times while the job runs.
	deadline := time.Now().Add(3 * takeOver)
	for time.Now().Before(deadline) {
		if jobs := mustRead(t, out, "other", 1); len(jobs) != 0 {
			t.Fatalf("another worker took over a job still being worked on (attempt %d)", jobs[0].Attempts)
		}
		time.Sleep(takeOver / 5)
	}
	close(finish)
	<-finished
	if n := outboxLen(t, out); n != 0 {
		t.Errorf("Len = %d after the job was done, want 0", n)
	}
}
