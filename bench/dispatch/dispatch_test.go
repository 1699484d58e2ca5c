package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSmallDispatch runs the whole benchmark with a few hundred members, so
// that CI proves it still works: a real redis-server, `tsunagu serve` built
// from this tree as a separate process, and the fake LINE. It checks
// correctness only (every member pushed once, nothing malformed); timings
// are printed, never asserted.
func TestSmallDispatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and tsunagu serve; skipped with -short")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server not on PATH; CI must install it")
		}
		t.Skip("redis-server not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	res, err := Run(ctx, Config{
		Members: 500, PerFamily: 2, Rate: 2000, PushRate: 1000,
		Dir: t.TempDir(), Grace: 500 * time.Millisecond, Log: &progress,
	})
	t.Log("\n" + progress.String())
	if res != nil && res.Mem1 > 0 {
		var out strings.Builder
		report(&out, res)
		t.Log(out.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Counts["started"]; got != 500 {
		t.Errorf("dispatch started %d sessions, want 500 (counts %v)", got, res.Counts)
	}
	c := res.Line
	if c.Distinct != 500 || c.Twice != 0 {
		t.Errorf("fake LINE accepted %d distinct pushes, %d members twice; want 500 and 0", c.Distinct, c.Twice)
	}
	if c.Bad != 0 || c.Other != 0 || c.SlackCalls != 0 {
		t.Errorf("unexpected requests: %d malformed, %d unknown, %d to Slack: %v", c.Bad, c.Other, c.SlackCalls, c.Samples)
	}
	if res.OutboxAtEnd != 0 {
		t.Errorf("%d outbox entries left after delivery", res.OutboxAtEnd)
	}
	if res.TimersAtEnd != 2 {
		t.Errorf("%d timers pending, want the dispatch's reminder and expiry (2)", res.TimersAtEnd)
	}
	if res.Mem3 <= res.Mem1 || res.StateBytesPerMember() <= 0 {
		t.Errorf("memory not measured: used_memory %d → %d → %d", res.Mem0, res.Mem1, res.Mem3)
	}
	if res.ServePeakRSS == 0 {
		t.Log("serve peak RSS not measured (no /proc)")
	}
	if !res.Pass() {
		t.Error("Result.Pass is false")
	}
}
