package redistest

import (
	"context"
	"testing"
	"time"
)

func TestStopRestartKeepsData(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	c := s.Client()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("ping succeeded while stopped")
	}
	s.Restart()
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("after restart: %q, %v", v, err)
	}
}

// TestSentinel: the five processes start, agree, and fail over on demand.
func TestSentinel(t *testing.T) {
	start := time.Now()
	s := StartSentinel(t)
	t.Logf("started in %v", time.Since(start))
	first := s.Primary()
	start = time.Now()
	old, now := s.Failover()
	t.Logf("failed over in %v", time.Since(start))
	if old != first || now == first || s.Primary() != now {
		t.Fatalf("failover: primary %s, then old %s new %s, sentinels say %s", first, old, now, s.Primary())
	}
}
