package storage

import (
	"slices"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

func TestStartSessions(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	start := func(id string) Start {
		return Start{
			MemberID: id,
			Session:  &tsunagu.Session{ID: "s-" + id, MemberID: id, FlowID: "f", Status: tsunagu.SessionWaiting, Dispatch: "d1"},
			Out:      tsunagu.Outgoing{ID: "o-" + id, MemberID: id, Messages: []tsunagu.Message{{Text: "やあ"}}},
		}
	}
	// m3 already has an open session of its own.
	if err := e.store.Apply(ctx, "", "m3", func(*State) (*Change, error) {
		return &Change{Session: &tsunagu.Session{ID: "other", MemberID: "m3", Status: tsunagu.SessionWaiting}}, nil
	}); err != nil {
		t.Fatal(err)
	}

	got, err := e.store.StartSessions(ctx, "d1", time.Hour, []Start{start("m1"), start("m2"), start("m3")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{StartStarted, StartStarted, StartBusy}; !slices.Equal(got, want) {
		t.Fatalf("first run: %v, want %v", got, want)
	}
	got, err = e.store.StartSessions(ctx, "d1", time.Hour, []Start{start("m1"), start("m2")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{StartDuplicate, StartDuplicate}; !slices.Equal(got, want) {
		t.Fatalf("run again: %v, want %v", got, want)
	}
	if n, _ := e.store.LineOutbox().Len(ctx); n != 2 {
		t.Fatalf("outbox has %d entries, want 2", n)
	}
	s, _ := e.store.Session(ctx, "m1")
	if s == nil || s.Version != 1 || s.Dispatch != "d1" {
		t.Fatalf("m1's session: %+v", s)
	}
	seen, err := e.store.Dispatched(ctx, "d1", []string{"m1", "m3", "m9"})
	if err != nil || !slices.Equal(seen, []bool{true, false, false}) {
		t.Fatalf("Dispatched = %v, %v", seen, err)
	}
	var members []string
	if err := e.store.DispatchMembers(ctx, "d1", func(ids []string) error { members = append(members, ids...); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(members)
	if !slices.Equal(members, []string{"m1", "m2"}) {
		t.Fatalf("DispatchMembers = %v", members)
	}
	if ttl := e.raw.TTL(ctx, dispatchMembersKey("d1")).Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("member set TTL %s, want about an hour", ttl)
	}
}
