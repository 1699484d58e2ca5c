package storage

import (
	"context"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

func TestFirstSlackRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		got, err := e.store.FirstSlackRequest(ctx, "abc")
		if err != nil || got != want {
			t.Fatalf("call %d = %v, %v; want %v", i, got, err, want)
		}
	}
	ttl := e.raw.TTL(ctx, slackRequestKey("abc")).Val()
	if ttl <= 5*time.Minute || ttl > 6*time.Minute {
		t.Errorf("TTL %v, want just over Slack's 5-minute window", ttl)
	}
}

func TestAccessRecord(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, a := range []string{"refused", "read-detail"} {
		if err := e.store.RecordAccess(ctx, tsunagu.AuditEntry{At: at, By: "U0SATO", Action: a, Family: "F-0001"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.store.AccessRecord(ctx, 10)
	if err != nil || len(got) != 2 || got[0].Action != "read-detail" || got[1].Action != "refused" || !got[1].At.Equal(at) {
		t.Fatalf("AccessRecord = %+v, %v", got, err)
	}
}
