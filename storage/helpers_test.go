package storage

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/redistest"
)

// testEnv is a private Redis, a Store on it configured as production
// configures it (Open), and a raw client to look at keys directly.
type testEnv struct {
	srv   *redistest.Server
	store *Store
	raw   *redis.Client
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	srv := redistest.Start(t)
	s, err := Open(srv.URL())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return &testEnv{srv: srv, store: s.WithJobs(quietJobs), raw: srv.Client()}
}

// needRealRedis skips a test that only a real redis-server can run. Under
// CI redistest fails when redis-server is missing, so this skips only on a
// developer's machine without one.
func needRealRedis(t *testing.T, e *testEnv, why string) {
	t.Helper()
	if !e.srv.Real() {
		t.Skipf("needs a real redis-server: %s", why)
	}
}

// testCtx bounds every test so that a hang fails instead of stalling the run.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var t0 = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

// appendAnswer is a decide func that adds one answer, under step, to the
// member's open session (starting one if there is none).
func appendAnswer(memberID, step string) func(*State) (*Change, error) {
	return func(st *State) (*Change, error) {
		next := tsunagu.Session{ID: "s1", MemberID: memberID, FlowID: "weekly", Status: tsunagu.SessionWaiting}
		if st.Session != nil {
			next = *st.Session
		}
		next.Answers = make(map[string]tsunagu.Answer, len(next.Answers)+1)
		if st.Session != nil {
			for k, v := range st.Session.Answers {
				next.Answers[k] = v
			}
		}
		next.Order = append(slices.Clone(next.Order), step)
		next.Answers[step] = tsunagu.Answer{Value: step, At: t0}
		return &Change{Session: &next}, nil
	}
}

func mustApply(t *testing.T, s *Store, eventID, memberID string, decide func(*State) (*Change, error)) {
	t.Helper()
	if err := s.Apply(testCtx(t), eventID, memberID, decide); err != nil {
		t.Fatalf("Apply(%q, %q): %v", eventID, memberID, err)
	}
}

// change returns a decide func that always decides ch.
func change(ch *Change) func(*State) (*Change, error) {
	return func(*State) (*Change, error) { return ch, nil }
}

// readState returns what decide would see for the member.
func readStateOf(t *testing.T, s *Store, memberID string) *State {
	t.Helper()
	var got *State
	err := s.Apply(testCtx(t), "", memberID, func(st *State) (*Change, error) {
		got = st
		return nil, nil
	})
	if err != nil {
		t.Fatalf("read state of %s: %v", memberID, err)
	}
	return got
}

func mustSession(t *testing.T, s *Store, memberID string) *tsunagu.Session {
	t.Helper()
	sess, err := s.Session(testCtx(t), memberID)
	if err != nil {
		t.Fatalf("Session(%s): %v", memberID, err)
	}
	return sess
}

func outboxLen(t *testing.T, o *Outbox) int64 {
	t.Helper()
	n, err := o.Len(testCtx(t))
	if err != nil {
		t.Fatalf("outbox Len: %v", err)
	}
	return n
}

func mustAlerts(t *testing.T, s *Store) []tsunagu.Alert {
	t.Helper()
	as, err := s.Alerts(testCtx(t), 1000)
	if err != nil {
		t.Fatalf("Alerts: %v", err)
	}
	return as
}

func mustRead(t *testing.T, o *Outbox, consumer string, count int) []Job {
	t.Helper()
	jobs, err := o.Read(testCtx(t), consumer, count, 10*time.Millisecond)
	if err != nil {
		t.Fatalf("Read(%s): %v", consumer, err)
	}
	return jobs
}

func outgoing(id, memberID string) tsunagu.Outgoing {
	return tsunagu.Outgoing{
		ID: id, MemberID: memberID, To: "U" + memberID,
		Messages:  []tsunagu.Message{{Text: "こんにちは"}},
		CreatedAt: t0,
	}
}

func newAlert(id string, created time.Time) *tsunagu.Alert {
	return &tsunagu.Alert{
		ID: id, Severity: tsunagu.SeverityWarning, FamilyCode: "F-0001",
		Role: tsunagu.RoleChild, FlowID: "weekly", Reason: "答えが「つらい」",
		State: tsunagu.AlertOpen, CreatedAt: created,
	}
}

func member(id, family string, role tsunagu.Role, linked time.Time) *tsunagu.Member {
	return &tsunagu.Member{ID: id, FamilyCode: family, Role: role, LineUserID: "U" + id, LinkedAt: linked}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := tsunagu.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (err %v), want %q", what, got, err, code)
	}
}

// eventually polls cond every 10ms for up to 10s: a guard against hanging,
// generous for a busy machine, not a timing assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func step(i int) string { return fmt.Sprintf("q%02d", i) }

// Job kinds as the scheduler names them (storage cannot import it).
const (
	jobReminder  = "reminder"
	jobExpire    = "expire"
	jobStart     = "start"
	jobDispatch  = "dispatch"
	jobEscalate  = "escalate"
	jobDigest    = "digest"
	jobRemindAll = "remind-all"
	jobExpireAll = "expire-all"
)

// quietJobs is scheduler.Quiet, which storage's tests cannot import.
func quietJobs(kind string) bool {
	return kind == jobExpire || kind == jobExpireAll || kind == jobEscalate || kind == jobDigest
}
