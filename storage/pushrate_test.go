package storage

import (
	"testing"
	"time"
)

// Two replicas share one bucket: what one takes, the other cannot, and the
// wait it is told is the time the bucket takes to refill one token.
func TestPushRateShared(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	a := e.store.PushRate(1, 3)
	b := New(e.srv.Client()).PushRate(1, 3) // another replica's connection
	for i := range 3 {
		if wait, err := a.Take(ctx); err != nil || wait != 0 {
			t.Fatalf("token %d of the burst: wait %v, err %v", i+1, wait, err)
		}
	}
	wait, err := b.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if wait <= 0 || wait > time.Second {
		t.Fatalf("the other replica may push now (wait %v); the burst of 3 at 1/s is spent", wait)
	}
	if ttl := e.raw.PTTL(ctx, pushBucketKey()).Val(); ttl <= 0 {
		t.Errorf("the bucket has no lifetime (%v)", ttl)
	}
}
