package storage

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tsunagu/tsunagu"
)

// The lease's XCLAIM has no MIN-IDLE: once another worker has taken a job
// over (the first one stalled past the take-over time), the first worker's
// lease claims it back from them.
func TestRegressionLeaseStealsBackATakenOverJob(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	const takeOver = 600 * time.Millisecond
	out := e.store.LineOutbox().WithMinIdle(takeOver)
	mustApply(t, e.store, "ev1", "m1", change(&Change{Out: []tsunagu.Outgoing{outgoing("o1", "m1")}}))
	started, finish := make(chan string), make(chan struct{})
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go out.Work(wctx, "A", 1, slog.New(slog.DiscardHandler), func(ctx context.Context, j Job) error {
		started <- j.ID
		<-finish
		return nil
	})
	id := <-started
	defer close(finish)
	// B takes the job over, as XAUTOCLAIM would after A went quiet.
	if err := e.raw.XClaimJustID(ctx, &redis.XClaimArgs{Stream: lineOutboxKey(), Group: outboxGroup, Consumer: "B", Messages: []string{id}}).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(takeOver)
	p, err := e.raw.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: lineOutboxKey(), Group: outboxGroup, Start: id, End: id, Count: 1}).Result()
	if err != nil || len(p) != 1 {
		t.Fatalf("pending: %v %v", p, err)
	}
	if p[0].Consumer != "B" {
		t.Errorf("job now owned by %q: A's lease claimed it back from B, who took it over", p[0].Consumer)
	}
}
