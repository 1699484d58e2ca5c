package storage

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

func TestApplyEventOnce(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	const m = "m1"
	full := func(text string) func(*State) (*Change, error) {
		return func(st *State) (*Change, error) {
			ch, _ := appendAnswer(m, text)(st)
			ch.Out = []tsunagu.Outgoing{outgoing("o-"+text, m)}
			ch.Alerts = []*tsunagu.Alert{newAlert("a-"+text, t0)}
			return ch, nil
		}
	}
	if err := e.store.Apply(ctx, "ev1", m, full("first")); err != nil {
		t.Fatalf("first Apply: %v", err)
	}
	before := mustSession(t, e.store, m)

	calls := 0
	err := e.store.Apply(ctx, "ev1", m, func(st *State) (*Change, error) {
		calls++
		return full("again")(st)
	})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("redelivered event: err %v, want ErrDuplicate", err)
	}
	if calls != 0 {
		t.Errorf("decide ran %d times for a redelivered event, want 0", calls)
	}
	after := mustSession(t, e.store, m)
	if after.Version != before.Version || len(after.Order) != 1 {
		t.Errorf("session changed by a duplicate: version %d→%d, order %v", before.Version, after.Version, after.Order)
	}
	if n := outboxLen(t, e.store.LineOutbox()); n != 1 {
		t.Errorf("LINE outbox has %d entries, want 1", n)
	}
	if n := outboxLen(t, e.store.SlackOutbox()); n != 1 {
		t.Errorf("Slack outbox has %d entries, want 1", n)
	}
	if as := mustAlerts(t, e.store); len(as) != 1 || as[0].ID != "a-first" {
		t.Errorf("alerts = %+v, want only a-first", as)
	}

	// A different event for the same member still commits.
	mustApply(t, e.store, "ev2", m, full("second"))
	if got := mustSession(t, e.store, m); got.Version != 2 {
		t.Errorf("after ev2: version %d, want 2", got.Version)
	}
}

// Two deliveries of one event at the same moment (two replicas) commit once.
func TestApplyEventOnceConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = e.store.Apply(ctx, "ev-same", "m1", func(st *State) (*Change, error) {
				ch, _ := appendAnswer("m1", step(i))(st)
				ch.Out = []tsunagu.Outgoing{outgoing(step(i), "m1")}
				return ch, nil
			})
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrDuplicate):
			t.Errorf("delivery %d: %v", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("%d deliveries committed, want 1", ok)
	}
	if s := mustSession(t, e.store, "m1"); s.Version != 1 || len(s.Order) != 1 {
		t.Errorf("session version %d order %v, want one commit", s.Version, s.Order)
	}
	if n := outboxLen(t, e.store.LineOutbox()); n != 1 {
		t.Errorf("LINE outbox has %d entries, want 1", n)
	}
}

func TestApplyConcurrentAppends(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := e.store.Apply(ctx, fmt.Sprintf("ev%d", i), "m1", appendAnswer("m1", step(i))); err != nil {
				errs <- fmt.Errorf("apply %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := mustSession(t, e.store, "m1")
	if s.Version != n {
		t.Errorf("Version = %d, want %d (one bump per commit)", s.Version, n)
	}
	if len(s.Answers) != n || len(s.Order) != n {
		t.Errorf("%d answers, %d in order, want %d each (lost updates)", len(s.Answers), len(s.Order), n)
	}
	for i := range n {
		if _, ok := s.Answers[step(i)]; !ok {
			t.Errorf("answer %s lost", step(i))
		}
	}
}

func TestApplyVersion(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 3; i++ {
		mustApply(t, e.store, "", "m1", appendAnswer("m1", step(i)))
		if got := mustSession(t, e.store, "m1").Version; got != int64(i) {
			t.Fatalf("after commit %d: Version %d, want %d", i, got, i)
		}
	}
	// The version Apply sets wins over whatever decide put there.
	mustApply(t, e.store, "", "m1", func(st *State) (*Change, error) {
		next := *st.Session
		next.Version = 99
		return &Change{Session: &next}, nil
	})
	if got := mustSession(t, e.store, "m1").Version; got != 4 {
		t.Errorf("Version = %d, want 4", got)
	}
}

func TestApplyDecideErrorCommitsNothing(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	mustApply(t, e.store, "ev0", "m1", appendAnswer("m1", "q0"))
	boom := errors.New("boom")
	err := e.store.Apply(ctx, "ev1", "m1", func(st *State) (*Change, error) {
		ch, _ := appendAnswer("m1", "q1")(st)
		ch.Out = []tsunagu.Outgoing{outgoing("o1", "m1")}
		return ch, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Apply: err %v, want decide's error", err)
	}
	if s := mustSession(t, e.store, "m1"); s.Version != 1 || len(s.Order) != 1 {
		t.Errorf("session after failed decide: version %d order %v, want unchanged", s.Version, s.Order)
	}
	if n := outboxLen(t, e.store.LineOutbox()); n != 0 {
		t.Errorf("LINE outbox has %d entries, want 0", n)
	}
	// The event was not marked processed: its redelivery is processed.
	mustApply(t, e.store, "ev1", "m1", appendAnswer("m1", "q1"))
	if s := mustSession(t, e.store, "m1"); s.Version != 2 {
		t.Errorf("redelivery after a failed decide: version %d, want 2", s.Version)
	}
}

// A commit that lands between decide's read and Apply's EXEC makes Apply
// decide again on the fresh state, so neither change is lost.
func TestApplyRetriesOnCompetingCommit(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	mustApply(t, e.store, "", "m1", appendAnswer("m1", "start"))

	var calls atomic.Int32
	var seen []int64 // the Version each call of decide saw
	err := e.store.Apply(ctx, "ev-slow", "m1", func(st *State) (*Change, error) {
		seen = append(seen, st.Session.Version)
		if calls.Add(1) == 1 {
			// Another replica commits for the same member meanwhile.
			if err := e.store.Apply(ctx, "ev-fast", "m1", appendAnswer("m1", "fast")); err != nil {
				return nil, fmt.Errorf("competing commit: %w", err)
			}
		}
		return appendAnswer("m1", "slow")(st)
	})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("decide ran %d times, want 2 (once more on fresh state)", calls.Load())
	}
	if len(seen) == 2 && (seen[0] != 1 || seen[1] != 2) {
		t.Errorf("decide saw versions %v, want [1 2]", seen)
	}
	s := mustSession(t, e.store, "m1")
	if want := []string{"start", "fast", "slow"}; fmt.Sprint(s.Order) != fmt.Sprint(want) {
		t.Errorf("Order = %v, want %v", s.Order, want)
	}
	if s.Version != 3 {
		t.Errorf("Version = %d, want 3", s.Version)
	}
}

// The same, for a competing write to each key State reads.
func TestApplyRetriesOnEachWatchedKey(t *testing.T) {
	tests := []struct {
		name    string
		compete *Change
		check   func(t *testing.T, st *State)
	}{
		{
			name:    "session",
			compete: &Change{Session: &tsunagu.Session{ID: "other", Status: tsunagu.SessionWaiting}},
			check: func(t *testing.T, st *State) {
				if st.Session == nil || st.Session.ID != "other" {
					t.Errorf("second decide saw session %+v, want the competing one", st.Session)
				}
			},
		},
		{
			name:    "member",
			compete: &Change{Member: member("m1", "F-0001", tsunagu.RoleChild, t0)},
			check: func(t *testing.T, st *State) {
				if st.Member == nil {
					t.Errorf("second decide saw no member, want the competing one")
				}
			},
		},
		{
			name:    "enrol failures",
			compete: &Change{EnrolFailed: 1},
			check: func(t *testing.T, st *State) {
				if st.EnrolFails != 1 {
					t.Errorf("second decide saw EnrolFails %d, want 1", st.EnrolFails)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := testCtx(t)
			var states []*State
			err := e.store.Apply(ctx, "ev", "m1", func(st *State) (*Change, error) {
				states = append(states, st)
				if len(states) == 1 {
					if err := e.store.Apply(ctx, "", "m1", change(tt.compete)); err != nil {
						return nil, err
					}
				}
				return nil, nil
			})
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if len(states) != 2 {
				t.Fatalf("decide ran %d times, want 2", len(states))
			}
			tt.check(t, states[1])
		})
	}
}

func TestInviteUsedOnce(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	inv := tsunagu.Invite{Code: "K7QM-XR4P", FamilyCode: "F-0001", Role: tsunagu.RoleChild, ExpiresAt: t0.Add(24 * time.Hour)}
	if err := e.store.CreateInvite(ctx, inv, t0); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}

	// Both users read the invite before either commits: without a watch on
	// the invite, both would be linked.
	var ready sync.WaitGroup
	ready.Add(2)
	bothRead := make(chan struct{})
	go func() { ready.Wait(); close(bothRead) }()

	ids := []string{"mA", "mB"}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			first := true
			errs[i] = e.store.Apply(ctx, "ev-"+id, id, func(st *State) (*Change, error) {
				got, err := st.Invite(inv.Code)
				if err != nil {
					return nil, err
				}
				if first {
					first = false
					ready.Done()
					select {
					case <-bothRead:
					case <-time.After(5 * time.Second):
						return nil, errors.New("the other user never read the invite")
					}
				}
				if got == nil {
					return &Change{EnrolFailed: 1}, nil
				}
				return &Change{UseInvite: got.Code, Member: member(id, got.FamilyCode, got.Role, t0)}, nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Apply for %s: %v", ids[i], err)
		}
	}

	linked := 0
	for _, id := range ids {
		if _, err := e.store.Member(ctx, id); err == nil {
			linked++
		} else {
			wantCode(t, "Member of the loser", err, tsunagu.ENOTFOUND)
			if st := readStateOf(t, e.store, id); st.EnrolFails != 1 {
				t.Errorf("loser %s: EnrolFails %d, want 1", id, st.EnrolFails)
			}
		}
	}
	if linked != 1 {
		t.Errorf("%d members linked with one invite, want 1", linked)
	}
	ms, err := e.store.FamilyMembers(ctx, "F-0001")
	if err != nil {
		t.Fatalf("FamilyMembers: %v", err)
	}
	if len(ms) != 1 {
		t.Errorf("family has %d members, want 1", len(ms))
	}
	if n, _ := e.raw.Exists(ctx, inviteKey(inv.Code)).Result(); n != 0 {
		t.Errorf("used invite still stored")
	}
}

func TestCreateInvite(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	inv := tsunagu.Invite{Code: "AAAA-BBBB", FamilyCode: "F-0001", Role: tsunagu.RoleGuardian, ExpiresAt: t0.Add(72 * time.Hour)}
	if err := e.store.CreateInvite(ctx, inv, t0); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	ttl, err := e.raw.PTTL(ctx, inviteKey(inv.Code)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl < 72*time.Hour-time.Minute || ttl > 72*time.Hour {
		t.Errorf("invite TTL %v, want ~72h (ExpiresAt - now)", ttl)
	}
	got, err := stInvite(t, e.store, "m1", inv.Code)
	if err != nil || got == nil || *got != inv {
		t.Errorf("State.Invite = %+v, %v; want %+v", got, err, inv)
	}

	tests := []struct {
		name string
		inv  tsunagu.Invite
		code string
	}{
		{"code in use", tsunagu.Invite{Code: inv.Code, FamilyCode: "F-0002", ExpiresAt: t0.Add(time.Hour)}, tsunagu.ECONFLICT},
		{"expires now", tsunagu.Invite{Code: "CCCC-DDDD", ExpiresAt: t0}, tsunagu.EINVALID},
		{"expired", tsunagu.Invite{Code: "CCCC-DDDD", ExpiresAt: t0.Add(-time.Hour)}, tsunagu.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, "CreateInvite", e.store.CreateInvite(ctx, tt.inv, t0), tt.code)
		})
	}
	// The conflicting invite did not overwrite the first.
	if got, _ := stInvite(t, e.store, "m1", inv.Code); got == nil || got.FamilyCode != "F-0001" {
		t.Errorf("after a conflicting create: invite %+v, want the original", got)
	}
}

func TestInviteExpires(t *testing.T) {
	e := newEnv(t)
	needRealRedis(t, e, "miniredis does not expire keys as real time passes")
	ctx := testCtx(t)
	inv := tsunagu.Invite{Code: "EEEE-FFFF", FamilyCode: "F-0001", Role: tsunagu.RoleChild, ExpiresAt: t0.Add(time.Hour)}
	if err := e.store.CreateInvite(ctx, inv, t0); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	if got, err := stInvite(t, e.store, "m1", inv.Code); err != nil || got == nil {
		t.Fatalf("fresh invite: %+v, %v", got, err)
	}
	// Let the hour pass.
	if err := e.raw.PExpire(ctx, inviteKey(inv.Code), 20*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the invite expires", func() bool {
		got, err := stInvite(t, e.store, "m1", inv.Code)
		return err == nil && got == nil
	})
}

// Short-lived invites get a millisecond TTL, not one rounded to seconds.
func TestInviteSubSecondTTL(t *testing.T) {
	e := newEnv(t)
	needRealRedis(t, e, "miniredis does not expire keys as real time passes")
	ctx := testCtx(t)
	now := time.Now()
	inv := tsunagu.Invite{Code: "GGGG-HHHH", FamilyCode: "F-0001", ExpiresAt: now.Add(300 * time.Millisecond)}
	if err := e.store.CreateInvite(ctx, inv, now); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	eventually(t, "the 300ms invite expires", func() bool {
		got, err := stInvite(t, e.store, "m1", inv.Code)
		return err == nil && got == nil
	})
}

func TestEnrolFailsCountAndExpire(t *testing.T) {
	e := newEnv(t)
	needRealRedis(t, e, "miniredis does not expire keys as real time passes")
	ctx := testCtx(t)
	key := enrolFailsKey("m1")
	fail := change(&Change{EnrolFailed: 1})

	mustApply(t, e.store, "", "m1", fail)
	if got := readStateOf(t, e.store, "m1").EnrolFails; got != 1 {
		t.Fatalf("EnrolFails = %d, want 1", got)
	}
	ttl := e.raw.PTTL(ctx, key).Val()
	if ttl < time.Hour-time.Minute || ttl > time.Hour {
		t.Fatalf("TTL after first failure %v, want ~1h", ttl)
	}

	// 50 minutes later, another failure does not restart the hour.
	if err := e.raw.PExpire(ctx, key, 10*time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	mustApply(t, e.store, "", "m1", fail)
	if got := readStateOf(t, e.store, "m1").EnrolFails; got != 2 {
		t.Errorf("EnrolFails = %d, want 2", got)
	}
	if ttl := e.raw.PTTL(ctx, key).Val(); ttl > 10*time.Minute || ttl <= 0 {
		t.Errorf("TTL after second failure %v, want ≤10m (not extended, still set)", ttl)
	}

	// The hour ends: the count starts again, with a new hour.
	if err := e.raw.PExpire(ctx, key, 10*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failure count expires", func() bool {
		return readStateOf(t, e.store, "m1").EnrolFails == 0
	})
	mustApply(t, e.store, "", "m1", fail)
	if got := readStateOf(t, e.store, "m1").EnrolFails; got != 1 {
		t.Errorf("EnrolFails after expiry and one failure = %d, want 1", got)
	}
	if ttl := e.raw.PTTL(ctx, key).Val(); ttl < time.Hour-time.Minute {
		t.Errorf("TTL after the count restarted %v, want ~1h", ttl)
	}
}

func TestHistory(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	const n = historyLen + 5
	for i := range n {
		mustApply(t, e.store, "", "m1", change(&Change{
			Ended: &tsunagu.Session{ID: fmt.Sprint(i), MemberID: "m1", Status: tsunagu.SessionCompleted},
		}))
	}
	h, err := e.store.History(ctx, "m1")
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if len(h) != 100 {
		t.Fatalf("History has %d sessions, want 100", len(h))
	}
	if h[0].ID != fmt.Sprint(n-1) || h[99].ID != fmt.Sprint(n-100) {
		t.Errorf("History runs %s..%s, want %d..%d (newest first)", h[0].ID, h[99].ID, n-1, n-100)
	}
	if h, err := e.store.History(ctx, "nobody"); err != nil || len(h) != 0 {
		t.Errorf("History of a member with none: %v, %v", h, err)
	}
}

func TestClearSession(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	mustApply(t, e.store, "", "m1", appendAnswer("m1", "q1"))
	open := mustSession(t, e.store, "m1")

	ended := *open
	ended.Status = tsunagu.SessionCompleted
	mustApply(t, e.store, "", "m1", change(&Change{ClearSession: true, Ended: &ended}))
	if s := mustSession(t, e.store, "m1"); s != nil {
		t.Errorf("open session after ClearSession: %+v", s)
	}
	h, err := e.store.History(ctx, "m1")
	if err != nil || len(h) != 1 || h[0].Status != tsunagu.SessionCompleted || h[0].Order[0] != "q1" {
		t.Errorf("History = %+v, %v; want the ended session", h, err)
	}
	// Clearing when there is nothing open is fine.
	mustApply(t, e.store, "", "m1", change(&Change{ClearSession: true}))
}

func TestFamilyMembers(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	// Linked in an order that is neither role order nor id order.
	links := []*tsunagu.Member{
		member("g1", "F-0001", tsunagu.RoleGuardian, t0),
		member("c2", "F-0001", tsunagu.RoleChild, t0.Add(2*time.Hour)),
		member("c1", "F-0001", tsunagu.RoleChild, t0.Add(time.Hour)),
		member("g0", "F-0001", tsunagu.RoleGuardian, t0.Add(3*time.Hour)),
		member("x1", "F-0002", tsunagu.RoleChild, t0),
	}
	for _, m := range links {
		mustApply(t, e.store, "link-"+m.ID, m.ID, change(&Change{Member: m}))
	}
	tests := []struct {
		name, family string
		want         []string
	}{
		{"children first, then by link time", "F-0001", []string{"c1", "c2", "g1", "g0"}},
		{"other family", "F-0002", []string{"x1"}},
		{"no members", "F-0404", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := e.store.FamilyMembers(ctx, tt.family)
			if err != nil {
				t.Fatalf("FamilyMembers: %v", err)
			}
			if got := memberIDs(ms); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("members %v, want %v", got, tt.want)
			}
		})
	}

	got, err := e.store.Member(ctx, "c1")
	if err != nil || *got != *links[2] {
		t.Errorf("Member(c1) = %+v, %v; want %+v", got, err, links[2])
	}
	_, err = e.store.Member(ctx, "nobody")
	wantCode(t, "Member(nobody)", err, tsunagu.ENOTFOUND)

	// Re-linking to another family moves the member.
	mustApply(t, e.store, "", "x1", change(&Change{Member: member("x1", "F-0001", tsunagu.RoleChild, t0.Add(4*time.Hour))}))
	for fam, want := range map[string]string{"F-0001": "[c1 c2 x1 g1 g0]", "F-0002": "[]"} {
		ms, err := e.store.FamilyMembers(ctx, fam)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(memberIDs(ms)); got != want {
			t.Errorf("after moving x1: %s has %s, want %s", fam, got, want)
		}
	}
}

// stInvite reads an invite through State, as decide does.
func stInvite(t *testing.T, s *Store, memberID, code string) (*tsunagu.Invite, error) {
	t.Helper()
	var inv *tsunagu.Invite
	var ierr error
	err := s.Apply(testCtx(t), "", memberID, func(st *State) (*Change, error) {
		inv, ierr = st.Invite(code)
		return nil, nil
	})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return inv, ierr
}

func memberIDs(ms []tsunagu.Member) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}
