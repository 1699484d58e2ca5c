package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	tslack "github.com/tsunagu/tsunagu/bot/slack"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// desk is the supporters' side wired as cmd wires it: an alert about a
// child posted through the Notifier to the fake Slack, the fake Supporters
// behind the buttons, and the interactions handler.
type desk struct {
	t     *testing.T
	n     *tslack.Notifier
	fake  *fakeslack.Server
	sup   *fakeSupporters
	h     *tslack.Interactions
	alert *tsunagu.Alert // as posted; the fake Supporters holds its own copy
	logs  *bytes.Buffer
}

func newDesk(t *testing.T, edit func(a *tsunagu.Alert)) *desk {
	t.Helper()
	n, fake := newNotifier(t)
	a := newAlert()
	a.MemberID = memberID
	if edit != nil {
		edit(a)
	}
	var err error
	if a.Channel, a.TS, err = n.PostAlert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	stored := *a
	sup := &fakeSupporters{alert: &stored, summary: newSummary(), flows: []string{"weekly-child"}}
	var logs bytes.Buffer
	h := tslack.NewSupporterInteractions(signingSecret, sup, n,
		slog.New(slog.NewTextHandler(&logs, nil)), tsunagu.ClockFunc(func() time.Time { return clickTime }))
	return &desk{t: t, n: n, fake: fake, sup: sup, h: h, alert: a, logs: &logs}
}

// press clicks the button actionID on the posted message, with the value
// the message carries, and returns the response.
func (d *desk) press(actionID string) *httptest.ResponseRecorder {
	d.t.Helper()
	m := d.message()
	value := ""
	for _, b := range buttons(d.t, m.Blocks) {
		if b.ActionID == actionID {
			value = b.Value
		}
	}
	if value == "" {
		d.t.Fatalf("the message has no %s button: %+v", actionID, buttons(d.t, m.Blocks))
	}
	return d.serve(signed(fakeslack.BlockActionForm(fakeslack.Click{
		UserID: "U0CLAIM", MessageTS: d.alert.TS, ActionID: actionID, BlockID: "alert_actions", Value: value,
	})))
}

func (d *desk) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	d.h.ServeHTTP(w, r)
	return w
}

// message is the alert message as it stands in the fake Slack.
func (d *desk) message() fakeslack.Message {
	d.t.Helper()
	for _, m := range d.fake.Messages(fakeslack.Channel) {
		if m.TS == d.alert.TS {
			return m
		}
	}
	d.t.Fatalf("alert message %s is gone", d.alert.TS)
	return fakeslack.Message{}
}

// submit fills in and submits the last modal opened.
func (d *desk) submit(values map[string]string) *httptest.ResponseRecorder {
	d.t.Helper()
	views := d.fake.Views()
	if len(views) == 0 {
		d.t.Fatal("no modal was opened")
	}
	return d.serve(signed(fakeslack.ViewSubmissionForm("U0CLAIM", views[len(views)-1], values)))
}

func actionIDs(t *testing.T, blocks json.RawMessage) []string {
	var ids []string
	for _, b := range buttons(t, blocks) {
		ids = append(ids, b.ActionID)
	}
	return ids
}

func containsAll(t *testing.T, what, text string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func TestButtons(t *testing.T) {
	claimed := func(a *tsunagu.Alert) { a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertClaimed, "U0CLAIM", clickTime }
	tests := []struct {
		name       string
		alert      func(a *tsunagu.Alert) // as posted and stored
		setup      func(d *desk)
		action     string
		wantStatus int
		wantCalls  []call
		wantText   []string // in the updated message; nil = not updated
		wantIDs    []string // buttons after the update
		wantView   string   // callback id of the modal opened
		viewText   []string
		viewJSON   []string // fragments of the view as sent
		wantMeta   string
		wantEphem  []string // in the ephemeral message to the clicker
		wantLog    string
	}{
		{
			name: "claim", action: "claim", wantStatus: 200,
			wantCalls: []call{{"claim", "al-0001", "U0CLAIM", "", clickTime}},
			wantText:  []string{"🙋 対応中: <@U0CLAIM>（2026-03-01 10:30）", "🕘 03-01 10:30 <@U0CLAIM> 対応開始"},
			wantIDs:   []string{"resolve", "unclaim", "reassign", "reply", "detail"},
		},
		{
			name: "unclaim reopens", alert: claimed, action: "unclaim", wantStatus: 200,
			wantCalls: []call{{"unclaim", "al-0001", "U0CLAIM", "", clickTime}},
			wantText:  []string{"⚪ 未対応", "<@U0CLAIM> 対応をやめる"},
			wantIDs:   []string{"claim", "resolve", "reassign", "reply", "detail"},
		},
		{
			name: "resolve opens the note modal", action: "resolve", wantStatus: 200,
			wantView: "resolve_note",
			viewText: []string{"対応済みにする", "このアラートを対応済みにします。", "対応の内容（任意）", "名前や連絡先は書かないでください"},
			viewJSON: []string{`"optional":true`, `"multiline":true`, `"action_id":"note"`},
			wantMeta: `{"alert":"al-0001","channel":"C0TSUNAGU","ts":"1700000001.000001"}`,
		},
		{
			name: "resolve from claimed opens the modal too", alert: claimed, action: "resolve", wantStatus: 200,
			wantView: "resolve_note",
		},
		{
			name: "reassign opens the users modal", alert: claimed, action: "reassign", wantStatus: 200,
			wantView: "reassign",
			viewText: []string{"担当を変更", "担当を変更する"},
			viewJSON: []string{`"type":"users_select"`, `"action_id":"assignee"`},
			wantMeta: `{"alert":"al-0001","channel":"C0TSUNAGU","ts":"1700000001.000001"}`,
		},
		{
			name: "reply opens the reply modal", action: "reply", wantStatus: 200,
			wantView: "reply",
			viewText: []string{"LINEで返信", "*宛先:* F-0123 の子ども",
				"この返信はLINEのプッシュメッセージとして送られ、月ごとの送信数（無料プランは200通）を使います"},
			viewJSON: []string{`"multiline":true`, `"max_length":1000`, `"action_id":"reply_text"`},
			wantMeta: `{"alert":"al-0001","channel":"C0TSUNAGU","ts":"1700000001.000001"}`,
		},
		{
			name: "detail answers with the family summary", action: "detail", wantStatus: 200,
			wantCalls: []call{{Op: "summary", Arg: "F-0123"}},
			wantEphem: []string{"👪 F-0123 の様子", "*担当:* <@U0SUPPORT1>", "*子ども* · 登録 2026-01-10", "🚫 ブロック中",
				"最終回答 2026-02-22（7日前）", "⚠️ 3 回つづけて未回答", "💬 いま回答待ち", "> 今週の気分は？ → とてもつらい",
				"*保護者*", "<https://slack.com/archives/C0TSUNAGU/p1700000001000001|気分が「とてもつらい」>"},
		},
		{
			name: "detail of a family no longer on the roster", action: "detail", wantStatus: 200,
			setup:     func(d *desk) { d.sup.summary.Family.Code = "F-0999" },
			wantCalls: []call{{Op: "summary", Arg: "F-0123"}},
			wantEphem: []string{"家族 F-0123 は名簿に見つかりませんでした。"},
		},
		{
			name: "detail while the store is down", action: "detail", wantStatus: 200,
			setup:     func(d *desk) { d.sup.err = tsunagu.Errorf(tsunagu.EUNAVAILABLE, "redis down") },
			wantCalls: []call{{Op: "summary", Arg: "F-0123"}},
			wantEphem: []string{"いま読み込めませんでした"},
			wantLog:   "slack detail failed",
		},
		{
			name: "views.open fails: the supporter is told to click again", action: "reply", wantStatus: 200,
			setup:     func(d *desk) { d.fake.FailNext("views.open", 1, 500, 0) },
			wantEphem: []string{"画面を開けませんでした。もう一度ボタンを押してください。"},
			wantLog:   "slack modal not opened",
		},
		{
			name: "unclaim while the store is down", alert: claimed, action: "unclaim", wantStatus: 503,
			setup:     func(d *desk) { d.sup.err = tsunagu.Errorf(tsunagu.EUNAVAILABLE, "redis down") },
			wantCalls: []call{{"unclaim", "al-0001", "U0CLAIM", "", clickTime}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesk(t, tt.alert)
			if tt.setup != nil {
				tt.setup(d)
			}
			w := d.press(tt.action)
			if w.Code != tt.wantStatus || w.Body.Len() > 0 && w.Code == 200 {
				t.Errorf("answer = %d %q, want %d and no body", w.Code, w.Body, tt.wantStatus)
			}
			if got := d.sup.recorded(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("calls = %+v, want %+v", got, tt.wantCalls)
			}

			m := d.message()
			if updated := m.Updates > 0; updated != (tt.wantText != nil) {
				t.Errorf("message updated %d times", m.Updates)
			}
			containsAll(t, "message", fakeslack.BlocksText(m.Blocks), tt.wantText)
			if tt.wantIDs != nil && !slices.Equal(actionIDs(t, m.Blocks), tt.wantIDs) {
				t.Errorf("buttons = %v, want %v", actionIDs(t, m.Blocks), tt.wantIDs)
			}

			views := d.fake.Views()
			switch {
			case tt.wantView == "" && len(views) > 0:
				t.Errorf("opened %+v", views)
			case tt.wantView != "":
				if len(views) != 1 || views[0].CallbackID != tt.wantView || views[0].TriggerID != fakeslack.ClickTriggerID {
					t.Fatalf("views = %+v, want one %s", views, tt.wantView)
				}
				containsAll(t, "modal", views[0].Text(), tt.viewText)
				containsAll(t, "modal JSON", string(views[0].JSON), tt.viewJSON)
				if tt.wantMeta != "" && views[0].PrivateMetadata != tt.wantMeta {
					t.Errorf("private_metadata = %s, want %s", views[0].PrivateMetadata, tt.wantMeta)
				}
			}

			eph := d.fake.Ephemerals(fakeslack.Channel)
			if len(eph) != min(len(tt.wantEphem), 1) {
				t.Fatalf("ephemerals = %+v", eph)
			}
			if len(eph) == 1 {
				if eph[0].User != "U0CLAIM" {
					t.Errorf("ephemeral shown to %q", eph[0].User)
				}
				containsAll(t, "ephemeral", fakeslack.BlocksText(eph[0].Blocks), tt.wantEphem)
			}
			if !strings.Contains(d.logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, d.logs)
			}
		})
	}
}

// The reply button is there only when the alert is about someone who can
// be written to (a silence about a whole family has no member).
func TestReplyButtonNeedsAMember(t *testing.T) {
	d := newDesk(t, func(a *tsunagu.Alert) { a.MemberID = "" })
	if ids := actionIDs(t, d.message().Blocks); slices.Contains(ids, "reply") {
		t.Errorf("buttons = %v", ids)
	}
}

func TestSubmissions(t *testing.T) {
	claimed := func(a *tsunagu.Alert) { a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertClaimed, "U0CLAIM", clickTime }
	tests := []struct {
		name      string
		alert     func(a *tsunagu.Alert)
		action    string // the button that opens the modal
		values    map[string]string
		supErr    error
		wantCalls []call
		wantBody  string   // the JSON answer; "" = an empty 200 that closes the modal
		wantText  []string // in the updated message; nil = not updated
		notText   []string
		wantIDs   []string
		wantLog   string
	}{
		{
			name: "resolve with a note", alert: claimed, action: "resolve",
			values:    map[string]string{"note": "  電話で保護者と話した <!channel>\n来週も連絡する "},
			wantCalls: []call{{"resolve_note", "al-0001", "U0CLAIM", "電話で保護者と話した <!channel>\n来週も連絡する", clickTime}},
			wantText: []string{"✅ 対応済み: <@U0CLAIM>（2026-03-01 10:30）",
				"*対応の内容*\n> 電話で保護者と話した &lt;!channel&gt;\n> 来週も連絡する", "<@U0CLAIM> 対応済み"},
			wantIDs: []string{"detail"},
		},
		{
			name: "resolve without a note", action: "resolve",
			wantCalls: []call{{"resolve_note", "al-0001", "U0CLAIM", "", clickTime}},
			wantText:  []string{"✅ 対応済み"},
			notText:   []string{"対応の内容"},
			wantIDs:   []string{"detail"},
		},
		{
			name: "reassign", alert: claimed, action: "reassign",
			values:    map[string]string{"assignee": "U0OTHER"},
			wantCalls: []call{{"reassign", "al-0001", "U0CLAIM", "U0OTHER", clickTime}},
			wantText:  []string{"🙋 対応中: <@U0OTHER>", "<@U0CLAIM> → <@U0OTHER> 担当変更"},
			wantIDs:   []string{"resolve", "unclaim", "reassign", "reply", "detail"},
		},
		{
			name: "reassign to nobody", action: "reassign",
			wantBody: `{"response_action":"errors","errors":{"assignee":"担当する方を選んでください。"}}`,
		},
		{
			name: "reply", alert: claimed, action: "reply",
			values:    map[string]string{"reply_text": "来週また話そうね。"},
			wantCalls: []call{{"reply", "al-0001", "U0CLAIM", "来週また話そうね。", clickTime}},
			wantText:  []string{"🙋 対応中: <@U0CLAIM>", "<@U0CLAIM> LINEで返信"},
		},
		{
			name: "reply with nothing typed", action: "reply",
			values:   map[string]string{"reply_text": " \n　"},
			wantBody: `{"response_action":"errors","errors":{"reply_text":"返信の内容を入力してください。"}}`,
		},
		{
			name: "reply left empty", action: "reply",
			wantBody: `{"response_action":"errors","errors":{"reply_text":"返信の内容を入力してください。"}}`,
		},
		{
			name: "reply too long", action: "reply",
			values:   map[string]string{"reply_text": strings.Repeat("あ", 1001)},
			wantBody: `{"response_action":"errors","errors":{"reply_text":"1000文字以内にしてください。"}}`,
		},
		{
			name: "reply the bot refuses", action: "reply",
			values:    map[string]string{"reply_text": "げんき？"},
			supErr:    tsunagu.Errorf(tsunagu.EINVALID, "この方はブロック中です"),
			wantCalls: []call{{"reply", "al-0001", "U0CLAIM", "げんき？", clickTime}},
			wantBody:  `{"response_action":"errors","errors":{"reply_text":"できませんでした: この方はブロック中です"}}`,
			wantLog:   "not applied",
		},
		{
			name: "resolve while the store is down", action: "resolve",
			values:    map[string]string{"note": "済"},
			supErr:    tsunagu.Errorf(tsunagu.EUNAVAILABLE, "redis down"),
			wantCalls: []call{{"resolve_note", "al-0001", "U0CLAIM", "済", clickTime}},
			wantBody:  `{"response_action":"errors","errors":{"note":"いま記録できませんでした。少し待ってから、もう一度お試しください。"}}`,
			wantLog:   "slack submission failed",
		},
		{
			name: "reassign after someone else resolved: redrawn, told", action: "reassign",
			values:    map[string]string{"assignee": "U0OTHER"},
			supErr:    tsunagu.Errorf(tsunagu.ECONFLICT, "already resolved"),
			wantCalls: []call{{"reassign", "al-0001", "U0CLAIM", "U0OTHER", clickTime}},
			wantBody:  `{"response_action":"errors","errors":{"assignee":"ほかの方が先に状態を変えました。メッセージを確かめてください。"}}`,
			wantText:  []string{"⚪ 未対応"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDesk(t, tt.alert)
			if w := d.press(tt.action); w.Code != 200 {
				t.Fatalf("click: %d", w.Code)
			}
			d.sup.err = tt.supErr
			w := d.submit(tt.values)
			if w.Code != 200 || strings.TrimSpace(w.Body.String()) != tt.wantBody {
				t.Errorf("answer = %d %s, want 200 %s", w.Code, w.Body, tt.wantBody)
			}
			if tt.wantBody != "" && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q", w.Header().Get("Content-Type"))
			}
			if got := d.sup.recorded(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("calls = %+v, want %+v", got, tt.wantCalls)
			}
			m := d.message()
			if updated := m.Updates > 0; updated != (tt.wantText != nil) {
				t.Errorf("message updated %d times", m.Updates)
			}
			text := fakeslack.BlocksText(m.Blocks)
			containsAll(t, "message", text, tt.wantText)
			for _, n := range tt.notText {
				if strings.Contains(text, n) {
					t.Errorf("message has %q:\n%s", n, text)
				}
			}
			if tt.wantIDs != nil && !slices.Equal(actionIDs(t, m.Blocks), tt.wantIDs) {
				t.Errorf("buttons = %v, want %v", actionIDs(t, m.Blocks), tt.wantIDs)
			}
			if !strings.Contains(d.logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, d.logs)
			}
			for _, secret := range []string{"来週また話そうね", "げんき", "電話で"} {
				if strings.Contains(d.logs.String(), secret) {
					t.Errorf("log shows what was typed:\n%s", d.logs)
				}
			}
		})
	}
}

// A submission is as much a request to us as a click: unsigned or stale
// ones are refused before anything is recorded.
func TestSubmissionSignature(t *testing.T) {
	d := newDesk(t, nil)
	d.press("reply")
	form := fakeslack.ViewSubmissionForm("U0CLAIM", d.fake.Views()[0], map[string]string{"reply_text": "げんき？"})
	for name, req := range map[string]*http.Request{
		"wrong secret": fakeslack.SignedRequest(target, "not-the-secret", form, time.Now()),
		"stale":        fakeslack.SignedRequest(target, signingSecret, form, time.Now().Add(-6*time.Minute)),
	} {
		if w := d.serve(req); w.Code != 401 {
			t.Errorf("%s: status %d", name, w.Code)
		}
	}
	if calls := d.sup.recorded(); len(calls) != 0 {
		t.Errorf("calls = %+v", calls)
	}
}

// The update after a submission goes to the message the modal was opened
// from, even when the stored alert does not know where that is.
func TestSubmissionUpdatesMessageFromMetadata(t *testing.T) {
	d := newDesk(t, nil)
	d.press("resolve")
	d.sup.alert.Channel, d.sup.alert.TS = "", ""
	if w := d.submit(nil); w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
	if m := d.message(); m.Updates != 1 || !strings.Contains(fakeslack.BlocksText(m.Blocks), "✅ 対応済み") {
		t.Errorf("message = %+v", m)
	}
}
