package slack_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	tslack "github.com/tsunagu/tsunagu/bot/slack"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

const (
	signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	target        = "http://tsunagu.test/slack/interactions"
)

// clickTime is the injected clock; signatures use the wall clock because
// slack.NewSecretsVerifier does.
var clickTime = time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC)

func click(actionID, value, ts string) url.Values {
	return fakeslack.BlockActionForm(fakeslack.Click{
		UserID: "U0CLAIM", MessageTS: ts, ActionID: actionID, BlockID: "alert_actions", Value: value,
	})
}

func signed(form url.Values) *http.Request {
	return fakeslack.SignedRequest(target, signingSecret, form, time.Now())
}

// TestInteractions covers the signature checks and the claim and resolve
// buttons as the deprecated NewInteractions handles them (resolve without
// a note), which cmd uses until it switches to NewSupporterInteractions.
func TestInteractions(t *testing.T) {
	tests := []struct {
		name       string
		req        func(ts string) *http.Request
		actionsErr error
		setup      func(fake *fakeslack.Server)
		stored     func(a *tsunagu.Alert) // the alert as the store has it
		wantStatus int
		wantCalls  []call
		wantText   []string // in the updated message
		wantLog    string
	}{
		{
			name:       "claim",
			req:        func(ts string) *http.Request { return signed(click("claim", "al-0001", ts)) },
			wantStatus: 200,
			wantCalls:  []call{{"claim", "al-0001", "U0CLAIM", "", clickTime}},
			wantText:   []string{"🙋 対応中: <@U0CLAIM>（2026-03-01 10:30）"},
		},
		// resolve opens the note modal: desk_test.go.
		{
			name: "wrong secret",
			req: func(ts string) *http.Request {
				return fakeslack.SignedRequest(target, "not-the-secret", click("claim", "al-0001", ts), time.Now())
			},
			wantStatus: 401,
		},
		{
			name: "no signature",
			req: func(ts string) *http.Request {
				r := signed(click("claim", "al-0001", ts))
				r.Header.Del("X-Slack-Signature")
				return r
			},
			wantStatus: 401,
		},
		{
			name: "body changed after signing",
			req: func(ts string) *http.Request {
				r := signed(click("claim", "al-0001", ts))
				forged := signed(click("resolve", "al-0001", ts))
				forged.Header = r.Header
				return forged
			},
			wantStatus: 401,
		},
		{
			name: "stale timestamp",
			req: func(ts string) *http.Request {
				return fakeslack.SignedRequest(target, signingSecret, click("claim", "al-0001", ts), time.Now().Add(-6*time.Minute))
			},
			wantStatus: 401,
		},
		{
			name: "timestamp from the future",
			req: func(ts string) *http.Request {
				return fakeslack.SignedRequest(target, signingSecret, click("claim", "al-0001", ts), time.Now().Add(6*time.Minute))
			},
			wantStatus: 401,
		},
		{
			name:       "unknown action ignored",
			req:        func(ts string) *http.Request { return signed(click("snooze", "al-0001", ts)) },
			wantStatus: 200,
		},
		{
			name: "other interaction type ignored",
			req: func(ts string) *http.Request {
				return signed(fakeslack.BlockActionForm(fakeslack.Click{Type: "view_submission", UserID: "U0CLAIM", ActionID: "claim", Value: "al-0001"}))
			},
			wantStatus: 200,
		},
		{
			name:       "unknown alert",
			req:        func(ts string) *http.Request { return signed(click("claim", "al-9999", ts)) },
			wantStatus: 200,
			wantCalls:  []call{{"claim", "al-9999", "U0CLAIM", "", clickTime}},
			wantLog:    "not applied",
		},
		{
			name:       "someone else claimed first",
			req:        func(ts string) *http.Request { return signed(click("claim", "al-0001", ts)) },
			setup:      func(f *fakeslack.Server) {},
			actionsErr: tsunagu.Errorf(tsunagu.ECONFLICT, "already claimed"),
			wantStatus: 200,
			wantCalls:  []call{{"claim", "al-0001", "U0CLAIM", "", clickTime}},
			wantText:   []string{"⚪ 未対応"}, // redrawn from the stored alert
			wantLog:    "not applied",
		},
		{
			name:       "store unavailable",
			req:        func(ts string) *http.Request { return signed(click("claim", "al-0001", ts)) },
			actionsErr: tsunagu.Errorf(tsunagu.EUNAVAILABLE, "redis down"),
			wantStatus: 503,
			wantCalls:  []call{{"claim", "al-0001", "U0CLAIM", "", clickTime}},
		},
		{
			name:       "store fails",
			req:        func(ts string) *http.Request { return signed(click("claim", "al-0001", ts)) },
			actionsErr: context.DeadlineExceeded,
			wantStatus: 500,
			wantCalls:  []call{{"claim", "al-0001", "U0CLAIM", "", clickTime}},
		},
		{
			name:       "chat.update fails: the claim stands",
			req:        func(ts string) *http.Request { return signed(click("claim", "al-0001", ts)) },
			setup:      func(f *fakeslack.Server) { f.FailNext("chat.update", 1, 500, 0) },
			wantStatus: 200,
			wantCalls:  []call{{"claim", "al-0001", "U0CLAIM", "", clickTime}},
			wantLog:    "update failed",
		},
		{
			name: "payload not JSON",
			req: func(string) *http.Request {
				return signed(url.Values{"payload": {"{"}})
			},
			wantStatus: 400,
		},
		{
			name: "body too large",
			req: func(ts string) *http.Request {
				f := click("claim", "al-0001", ts)
				f.Set("padding", strings.Repeat("x", 1<<20))
				return signed(f)
			},
			wantStatus: 413,
		},
		{
			name: "GET",
			req: func(string) *http.Request {
				r := signed(url.Values{})
				r.Method = http.MethodGet
				return r
			},
			wantStatus: 405,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, fake := newNotifier(t)
			a := newAlert()
			var err error
			if a.Channel, a.TS, err = n.PostAlert(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(fake)
			}
			if tt.stored != nil {
				tt.stored(a)
			}
			actions := &fakeSupporters{alert: a, err: tt.actionsErr}
			var logs bytes.Buffer
			h := tslack.NewSupporterInteractions(signingSecret, actions, n,
				slog.New(slog.NewTextHandler(&logs, nil)), tsunagu.ClockFunc(func() time.Time { return clickTime }))

			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req(a.TS))

			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", w.Code, tt.wantStatus, w.Body)
			}
			if got := actions.recorded(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("calls = %+v, want %+v", got, tt.wantCalls)
			}
			m := fake.Messages(fakeslack.Channel)[0]
			if wantUpdates := min(len(tt.wantText), 1); m.Updates != wantUpdates {
				t.Errorf("chat.update applied %d times, want %d", m.Updates, wantUpdates)
			}
			text := fakeslack.BlocksText(m.Blocks)
			for _, want := range tt.wantText {
				if !strings.Contains(text, want) {
					t.Errorf("message lacks %q:\n%s", want, text)
				}
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs.String())
			}
			if strings.Contains(logs.String(), "とてもつらい") {
				t.Errorf("log shows answers:\n%s", logs.String())
			}
		})
	}
}

// A click on a message whose alert record lacks channel and ts (posted
// before they were stored) still updates the message the click came from.
func TestInteractionsUpdatesClickedMessage(t *testing.T) {
	n, fake := newNotifier(t)
	a := newAlert()
	_, ts, err := n.PostAlert(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	h := tslack.NewSupporterInteractions(signingSecret, &fakeSupporters{alert: a}, n, nil, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signed(click("claim", a.ID, ts)))
	if m := fake.Messages(fakeslack.Channel)[0]; w.Code != 200 || m.Updates != 1 {
		t.Errorf("status %d, updates %d", w.Code, m.Updates)
	}
}
