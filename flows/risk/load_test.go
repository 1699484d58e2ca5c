package risk

import (
	"runtime"
	"testing"
	"time"
)

// TestLoadCost logs what loading the dictionary costs (time and heap), for
// docs/risk.md. It asserts nothing about time.
func TestLoadCost(t *testing.T) {
	if analyser != nil {
		t.Skip("dictionary already loaded in this process; run alone: go test -run TestLoadCost -v")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	if err := Warm(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("dictionary load: %v, live heap +%.1f MiB", took.Round(time.Millisecond), float64(after.HeapAlloc-before.HeapAlloc)/(1<<20))
}
