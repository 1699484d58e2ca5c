package slack_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu"
	tslack "github.com/tsunagu/tsunagu/bot/slack"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// newAlert is an urgent alert about a child, as the engine would raise it.
func newAlert() *tsunagu.Alert {
	return &tsunagu.Alert{
		ID:         "al-0001",
		Severity:   tsunagu.SeverityUrgent,
		FamilyCode: "F-0123",
		Role:       tsunagu.RoleChild,
		FlowID:     "weekly-child",
		FlowTitle:  "週のふりかえり",
		Reason:     "気分が「とてもつらい」",
		Answers: []tsunagu.QA{
			{Question: "今週の気分は？", Answer: "とてもつらい"},
			{Question: "なにかあった？", Answer: "<!channel> 学校に行けない & 眠れない\nずっと"},
		},
		Supporter: "U0SUPPORT1",
		State:     tsunagu.AlertOpen,
		CreatedAt: time.Date(2026, 3, 1, 0, 15, 0, 0, time.UTC),
	}
}

func newNotifier(t *testing.T) (*tslack.Notifier, *fakeslack.Server) {
	t.Helper()
	fake := fakeslack.New(t)
	return tslack.NewNotifier(fakeslack.Token, fakeslack.Channel, fake.APIURL(), nil), fake
}

// button is an element of the actions block as Slack receives it.
type button struct {
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	Style    string `json:"style"`
}

func buttons(t *testing.T, blocks json.RawMessage) []button {
	t.Helper()
	var bs []struct {
		Type     string   `json:"type"`
		Elements []button `json:"elements"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatal(err)
	}
	var out []button
	for _, b := range bs {
		if b.Type == "actions" {
			out = append(out, b.Elements...)
		}
	}
	return out
}

func TestPostAlert(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(a *tsunagu.Alert)
		want    []string
		notWant []string
	}{
		{
			name: "urgent child with supporter",
			edit: func(a *tsunagu.Alert) {},
			want: []string{
				"🔴 緊急 | F-0123", "⚪ 未対応", "*家族*\nF-0123", "*対象*\n子ども", "*フロー*\n週のふりかえり",
				"2026-03-01 09:15", "*理由*\n気分が「とてもつらい」", "*今週の気分は？*\n> とてもつらい",
				"> &lt;!channel&gt; 学校に行けない &amp; 眠れない\n> ずっと", "*担当*\n<@U0SUPPORT1>",
				"アラート ID: al-0001", "対応します", "対応済み",
			},
			notWant: []string{"<!channel>"},
		},
		{
			name: "warning guardian without supporter or title",
			edit: func(a *tsunagu.Alert) {
				a.Severity, a.Role, a.Supporter, a.FlowTitle = tsunagu.SeverityWarning, tsunagu.RoleGuardian, "", ""
			},
			want:    []string{"🟠 要注意 | F-0123", "*対象*\n保護者", "*フロー*\nweekly-child"},
			notWant: []string{"<@", "*担当*"},
		},
		{
			name: "info, supporter not a Slack id",
			edit: func(a *tsunagu.Alert) { a.Severity, a.Supporter = tsunagu.SeverityInfo, "<@tanaka>" },
			want: []string{"🔵 お知らせ", "*担当*\n&lt;@tanaka&gt;"},
		},
		{
			name: "risk alert shows its category first",
			edit: func(a *tsunagu.Alert) {
				a.Category, a.Reason = "希死念慮", "希死念慮のおそれ: 「死にたい」"
			},
			want: []string{"🔴 緊急 | F-0123 | 希死念慮", "*カテゴリ*\n希死念慮", "*理由*\n希死念慮のおそれ"},
		},
		{
			name: "silence: no answers",
			edit: func(a *tsunagu.Alert) { a.Answers, a.Reason = nil, "3 週つづけて返事なし" },
			want: []string{"*理由*\n3 週つづけて返事なし"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, fake := newNotifier(t)
			a := newAlert()
			tt.edit(a)
			ch, ts, err := n.PostAlert(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			msgs := fake.Messages(fakeslack.Channel)
			if len(msgs) != 1 || ch != fakeslack.Channel || ts != msgs[0].TS {
				t.Fatalf("posted to %q %q; fake has %+v", ch, ts, msgs)
			}
			text := fakeslack.BlocksText(msgs[0].Blocks)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("blocks lack %q:\n%s", w, text)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) || strings.Contains(msgs[0].Text, w) {
					t.Errorf("message has %q:\n%s\n%s", w, text, msgs[0].Text)
				}
			}
			if !strings.HasPrefix(msgs[0].Text, "🔴") && !strings.HasPrefix(msgs[0].Text, "🟠") && !strings.HasPrefix(msgs[0].Text, "🔵") {
				t.Errorf("fallback text = %q", msgs[0].Text)
			}
			want := []button{{"claim", a.ID, "primary"}, {"resolve", a.ID, ""}, {"reassign", a.ID, ""},
				{"detail", `{"alert":"al-0001","family":"F-0123","role":"` + string(a.Role) + `"}`, ""}}
			if got := buttons(t, msgs[0].Blocks); !slices.Equal(got, want) {
				t.Errorf("buttons = %+v, want %+v", got, want)
			}
		})
	}
}

// Guarantee 6: the message holds only what the alert holds. Whatever the
// member behind it, no LINE id (raw or hashed) reaches Slack, and the only
// person mentioned is the assigned supporter.
func TestPostAlertKeepsPeopleOut(t *testing.T) {
	member := tsunagu.Member{LineUserID: "U4af4980629f9a1b2c3d4e5f6a7b8c9d0", FamilyCode: "F-0123", Role: tsunagu.RoleChild}
	member.ID = tsunagu.UserHash(member.LineUserID)

	n, fake := newNotifier(t)
	if _, _, err := n.PostAlert(context.Background(), newAlert()); err != nil {
		t.Fatal(err)
	}
	m := fake.Messages(fakeslack.Channel)[0]
	all := m.Text + "\n" + string(m.Blocks)
	for _, secret := range []string{member.LineUserID, member.ID} {
		if strings.Contains(all, secret) {
			t.Errorf("message contains %q", secret)
		}
	}
	if lineID := regexp.MustCompile(`U[0-9a-f]{32}`); lineID.MatchString(all) {
		t.Errorf("message contains a LINE user id: %s", lineID.FindString(all))
	}
	for _, mm := range regexp.MustCompile(`<[@!#][^>]*>`).FindAllString(fakeslack.BlocksText(m.Blocks), -1) {
		if mm != "<@U0SUPPORT1>" {
			t.Errorf("unexpected mention %s", mm)
		}
	}
}

func TestPostAlertTruncates(t *testing.T) {
	a := newAlert()
	a.Reason = strings.Repeat("理由", 2000)
	a.FamilyCode = strings.Repeat("F", 300)
	a.Answers = nil
	for range 200 {
		a.Answers = append(a.Answers, tsunagu.QA{Question: "質問", Answer: strings.Repeat("&答え", 1500)})
	}
	n, fake := newNotifier(t)
	// The fake rejects what Slack would (invalid_blocks): > 50 blocks,
	// sections > 3,000 characters, headers > 150.
	if _, _, err := n.PostAlert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	text := fakeslack.BlocksText(fake.Messages(fakeslack.Channel)[0].Blocks)
	if !strings.Contains(text, "件の回答は長すぎるため省略しました") {
		t.Errorf("no note about omitted answers")
	}
	if n := len([]rune(text)); n > 20000 {
		t.Errorf("message has %d characters", n)
	}
	if strings.Contains(text, "&am…") || strings.Contains(text, "&a…") || strings.Contains(text, "&…") {
		t.Errorf("truncation cut an escape in half")
	}
}

func TestUpdateAlert(t *testing.T) {
	claimedAt := time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC)
	tests := []struct {
		name    string
		edit    func(a *tsunagu.Alert)
		want    []string
		notWant []string
		buttons []button
	}{
		{
			name: "claimed",
			edit: func(a *tsunagu.Alert) {
				a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertClaimed, "U0CLAIM", claimedAt
			},
			want:    []string{"🙋 対応中: <@U0CLAIM>（2026-03-01 10:30）", "F-0123"},
			notWant: []string{"未対応"},
			buttons: []button{{"resolve", "al-0001", "primary"}, {"unclaim", "al-0001", ""}, {"reassign", "al-0001", ""},
				{"detail", `{"alert":"al-0001","family":"F-0123","role":"child"}`, ""}},
		},
		{
			name: "resolved",
			edit: func(a *tsunagu.Alert) {
				a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertResolved, "U0CLAIM", claimedAt
				a.ResolvedBy, a.ResolvedAt = "U0RESOLVE", claimedAt.Add(25*time.Hour)
			},
			want:    []string{"✅ 対応済み: <@U0RESOLVE>（2026-03-02 11:30）"},
			notWant: []string{"対応中", "未対応", "対応します"},
			buttons: []button{{"detail", `{"alert":"al-0001","family":"F-0123","role":"child"}`, ""}},
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
			tt.edit(a)
			if err := n.UpdateAlert(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			msgs := fake.Messages(fakeslack.Channel)
			if len(msgs) != 1 || msgs[0].TS != a.TS || msgs[0].Updates != 1 {
				t.Fatalf("messages = %+v", msgs)
			}
			text := fakeslack.BlocksText(msgs[0].Blocks)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("blocks lack %q:\n%s", w, text)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("blocks have %q:\n%s", w, text)
				}
			}
			if got := buttons(t, msgs[0].Blocks); !slices.Equal(got, tt.buttons) {
				t.Errorf("buttons = %+v, want %+v", got, tt.buttons)
			}
			if !strings.HasPrefix(msgs[0].Text, "[対応") {
				t.Errorf("fallback text does not show the state: %q", msgs[0].Text)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	post := func(n *tslack.Notifier, a *tsunagu.Alert) error {
		_, _, err := n.PostAlert(context.Background(), a)
		return err
	}
	update := func(n *tslack.Notifier, a *tsunagu.Alert) error { return n.UpdateAlert(context.Background(), a) }

	tests := []struct {
		name       string
		setup      func(fake *fakeslack.Server)
		token      string
		channel    string
		call       func(*tslack.Notifier, *tsunagu.Alert) error
		ts         string // for update; "" = the posted message
		wantStatus int
		wantRetry  bool
		wantAfter  time.Duration
		wantCode   string // Slack's error code, if any
	}{
		{name: "429 with Retry-After", call: post, wantStatus: 429, wantRetry: true, wantAfter: 7 * time.Second,
			setup: func(f *fakeslack.Server) { f.FailNext("chat.postMessage", 1, 429, 7*time.Second) }},
		{name: "429 without Retry-After", call: post, wantStatus: 429, wantRetry: true,
			setup: func(f *fakeslack.Server) { f.FailNext("chat.postMessage", 1, 429, 0) }},
		{name: "500", call: post, wantStatus: 500, wantRetry: true,
			setup: func(f *fakeslack.Server) { f.FailNext("chat.postMessage", 1, 500, 0) }},
		{name: "update 503", call: update, wantStatus: 503, wantRetry: true,
			setup: func(f *fakeslack.Server) { f.FailNext("chat.update", 1, 503, 0) }},
		{name: "update 429", call: update, wantStatus: 429, wantRetry: true, wantAfter: time.Second,
			setup: func(f *fakeslack.Server) { f.FailNext("chat.update", 1, 429, time.Second) }},
		{name: "invalid_auth", call: post, token: "xoxb-revoked", wantStatus: 200, wantCode: "invalid_auth"},
		{name: "channel_not_found", call: post, channel: "C0GONE", wantStatus: 200, wantCode: "channel_not_found"},
		{name: "update message_not_found", call: update, ts: "1.000001", wantStatus: 200, wantCode: "message_not_found"},
		{name: "update never posted", call: update, ts: "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakeslack.New(t)
			a := newAlert()
			good := tslack.NewNotifier(fakeslack.Token, fakeslack.Channel, fake.APIURL(), nil)
			var err error
			if a.Channel, a.TS, err = good.PostAlert(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			switch tt.ts {
			case "":
				if tt.channel != "" { // post where the Notifier is configured to
					a.Channel, a.TS = "", ""
				}
			case "-":
				a.Channel, a.TS = "", ""
			default:
				a.TS = tt.ts
			}
			if tt.setup != nil {
				tt.setup(fake)
			}
			n := tslack.NewNotifier(cmp.Or(tt.token, fakeslack.Token), cmp.Or(tt.channel, fakeslack.Channel), fake.APIURL(), nil)

			err = tt.call(n, a)
			se, ok := errors.AsType[*tsunagu.SendError](err)
			if !ok {
				t.Fatalf("err = %v (%T), want *tsunagu.SendError", err, err)
			}
			if se.Status != tt.wantStatus || se.Retry != tt.wantRetry || se.RetryAfter != tt.wantAfter {
				t.Errorf("SendError = status %d retry %v after %v; want %d %v %v",
					se.Status, se.Retry, se.RetryAfter, tt.wantStatus, tt.wantRetry, tt.wantAfter)
			}
			if retry, after := tsunagu.Retryable(err); retry != tt.wantRetry || after != tt.wantAfter {
				t.Errorf("Retryable = %v %v", retry, after)
			}
			if tt.wantCode != "" {
				if api, ok := errors.AsType[slackapi.SlackErrorResponse](err); !ok || api.Err != tt.wantCode {
					t.Errorf("err = %v, want Slack error %s", err, tt.wantCode)
				}
			}
			if strings.Contains(err.Error(), fakeslack.Token) {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
}

func TestSendErrorNetwork(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	n := tslack.NewNotifier(fakeslack.Token, fakeslack.Channel, down.URL+"/api", nil)
	_, _, err := n.PostAlert(context.Background(), newAlert())
	if se, ok := errors.AsType[*tsunagu.SendError](err); !ok || !se.Retry || se.Status != 0 {
		t.Errorf("err = %#v, want a retryable SendError without status", err)
	}
}

// TestPostAlertGrouped: a burst grouped into one message stays within
// Slack's limits however long, shows the most severe in its header and
// counts what it leaves out.
func TestPostAlertGrouped(t *testing.T) {
	a := newAlert()
	a.Severity = tsunagu.SeverityInfo
	for i := range 8 {
		g := tsunagu.GroupedAlert{ID: fmt.Sprintf("g%d", i), Severity: tsunagu.SeverityWarning, Reason: "続き", CreatedAt: time.Now()}
		if i == 3 {
			g.Severity = tsunagu.SeverityUrgent
		}
		for range 40 {
			g.Answers = append(g.Answers, tsunagu.QA{Question: "質問", Answer: strings.Repeat("答え", 400)})
		}
		a.Grouped = append(a.Grouped, g)
	}
	n, fake := newNotifier(t)
	if _, _, err := n.PostAlert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	text := fakeslack.BlocksText(fake.Messages(fakeslack.Channel)[0].Blocks)
	for _, want := range []string{"緊急", "続けて届いたアラート", "ほか 3件"} {
		if !strings.Contains(text, want) {
			t.Errorf("grouped message lacks %q", want)
		}
	}
}
