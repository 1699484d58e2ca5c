package slack_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	tslack "github.com/tsunagu/tsunagu/bot/slack"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// guarded is the desk of desk_test.go behind a Guard: the alert of
// F-0123 (tags uwajima) posted in fakeslack.Channel, which is the
// uwajima-npo channel; U0CLAIM is its supporter, U0ITO niihama-city's.
type guarded struct {
	*desk
	audit   *audit
	replays *replays
	cmd     *tslack.Commands
}

type audit struct {
	mu      sync.Mutex
	entries []tsunagu.AuditEntry
}

func (a *audit) Record(_ context.Context, e tsunagu.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
	return nil
}

func (a *audit) all() []tsunagu.AuditEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.entries)
}

type replays struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *replays) FirstSlackRequest(_ context.Context, sum string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[sum] {
		return false, nil
	}
	r.seen[sum] = true
	return true, nil
}

// lookup answers from the fake Supporters' alert and a fixed roster.
type lookup struct{ sup *fakeSupporters }

func (l lookup) Alert(_ context.Context, id string) (*tsunagu.Alert, error) {
	l.sup.mu.Lock()
	defer l.sup.mu.Unlock()
	if id != l.sup.alert.ID {
		return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "no alert %s", id)
	}
	a := *l.sup.alert
	return &a, nil
}

func (l lookup) Family(_ context.Context, code string) (*tsunagu.Family, error) {
	if code != "F-0123" {
		return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "no family %s", code)
	}
	return &tsunagu.Family{Code: code, Tags: []string{"uwajima"}}, nil
}

func newGuarded(t *testing.T) *guarded {
	t.Helper()
	d := newDesk(t, nil)
	d.fake.AddChannel(chNII)
	cfg := twoOrgs()
	cfg.Organisations[0].Channels = []string{fakeslack.Channel}
	cfg.Organisations[0].Supporters = []string{"U0CLAIM", "S0UWAJIMA"}
	cfg.Default.Channels = []string{"C0DEFAULT"}
	d.fake.SetUserGroup("S0UWAJIMA", "U0KATO")
	g := &guarded{desk: d, audit: &audit{}, replays: &replays{seen: map[string]bool{}}}
	guard := &tslack.Guard{
		Access: tslack.NewAccess(cfg, d.n, tsunagu.ClockFunc(func() time.Time { return clickTime })),
		Lookup: lookup{d.sup}, Record: g.audit, Replays: g.replays,
	}
	d.h.Guard = guard
	g.cmd = tslack.NewCommands(signingSecret, d.sup, nil, tsunagu.ClockFunc(func() time.Time { return clickTime }))
	g.cmd.Guard = guard
	return g
}

// clickAs presses actionID on the alert as user, from channel, in team.
func (g *guarded) clickAs(user, channel, team, actionID string) *http.Request {
	g.t.Helper()
	value := ""
	for _, b := range buttons(g.t, g.message().Blocks) {
		if b.ActionID == actionID {
			value = b.Value
		}
	}
	return signed(fakeslack.BlockActionForm(fakeslack.Click{
		UserID: user, ChannelID: channel, TeamID: team, MessageTS: g.alert.TS,
		ActionID: actionID, BlockID: "alert_actions", Value: value,
	}))
}

func (g *guarded) command(user, channel, team, text string) *httptest.ResponseRecorder {
	form := fakeslack.CommandForm("/tsunagu", text, user, channel)
	form.Set("team_id", team)
	w := httptest.NewRecorder()
	g.cmd.ServeHTTP(w, fakeslack.SignedRequest(commandsTarget, signingSecret, form, time.Now()))
	return w
}

func TestGuardRefusesClicks(t *testing.T) {
	for _, action := range []string{tslack.ActionClaim, tslack.ActionResolve, tslack.ActionReassign, tslack.ActionReply, tslack.ActionDetail} {
		for _, c := range []struct {
			name, user, channel, team, reason string
		}{
			{"other organisation", "U0ITO", fakeslack.Channel, fakeslack.TeamID, tslack.ReasonNotSupporter},
			{"other channel", "U0CLAIM", chNII, fakeslack.TeamID, tslack.ReasonOtherChannel},
			{"other workspace", "U0CLAIM", fakeslack.Channel, "T0OTHER", tslack.ReasonOtherWorkspace},
		} {
			t.Run(action+"/"+c.name, func(t *testing.T) {
				g := newGuarded(t)
				if w := g.serve(g.clickAs(c.user, c.channel, c.team, action)); w.Code != http.StatusOK {
					t.Fatalf("status %d", w.Code)
				}
				if calls := g.sup.recorded(); len(calls) != 0 {
					t.Errorf("refused click reached the desk: %+v", calls)
				}
				if v := g.fake.Views(); len(v) != 0 {
					t.Errorf("refused click opened a modal: %+v", v)
				}
				if m := g.message(); m.Updates != 0 {
					t.Errorf("refused click redrew the alert")
				}
				entries := g.audit.all()
				if len(entries) != 1 || entries[0].Action != "refused" || entries[0].By != c.user ||
					!strings.Contains(entries[0].Detail, c.reason) {
					t.Errorf("audit = %+v, want one refusal for %s", entries, c.reason)
				}
				var told []fakeslack.Message
				for _, ch := range []string{fakeslack.Channel, chNII} {
					told = append(told, g.fake.Ephemerals(ch)...)
				}
				if c.team == fakeslack.TeamID {
					if len(told) != 1 || strings.Contains(told[0].Text, "F-0123") || !strings.Contains(told[0].Text, "できません") {
						t.Errorf("refusal told %+v", told)
					}
				} else if len(told) != 0 {
					t.Errorf("another workspace was answered: %+v", told)
				}
			})
		}
	}
}

func TestGuardAllowsAndRecordsReads(t *testing.T) {
	g := newGuarded(t)
	if w := g.serve(g.clickAs("U0KATO", fakeslack.Channel, fakeslack.TeamID, tslack.ActionClaim)); w.Code != http.StatusOK {
		t.Fatalf("claim: %d", w.Code)
	}
	if calls := g.sup.recorded(); len(calls) != 1 || calls[0].Op != "claim" || calls[0].User != "U0KATO" {
		t.Fatalf("claim by a group member: %+v", calls)
	}
	g.serve(g.clickAs("U0CLAIM", fakeslack.Channel, fakeslack.TeamID, tslack.ActionDetail))
	entries := g.audit.all()
	if len(entries) != 1 || entries[0].Action != "read-detail" || entries[0].Family != "F-0123" || entries[0].By != "U0CLAIM" || !entries[0].At.Equal(clickTime) {
		t.Errorf("audit after a detail = %+v", entries)
	}
	if e := g.fake.Ephemerals(fakeslack.Channel); len(e) != 1 || !strings.Contains(e[0].Text, "F-0123") {
		t.Errorf("detail not shown: %+v", e)
	}
}

func TestGuardReassignOutside(t *testing.T) {
	g := newGuarded(t)
	g.serve(g.clickAs("U0CLAIM", fakeslack.Channel, fakeslack.TeamID, tslack.ActionReassign))
	w := g.submit(map[string]string{"assignee": "U0ITO"})
	if !strings.Contains(w.Body.String(), "同じ団体の支援者") {
		t.Errorf("reassign to another organisation answered %s", w.Body)
	}
	if calls := g.sup.recorded(); len(calls) != 0 {
		t.Errorf("reassigned outside: %+v", calls)
	}
	if e := g.audit.all(); len(e) != 1 || !strings.Contains(e[0].Detail, tslack.ReasonAssignee) {
		t.Errorf("audit = %+v", e)
	}
	g.submit(map[string]string{"assignee": "U0KATO"})
	if calls := g.sup.recorded(); len(calls) != 1 || calls[0].Arg != "U0KATO" {
		t.Errorf("reassign within: %+v", calls)
	}
}

// TestGuardReplay: a reply modal submitted twice (the same signed
// request) sends one message.
func TestGuardReplay(t *testing.T) {
	g := newGuarded(t)
	g.serve(g.clickAs("U0CLAIM", fakeslack.Channel, fakeslack.TeamID, tslack.ActionReply))
	views := g.fake.Views()
	req := signed(fakeslack.ViewSubmissionForm("U0CLAIM", views[len(views)-1], map[string]string{"reply_text": "またね"}))
	body := req.Header.Clone()
	form := fakeslack.ViewSubmissionForm("U0CLAIM", views[len(views)-1], map[string]string{"reply_text": "またね"})
	again := signed(form)
	again.Header = body // the same timestamp and signature: a replay
	for _, r := range []*http.Request{req, again} {
		if w := g.serve(r); w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
	}
	var replies int
	for _, c := range g.sup.recorded() {
		if c.Op == "reply" {
			replies++
		}
	}
	if replies != 1 {
		t.Errorf("a replayed submission replied %d times", replies)
	}
}

func TestGuardCommands(t *testing.T) {
	for _, c := range []struct {
		name, user, channel, team, text string
		allowed                         bool
	}{
		{"summary, own", "U0CLAIM", fakeslack.Channel, fakeslack.TeamID, "F-0123", true},
		{"summary, other organisation", "U0ITO", chNII, fakeslack.TeamID, "F-0123", false},
		{"summary, other organisation in our channel", "U0ITO", fakeslack.Channel, fakeslack.TeamID, "F-0123", false},
		{"summary, other channel", "U0CLAIM", chNII, fakeslack.TeamID, "F-0123", false},
		{"summary, other workspace", "U0CLAIM", fakeslack.Channel, "T0OTHER", "F-0123", false},
		{"pause, other organisation", "U0ITO", chNII, fakeslack.TeamID, "pause F-0123", false},
		{"resume, other channel", "U0CLAIM", "D0CLAIM", fakeslack.TeamID, "resume F-0123", false},
		{"send, other organisation", "U0ITO", fakeslack.Channel, fakeslack.TeamID, "send weekly-child F-0123", false},
		{"pause, own", "U0CLAIM", fakeslack.Channel, fakeslack.TeamID, "pause F-0123", true},
		{"send, admin from the other channel", "U0COORD", chNII, fakeslack.TeamID, "send weekly-child F-0123", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := newGuarded(t)
			w := g.command(c.user, c.channel, c.team, c.text)
			calls := g.sup.recorded()
			if c.allowed != (len(calls) == 1) {
				t.Fatalf("calls %+v, allowed %v; answer %s", calls, c.allowed, w.Body)
			}
			entries := g.audit.all()
			if !c.allowed {
				if !strings.Contains(w.Body.String(), "できません") || strings.Contains(w.Body.String(), "F-0123") || strings.Contains(w.Body.String(), "in_channel") {
					t.Errorf("refusal answered %s", w.Body)
				}
				if len(entries) != 1 || entries[0].Action != "refused" {
					t.Errorf("audit = %+v", entries)
				}
			}
			if c.allowed && c.text == "F-0123" && (len(entries) != 1 || entries[0].Action != "read-summary") {
				t.Errorf("summary read not recorded: %+v", entries)
			}
		})
	}
}
