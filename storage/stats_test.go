package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

// TestStatsCounters: an ended session is counted once into its start
// hour, per tag, with choices counted and numbers summed but free text
// never; streaks grow with misses, end with a completion, and go when the
// member is forgotten.
func TestStatsCounters(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	s := e.store.WithStats(func(flow, step string) StatKind {
		return map[string]StatKind{"mood": StatChoice, "sleep": StatNumber, "note": StatNone}[step]
	})
	if _, err := s.ImportFamilies(ctx, []tsunagu.Family{{Code: "F-0001", Tags: []string{"uwajima"}}}); err != nil {
		t.Fatal(err)
	}
	m := &tsunagu.Member{ID: "m1", FamilyCode: "F-0001", Role: tsunagu.RoleChild}
	mustApply(t, s, "e0", "m1", func(*State) (*Change, error) { return &Change{Member: m}, nil })
	end := func(ev string, status tsunagu.SessionStatus, answers map[string]tsunagu.Answer) {
		mustApply(t, s, ev, "m1", func(*State) (*Change, error) {
			return &Change{Ended: &tsunagu.Session{ID: ev, MemberID: "m1", FlowID: "weekly", Status: status, Answers: answers, StartedAt: t0, UpdatedAt: t0.Add(time.Hour)}}, nil
		})
	}
	end("e1", tsunagu.SessionMissed, nil)
	end("e2", tsunagu.SessionMissed, nil)
	streak := func() int {
		n := 0
		if err := s.Streaks(ctx, func(p []Streak) error {
			for _, x := range p {
				n = x.Missed
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := streak(); n != 2 {
		t.Fatalf("streak %d, want 2", n)
	}
	end("e3", tsunagu.SessionCompleted, map[string]tsunagu.Answer{
		"mood": {Value: "good", Label: "いい"}, "sleep": {Value: "7.5"}, "note": {Value: "secret words"},
	})
	if n := streak(); n != 0 {
		t.Fatalf("streak %d after a completion, want 0", n)
	}
	got := map[string]float64{}
	if err := s.Stats(ctx, t0.Truncate(time.Hour), t0.Add(time.Hour), func(c StatCounter) {
		got[c.Kind+"|"+c.Tag+"|"+c.Step+"|"+c.Value] = c.N
	}); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]float64{
		"s|||missed": 2, "s|uwajima||missed": 2, "s|||completed": 1, "a||mood|good": 1, "a|uwajima|mood|good": 1,
		"n||sleep|": 7.5, "c||sleep|": 1,
	} {
		if got[k] != want {
			t.Errorf("counter %s = %v, want %v (all: %v)", k, got[k], want, got)
		}
	}
	for k := range got {
		if len(k) > 0 && (strings.Contains(k, "note") || strings.Contains(k, "secret")) {
			t.Errorf("free text counted: %s", k)
		}
	}
	if ttl := e.raw.TTL(ctx, statsHourKey(t0.Unix()/3600)).Val(); ttl <= 0 {
		t.Errorf("hour counters have no TTL (%v)", ttl)
	}
	end("e4", tsunagu.SessionMissed, nil)
	if _, err := s.ForgetMemberStats(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if n := streak(); n != 0 {
		t.Errorf("streak %d after forgetting the member", n)
	}
}
