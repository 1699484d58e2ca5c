package storage

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

func TestRaiseAlert(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	a := newAlert("a1", t0)
	a.Answers = []tsunagu.QA{{Question: "今週はどうだった？", Answer: "つらい"}}
	if err := e.store.RaiseAlert(ctx, a); err != nil {
		t.Fatalf("RaiseAlert: %v", err)
	}
	got, err := e.store.Alert(ctx, "a1")
	if err != nil {
		t.Fatalf("Alert: %v", err)
	}
	if got.Reason != a.Reason || got.State != tsunagu.AlertOpen || !slices.Equal(got.Answers, a.Answers) || !got.CreatedAt.Equal(t0) {
		t.Errorf("stored alert %+v, want %+v", got, a)
	}
	jobs := mustRead(t, e.store.SlackOutbox(), "w", 10)
	if len(jobs) != 1 {
		t.Fatalf("Slack outbox has %d jobs, want 1", len(jobs))
	}
	var job SlackJob
	if err := jobs[0].Decode(&job); err != nil || job != (SlackJob{Op: SlackPost, AlertID: "a1"}) {
		t.Errorf("Slack job = %+v, %v; want post a1", job, err)
	}

	_, err = e.store.Alert(ctx, "nope")
	wantCode(t, "Alert(unknown)", err, tsunagu.ENOTFOUND)
}

func TestAlertsNewestFirst(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	// Raised out of order; one through Apply.
	for _, a := range []*tsunagu.Alert{newAlert("mid", t0.Add(time.Minute)), newAlert("old", t0)} {
		if err := e.store.RaiseAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	mustApply(t, e.store, "", "m1", change(&Change{Alerts: []*tsunagu.Alert{newAlert("new", t0.Add(time.Hour))}}))

	tests := []struct {
		n    int64
		want []string
	}{
		{10, []string{"new", "mid", "old"}},
		{2, []string{"new", "mid"}},
		{1, []string{"new"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("n=", tt.n), func(t *testing.T) {
			as, err := e.store.Alerts(ctx, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range as {
				ids = append(ids, a.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("Alerts(%d) = %v, want %v", tt.n, ids, tt.want)
			}
		})
	}
}

func TestAlertTransitions(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	type op struct {
		kind string // claim or resolve
		user string
		at   time.Time
	}
	tests := []struct {
		name       string
		ops        []op
		state      tsunagu.AlertState
		claimedBy  string
		claimedAt  time.Time
		resolvedBy string
		resolvedAt time.Time
	}{
		{
			name:      "open → claimed",
			ops:       []op{{"claim", "U1", at(1)}},
			state:     tsunagu.AlertClaimed,
			claimedBy: "U1", claimedAt: at(1),
		},
		{
			name:      "claim by another moves it",
			ops:       []op{{"claim", "U1", at(1)}, {"claim", "U2", at(2)}},
			state:     tsunagu.AlertClaimed,
			claimedBy: "U2", claimedAt: at(2),
		},
		{
			name:      "claim again by the same keeps the first time",
			ops:       []op{{"claim", "U1", at(1)}, {"claim", "U1", at(2)}},
			state:     tsunagu.AlertClaimed,
			claimedBy: "U1", claimedAt: at(1),
		},
		{
			name:       "open → resolved",
			ops:        []op{{"resolve", "U1", at(1)}},
			state:      tsunagu.AlertResolved,
			resolvedBy: "U1", resolvedAt: at(1),
		},
		{
			name:      "claimed → resolved by another",
			ops:       []op{{"claim", "U1", at(1)}, {"resolve", "U2", at(2)}},
			state:     tsunagu.AlertResolved,
			claimedBy: "U1", claimedAt: at(1),
			resolvedBy: "U2", resolvedAt: at(2),
		},
		{
			name:       "resolved ignores claim",
			ops:        []op{{"resolve", "U1", at(1)}, {"claim", "U2", at(2)}},
			state:      tsunagu.AlertResolved,
			resolvedBy: "U1", resolvedAt: at(1),
		},
		{
			name:       "resolved ignores a second resolve",
			ops:        []op{{"resolve", "U1", at(1)}, {"resolve", "U2", at(2)}},
			state:      tsunagu.AlertResolved,
			resolvedBy: "U1", resolvedAt: at(1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := testCtx(t)
			if err := e.store.RaiseAlert(ctx, newAlert("a1", t0)); err != nil {
				t.Fatal(err)
			}
			var last *tsunagu.Alert
			for _, o := range tt.ops {
				var err error
				switch o.kind {
				case "claim":
					last, err = e.store.ClaimAlert(ctx, "a1", o.user, o.at)
				case "resolve":
					last, err = e.store.ResolveAlert(ctx, "a1", o.user, o.at)
				}
				if err != nil {
					t.Fatalf("%s by %s: %v", o.kind, o.user, err)
				}
			}
			stored, err := e.store.Alert(ctx, "a1")
			if err != nil {
				t.Fatal(err)
			}
			for what, a := range map[string]*tsunagu.Alert{"returned": last, "stored": stored} {
				if a.State != tt.state || a.ClaimedBy != tt.claimedBy || !a.ClaimedAt.Equal(tt.claimedAt) ||
					a.ResolvedBy != tt.resolvedBy || !a.ResolvedAt.Equal(tt.resolvedAt) {
					t.Errorf("%s: state %s claimed %q@%v resolved %q@%v; want %s claimed %q@%v resolved %q@%v",
						what, a.State, a.ClaimedBy, a.ClaimedAt, a.ResolvedBy, a.ResolvedAt,
						tt.state, tt.claimedBy, tt.claimedAt, tt.resolvedBy, tt.resolvedAt)
				}
				if a.Reason != "答えが「つらい」" || a.FamilyCode != "F-0001" {
					t.Errorf("%s: the rest of the alert changed: %+v", what, a)
				}
			}
		})
	}
}

func TestAlertUnknown(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	_, err := e.store.ClaimAlert(ctx, "nope", "U1", t0)
	wantCode(t, "ClaimAlert(unknown)", err, tsunagu.ENOTFOUND)
	_, err = e.store.ResolveAlert(ctx, "nope", "U1", t0)
	wantCode(t, "ResolveAlert(unknown)", err, tsunagu.ENOTFOUND)
	_, err = e.store.SetAlertPosted(ctx, "nope", "C1", "1.2", "")
	wantCode(t, "SetAlertPosted(unknown)", err, tsunagu.ENOTFOUND)
	if n, _ := e.raw.Exists(ctx, alertKey("nope")).Result(); n != 0 {
		t.Errorf("an update of an unknown alert created it")
	}
}

func TestSetAlertPosted(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	if err := e.store.RaiseAlert(ctx, newAlert("a1", t0)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ClaimAlert(ctx, "a1", "U1", t0); err != nil {
		t.Fatal(err)
	}
	a, err := e.store.SetAlertPosted(ctx, "a1", "C0123", "1712345678.000100", "")
	if err != nil {
		t.Fatalf("SetAlertPosted: %v", err)
	}
	stored, _ := e.store.Alert(ctx, "a1")
	for what, got := range map[string]*tsunagu.Alert{"returned": a, "stored": stored} {
		if got.Channel != "C0123" || got.TS != "1712345678.000100" {
			t.Errorf("%s: channel %q ts %q", what, got.Channel, got.TS)
		}
		if got.State != tsunagu.AlertClaimed || got.ClaimedBy != "U1" {
			t.Errorf("%s: posting lost the claim: %+v", what, got)
		}
	}
}

// Ten supporters click at once: every click is applied in some order, none
// is lost to another's write, and each sees a consistent alert.
func TestAlertConcurrentClaims(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	if err := e.store.RaiseAlert(ctx, newAlert("a1", t0)); err != nil {
		t.Fatal(err)
	}
	const n = 10
	user := func(i int) string { return fmt.Sprintf("U%02d", i) }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	got := make([]*tsunagu.Alert, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = e.store.ClaimAlert(ctx, "a1", user(i), at(i)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("claim by %s: %v", user(i), errs[i])
		}
		// Each click moved the alert to its own user when it landed.
		if got[i].State != tsunagu.AlertClaimed || got[i].ClaimedBy != user(i) || !got[i].ClaimedAt.Equal(at(i)) {
			t.Errorf("claim by %s returned %s by %s at %v", user(i), got[i].State, got[i].ClaimedBy, got[i].ClaimedAt)
		}
	}
	final, err := e.store.Alert(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(got, func(a *tsunagu.Alert) bool { return a.ClaimedBy == final.ClaimedBy })
	if final.State != tsunagu.AlertClaimed || i < 0 || !final.ClaimedAt.Equal(at(i)) {
		t.Errorf("final alert claimed by %q at %v: not one supporter's claim", final.ClaimedBy, final.ClaimedAt)
	}
}

// Claims racing a resolve never reopen the alert.
func TestAlertConcurrentClaimsAndResolve(t *testing.T) {
	for round := range 5 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			e := newEnv(t)
			ctx := testCtx(t)
			if err := e.store.RaiseAlert(ctx, newAlert("a1", t0)); err != nil {
				t.Fatal(err)
			}
			const n = 10
			start := make(chan struct{})
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					if i == n/2 {
						_, errs[i] = e.store.ResolveAlert(ctx, "a1", "UR", t0.Add(time.Hour))
						return
					}
					_, errs[i] = e.store.ClaimAlert(ctx, "a1", fmt.Sprintf("U%02d", i), t0.Add(time.Duration(i)*time.Minute))
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("click %d: %v", i, err)
				}
			}
			final, err := e.store.Alert(ctx, "a1")
			if err != nil {
				t.Fatal(err)
			}
			if final.State != tsunagu.AlertResolved || final.ResolvedBy != "UR" {
				t.Errorf("final alert %s (resolved by %q), want resolved by UR", final.State, final.ResolvedBy)
			}
		})
	}
}
