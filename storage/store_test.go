package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

func TestImportFamilies(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	steps := []struct {
		name        string
		fams        []tsunagu.Family
		wantCreated int
		wantCodes   []string
	}{
		{
			name: "first import",
			fams: []tsunagu.Family{
				{Code: "F-0003", Tags: []string{"中学"}},
				{Code: "F-0001", Supporter: "U012AB3CD"},
				{Code: "F-0002"},
			},
			wantCreated: 3,
			wantCodes:   []string{"F-0001", "F-0002", "F-0003"},
		},
		{
			name: "re-import updates, adds the new one",
			fams: []tsunagu.Family{
				{Code: "F-0001", Supporter: "U999ZZZ"},
				{Code: "F-0000"},
			},
			wantCreated: 1,
			wantCodes:   []string{"F-0000", "F-0001", "F-0002", "F-0003"},
		},
		{
			name:        "same again",
			fams:        []tsunagu.Family{{Code: "F-0001", Supporter: "U999ZZZ"}, {Code: "F-0000"}},
			wantCreated: 0,
			wantCodes:   []string{"F-0000", "F-0001", "F-0002", "F-0003"},
		},
	}
	for _, st := range steps {
		created, err := e.store.ImportFamilies(ctx, st.fams)
		if err != nil {
			t.Fatalf("%s: ImportFamilies: %v", st.name, err)
		}
		if created != st.wantCreated {
			t.Errorf("%s: created %d, want %d", st.name, created, st.wantCreated)
		}
		fams, err := e.store.Families(ctx)
		if err != nil {
			t.Fatalf("%s: Families: %v", st.name, err)
		}
		var codes []string
		for _, f := range fams {
			codes = append(codes, f.Code)
		}
		if !slices.Equal(codes, st.wantCodes) {
			t.Errorf("%s: Families = %v, want %v (sorted, no duplicates)", st.name, codes, st.wantCodes)
		}
	}

	f, err := e.store.Family(ctx, "F-0001")
	if err != nil || f.Supporter != "U999ZZZ" {
		t.Errorf("Family(F-0001) = %+v, %v; want the updated supporter", f, err)
	}
	if f, err := e.store.Family(ctx, "F-0003"); err != nil || !slices.Equal(f.Tags, []string{"中学"}) {
		t.Errorf("Family(F-0003) = %+v, %v; want its tags kept", f, err)
	}
	_, err = e.store.Family(ctx, "F-9999")
	wantCode(t, "Family(unknown)", err, tsunagu.ENOTFOUND)

	// State.Family sees the roster too, and nil for an unknown code.
	mustApply(t, e.store, "", "m1", func(st *State) (*Change, error) {
		if f, err := st.Family("F-0002"); err != nil || f == nil || f.Code != "F-0002" {
			t.Errorf("State.Family(F-0002) = %+v, %v", f, err)
		}
		if f, err := st.Family("F-9999"); err != nil || f != nil {
			t.Errorf("State.Family(unknown) = %+v, %v; want nil, nil", f, err)
		}
		return nil, nil
	})
}

// A roster CSV with a header and no rows parses to no families
// (tsunagu.ParseRoster), and `tsunagu families import` then calls
// ImportFamilies with none: that is nothing to do, not a Redis outage.
func TestImportFamiliesEmpty(t *testing.T) {
	e := newEnv(t)
	created, err := e.store.ImportFamilies(testCtx(t), nil)
	if err != nil || created != 0 {
		t.Errorf("ImportFamilies(none) = %d, %v (code %s); want 0, nil", created, err, tsunagu.ErrorCode(err))
	}
}

func TestFamiliesEmpty(t *testing.T) {
	e := newEnv(t)
	fams, err := e.store.Families(testCtx(t))
	if err != nil || len(fams) != 0 {
		t.Errorf("Families on an empty Redis = %v, %v", fams, err)
	}
}

// Guarantee 1 and 4: with Redis down every call fails fast as EUNAVAILABLE
// (so the webhook answers 5xx and LINE redelivers), and the same Store works
// again once Redis is back, without anyone reconnecting it by hand.
func TestRedisDown(t *testing.T) {
	e := newEnv(t)
	needRealRedis(t, e, "miniredis stalls blocking stream reads after a restart")
	ctx := testCtx(t)
	if _, err := e.store.ImportFamilies(ctx, []tsunagu.Family{{Code: "F-0001"}}); err != nil {
		t.Fatal(err)
	}
	mustApply(t, e.store, "ev0", "m1", func(st *State) (*Change, error) {
		ch, _ := appendAnswer("m1", "q0")(st)
		ch.Out = []tsunagu.Outgoing{outgoing("o0", "m1")}
		return ch, nil
	})
	out := e.store.LineOutbox()
	if jobs := mustRead(t, out, "w1", 10); len(jobs) != 1 {
		t.Fatalf("read %d jobs before the outage, want 1", len(jobs))
	}

	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Apply", func(ctx context.Context) error {
			return e.store.Apply(ctx, "ev1", "m1", appendAnswer("m1", "q1"))
		}},
		{"Family", func(ctx context.Context) error {
			_, err := e.store.Family(ctx, "F-0001")
			return err
		}},
		{"Families", func(ctx context.Context) error {
			_, err := e.store.Families(ctx)
			return err
		}},
		{"Session", func(ctx context.Context) error {
			_, err := e.store.Session(ctx, "m1")
			return err
		}},
		{"Ping", func(ctx context.Context) error { return e.store.Ping(ctx) }},
		{"outbox Read", func(ctx context.Context) error {
			_, err := out.Read(ctx, "w2", 10, 10*time.Millisecond)
			return err
		}},
		{"outbox Len", func(ctx context.Context) error {
			_, err := out.Len(ctx)
			return err
		}},
		{"RaiseAlert", func(ctx context.Context) error {
			return e.store.RaiseAlert(ctx, newAlert("a1", t0))
		}},
		{"ClaimAlert", func(ctx context.Context) error {
			_, err := e.store.ClaimAlert(ctx, "a1", "U1", t0)
			return err
		}},
	}

	e.srv.Stop()
	for _, c := range calls {
		t.Run("down/"+c.name, func(t *testing.T) {
			// The deadline is a guard against hanging, not a timing assertion:
			// Open's own timeouts make these fail well inside it.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := c.call(ctx)
			wantCode(t, c.name+" with Redis down", err, tsunagu.EUNAVAILABLE)
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				t.Errorf("%s hung until the test's deadline", c.name)
			}
		})
	}

	e.srv.Restart()
	// After a run of failed dials go-redis stops dialling and probes Redis
	// once a second; the calls above made enough of them to trip that on a
	// busy machine. The Store recovers by itself: wait for it, by condition.
	eventually(t, "the store to reach Redis again", func() bool { return e.store.Ping(testCtx(t)) == nil })
	for _, c := range calls {
		t.Run("up/"+c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.call(ctx); err != nil {
				t.Errorf("%s after restart: %v", c.name, err)
			}
		})
	}
	s := mustSession(t, e.store, "m1")
	if fmt.Sprint(s.Order) != "[q0 q1]" {
		t.Errorf("session after restart: %v, want [q0 q1]", s.Order)
	}
}

// Open points at a Redis that is not there yet: it does not fail, and the
// store works once Redis is up.
func TestOpenBeforeRedis(t *testing.T) {
	e := newEnv(t)
	url := e.srv.URL()
	e.srv.Stop()
	s, err := Open(url)
	if err != nil {
		t.Fatalf("Open with Redis down: %v", err)
	}
	defer s.Close()
	wantCode(t, "Ping with Redis down", s.Ping(testCtx(t)), tsunagu.EUNAVAILABLE)
	e.srv.Restart()
	if err := s.Ping(testCtx(t)); err != nil {
		t.Errorf("Ping after Redis came up: %v", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	if _, err := Open("http://localhost:6379"); err == nil {
		t.Errorf("Open(http://...) succeeded, want an error")
	}
}
