package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestSmallReport runs the whole benchmark with a few hundred members, so
// that CI proves it still works: a real redis-server, the counters seeded
// through the storage API, and `tsunagu report` built from this tree as a
// separate process in each format. Timings are logged, never asserted.
func TestSmallReport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and builds tsunagu; skipped with -short")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server not on PATH; CI must install it")
		}
		t.Skip("redis-server not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	res, err := Run(ctx, Config{Members: 300, Weeks: 8, Alerts: 50, Dir: t.TempDir(), Log: &progress})
	t.Log("\n" + progress.String())
	if err != nil {
		t.Fatal(err)
	}
	if res.Sessions != 300*8 || len(res.Runs) != 3 {
		t.Fatalf("sessions %d, runs %d", res.Sessions, len(res.Runs))
	}
	for _, r := range res.Runs {
		if r.Bytes == 0 {
			t.Errorf("%s report is empty", r.Format)
		}
		t.Logf("%s: %v, peak RSS %.1f MB", r.Format, r.Time, float64(r.PeakRSS)/1e6)
	}
}
