package slack_test

import (
	"bytes"
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

const commandsTarget = "http://tsunagu.test/slack/commands"

// commandTime is a week and a day after the child's last answer.
var commandTime = time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)

type commandAnswer struct {
	ResponseType string          `json:"response_type"`
	Text         string          `json:"text"`
	Blocks       json.RawMessage `json:"blocks"`
}

func command(text string) *http.Request {
	return fakeslack.SignedRequest(commandsTarget, signingSecret,
		fakeslack.CommandForm("/tsunagu", text, "U0CLAIM", fakeslack.Channel), time.Now())
}

func TestCommands(t *testing.T) {
	help := []string{"つなぐ の使い方", "`/tsunagu F-0012`", "`/tsunagu pause F-0012`", "`/tsunagu resume F-0012`",
		"`/tsunagu send FLOW F-0012 [replace]`", "`/tsunagu help`"}
	summary := []string{"👪 F-0123 の様子", "*子ども* · 登録 2026-01-10", "最終回答 2026-02-22（7日前）",
		"⚠️ 3 回つづけて未回答", "*保護者* · 登録 2026-01-05",
		"<https://slack.com/archives/C0TSUNAGU/p1700000001000001|気分が「とてもつらい」>", "🟠 要注意 3 回つづけて返事なし"}
	tests := []struct {
		name       string
		req        *http.Request
		supErr     error
		wantStatus int
		wantType   string // response_type
		wantCalls  []call
		want       []string
		notWant    []string
		wantLog    string
	}{
		{name: "summary", req: command("F-0123"), wantStatus: 200, wantType: "ephemeral",
			wantCalls: []call{{Op: "summary", Arg: "F-0123"}}, want: summary},
		{name: "summary, full-width", req: command("Ｆ－０１２３"), wantStatus: 200, wantType: "ephemeral",
			wantCalls: []call{{Op: "summary", Arg: "F-0123"}}, want: summary},
		{name: "summary, lower case, long vowel mark, spaces", req: command("　f ー0123 "), wantStatus: 200, wantType: "ephemeral",
			want: help, notWant: summary}, // two words: not a code
		{name: "summary, lower case and ー", req: command("　fー0123　"), wantStatus: 200, wantType: "ephemeral",
			wantCalls: []call{{Op: "summary", Arg: "F-0123"}}, want: summary},
		{name: "unknown family", req: command("F-0999"), wantStatus: 200, wantType: "ephemeral",
			wantCalls: []call{{Op: "summary", Arg: "F-0999"}},
			want:      []string{"見つかりませんでした: 家族 F-0999 は名簿にありません", "家族コード（例: F-0012）", "`/tsunagu help`"},
			wantLog:   "not found"},
		{name: "not a code", req: command("F_00#12"), wantStatus: 200, wantType: "ephemeral",
			want: []string{"「F_00#12」は家族コードの形ではありません。例: `/tsunagu F-0012`"}},
		{name: "pause", req: command("pause F-0123"), wantStatus: 200, wantType: "in_channel",
			wantCalls: []call{{Op: "pause", User: "U0CLAIM", Arg: "F-0123"}},
			want:      []string{"⏸ <@U0CLAIM> が F-0123 の定期チェックインを一時停止しました。", "`/tsunagu resume F-0123`"}},
		{name: "pause, full-width", req: command("ｐａｕｓｅ　Ｆ－０１２３"), wantStatus: 200, wantType: "in_channel",
			wantCalls: []call{{Op: "pause", User: "U0CLAIM", Arg: "F-0123"}}, want: []string{"一時停止しました"}},
		{name: "resume", req: command("resume F-0123"), wantStatus: 200, wantType: "in_channel",
			wantCalls: []call{{Op: "resume", User: "U0CLAIM", Arg: "F-0123"}},
			want:      []string{"▶️ <@U0CLAIM> が F-0123 の定期チェックインを再開しました。"}},
		{name: "pause unknown family", req: command("pause F-0999"), wantStatus: 200, wantType: "ephemeral",
			wantCalls: []call{{Op: "pause", User: "U0CLAIM", Arg: "F-0999"}}, want: []string{"見つかりませんでした"}},
		{name: "pause without a code", req: command("pause"), wantStatus: 200, wantType: "ephemeral",
			want: append([]string{"書き方が違うようです。"}, help...)},
		{name: "send", req: command("send weekly-child F-0123"), wantStatus: 200, wantType: "in_channel",
			wantCalls: []call{{Op: "send", User: "U0CLAIM", Arg: "weekly-child F-0123"}},
			want:      []string{"📨 <@U0CLAIM>: F-0123 の 2 人に weekly-child を送りました &lt;!channel&gt;"},
			notWant:   []string{"<!channel>"}},
		{name: "send, full-width", req: command("ｓｅｎｄ　Ｗｅｅｋｌｙ－ｃｈｉｌｄ　Ｆ－０１２３"), wantStatus: 200, wantType: "in_channel",
			wantCalls: []call{{Op: "send", User: "U0CLAIM", Arg: "weekly-child F-0123"}}},
		{name: "send unknown flow", req: command("send weekly F-0123"), wantStatus: 200, wantType: "ephemeral",
			wantCalls: []call{{Op: "send", User: "U0CLAIM", Arg: "weekly F-0123"}},
			want:      []string{"見つかりませんでした: フロー weekly はありません", "フロー名を確かめてください"}},
		{name: "send refused", req: command("send weekly-child F-0123"), wantStatus: 200, wantType: "ephemeral",
			supErr:    tsunagu.Errorf(tsunagu.EINVALID, "一時停止中です"),
			wantCalls: []call{{Op: "send", User: "U0CLAIM", Arg: "weekly-child F-0123"}},
			want:      []string{"F-0123: できませんでした: 一時停止中です"}},
		{name: "store down", req: command("F-0123"), wantStatus: 200, wantType: "ephemeral",
			supErr:    tsunagu.Errorf(tsunagu.EUNAVAILABLE, "redis down"),
			wantCalls: []call{{Op: "summary", Arg: "F-0123"}},
			want:      []string{"いま処理できませんでした"}, wantLog: "slack command failed"},
		{name: "help", req: command("help"), wantStatus: 200, wantType: "ephemeral", want: help},
		{name: "empty", req: command(""), wantStatus: 200, wantType: "ephemeral", want: help},
		{name: "unknown subcommand", req: command("snooze F-0123"), wantStatus: 200, wantType: "ephemeral",
			want: append([]string{"「snooze F-0123」はわかりませんでした。"}, help...)},
		{name: "wrong secret", wantStatus: 401,
			req: fakeslack.SignedRequest(commandsTarget, "not-the-secret", fakeslack.CommandForm("/tsunagu", "pause F-0123", "U0CLAIM", ""), time.Now())},
		{name: "stale", wantStatus: 401,
			req: fakeslack.SignedRequest(commandsTarget, signingSecret, fakeslack.CommandForm("/tsunagu", "pause F-0123", "U0CLAIM", ""), time.Now().Add(-6*time.Minute))},
		{name: "from the future", wantStatus: 401,
			req: fakeslack.SignedRequest(commandsTarget, signingSecret, fakeslack.CommandForm("/tsunagu", "pause F-0123", "U0CLAIM", ""), time.Now().Add(6*time.Minute))},
		{name: "unsigned", wantStatus: 401, req: func() *http.Request {
			r := command("pause F-0123")
			r.Header.Del("X-Slack-Signature")
			return r
		}()},
		{name: "body changed after signing", wantStatus: 401, req: func() *http.Request {
			r := command("resume F-0123")
			forged := command("pause F-0123")
			forged.Header = r.Header
			return forged
		}()},
		{name: "too large", wantStatus: 413, req: func() *http.Request {
			f := fakeslack.CommandForm("/tsunagu", "F-0123", "U0CLAIM", "")
			f.Set("padding", strings.Repeat("x", 100<<10))
			return fakeslack.SignedRequest(commandsTarget, signingSecret, f, time.Now())
		}()},
		{name: "GET", wantStatus: 405, req: func() *http.Request {
			r := command("F-0123")
			r.Method = http.MethodGet
			return r
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sup := &fakeSupporters{alert: newAlert(), summary: newSummary(), flows: []string{"weekly-child"}, err: tt.supErr}
			var logs bytes.Buffer
			h := tslack.NewCommands(signingSecret, sup, slog.New(slog.NewTextHandler(&logs, nil)),
				tsunagu.ClockFunc(func() time.Time { return commandTime }))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req)

			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tt.wantStatus, w.Body)
			}
			if got := sup.recorded(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("calls = %+v, want %+v", got, tt.wantCalls)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs.String())
			}
			if w.Code != 200 {
				return
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			var ans commandAnswer
			if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil {
				t.Fatalf("answer %s: %v", w.Body, err)
			}
			if ans.ResponseType != tt.wantType || ans.Text == "" {
				t.Errorf("response_type %q, text %q; want %q", ans.ResponseType, ans.Text, tt.wantType)
			}
			if err := fakeslack.ValidateBlocks(ans.Blocks); err != nil {
				t.Errorf("Slack would refuse the blocks: %v", err)
			}
			text := fakeslack.BlocksText(ans.Blocks)
			containsAll(t, "answer", text, tt.want)
			for _, n := range tt.notWant {
				if strings.Contains(text, n) {
					t.Errorf("answer has %q:\n%s", n, text)
				}
			}
		})
	}
}

// The summary is for the asker alone: it holds answers. Whatever the
// family, it shows roles, never a name, LINE id or member id.
func TestCommandSummaryKeepsPeopleOut(t *testing.T) {
	s := newSummary()
	s.OpenAlerts[0].MemberID = memberID
	sup := &fakeSupporters{alert: newAlert(), summary: s}
	h := tslack.NewCommands(signingSecret, sup, nil, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, command("F-0123"))
	assertNoPeople(t, "summary", w.Body.String())
}
