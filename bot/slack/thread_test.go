package slack_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	tslack "github.com/tsunagu/tsunagu/bot/slack"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

func TestAlertStates(t *testing.T) {
	at := time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC)
	history := []tsunagu.AlertEvent{
		{At: at, By: "U0CLAIM", What: "claimed"},
		{At: at.Add(10 * time.Minute), By: "U0CLAIM", What: "reassigned", To: "U0OTHER"},
		{At: at.Add(20 * time.Minute), By: "U0OTHER", What: "replied"},
	}
	tests := []struct {
		name    string
		edit    func(a *tsunagu.Alert)
		ids     []string
		want    []string
		notWant []string
	}{
		{name: "open with member", edit: func(a *tsunagu.Alert) { a.MemberID = memberID },
			ids: []string{"claim", "resolve", "reassign", "reply", "detail"}, want: []string{"⚪ 未対応"}},
		{name: "open without member",
			ids: []string{"claim", "resolve", "reassign", "detail"}},
		{name: "open, escalated twice", edit: func(a *tsunagu.Alert) { a.Escalated = 2 },
			ids: []string{"claim", "resolve", "reassign", "detail"}, want: []string{"⚪ 未対応（⏰ 呼び出し 2 回）"}},
		{name: "claimed with member, history",
			edit: func(a *tsunagu.Alert) {
				a.MemberID, a.State, a.ClaimedBy, a.ClaimedAt, a.History = memberID, tsunagu.AlertClaimed, "U0OTHER", at, history
			},
			ids: []string{"resolve", "unclaim", "reassign", "reply", "detail"},
			want: []string{"🙋 対応中: <@U0OTHER>（2026-03-01 10:30）",
				"🕘 03-01 10:30 <@U0CLAIM> 対応開始 · 03-01 10:40 <@U0CLAIM> → <@U0OTHER> 担当変更 · 03-01 10:50 <@U0OTHER> LINEで返信"}},
		{name: "resolved with a note",
			edit: func(a *tsunagu.Alert) {
				a.MemberID, a.State, a.ResolvedBy, a.ResolvedAt = memberID, tsunagu.AlertResolved, "U0CLAIM", at
				a.Note = "<!channel> 電話で話した & 面談を約束\n来週また"
			},
			ids:     []string{"detail"},
			want:    []string{"✅ 対応済み: <@U0CLAIM>（2026-03-01 10:30）", "*対応の内容*\n> &lt;!channel&gt; 電話で話した &amp; 面談を約束\n> 来週また"},
			notWant: []string{"<!channel>"}},
		{name: "long history keeps the latest",
			edit: func(a *tsunagu.Alert) {
				for i := range 8 {
					a.History = append(a.History, tsunagu.AlertEvent{At: at.Add(time.Duration(i) * time.Minute), By: "U0CLAIM", What: "claimed"})
				}
			},
			ids: []string{"claim", "resolve", "reassign", "detail"}, want: []string{"🕘 ほか 3 件 · 03-01 10:33"}, notWant: []string{"10:32"}},
		{name: "a note is not shown before resolving",
			edit: func(a *tsunagu.Alert) { a.Note = "まだ" },
			ids:  []string{"claim", "resolve", "reassign", "detail"}, notWant: []string{"対応の内容"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, fake := newNotifier(t)
			a := newAlert()
			if tt.edit != nil {
				tt.edit(a)
			}
			if _, _, err := n.PostAlert(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			m := fake.Messages(fakeslack.Channel)[0]
			if got := actionIDs(t, m.Blocks); !slices.Equal(got, tt.ids) {
				t.Errorf("buttons = %v, want %v", got, tt.ids)
			}
			text := fakeslack.BlocksText(m.Blocks)
			containsAll(t, "message", text, tt.want)
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("message has %q:\n%s", w, text)
				}
			}
			assertNoPeople(t, "message", string(m.Blocks)+m.Text)
		})
	}
}

func TestPostAlertInThread(t *testing.T) {
	n, fake := newNotifier(t)
	fake.AddChannel("C0MINATO")
	ctx := context.Background()

	first := newAlert()
	ch, root, err := n.PostAlert(ctx, first)
	if err != nil || ch != fakeslack.Channel {
		t.Fatalf("first: %q %v", ch, err)
	}
	second := newAlert()
	second.ID, second.ThreadTS = "al-0002", root
	ch, ts, err := n.PostAlert(ctx, second)
	if err != nil || ch != fakeslack.Channel {
		t.Fatalf("second: %q %v", ch, err)
	}
	routed := newAlert()
	routed.ID, routed.Channel = "al-0003", "C0MINATO"
	if ch, _, err := n.PostAlert(ctx, routed); err != nil || ch != "C0MINATO" {
		t.Fatalf("routed: %q %v", ch, err)
	}

	msgs := fake.Messages(fakeslack.Channel)
	if len(msgs) != 2 || msgs[0].ThreadTS != "" || msgs[1].TS != ts || msgs[1].ThreadTS != root || msgs[1].ReplyBroadcast {
		t.Errorf("messages = %+v", msgs)
	}
	if !strings.Contains(fakeslack.BlocksText(msgs[1].Blocks), "アラート ID: al-0002") {
		t.Errorf("reply is not the second alert")
	}
	if len(fake.Messages("C0MINATO")) != 1 {
		t.Errorf("routed alert not in its channel")
	}
}

func TestPostInThread(t *testing.T) {
	tests := []struct {
		name, channel, thread, text string
		wantChannel, wantThread     string
		wantText                    string
	}{
		{name: "record in the family thread", channel: fakeslack.Channel, thread: "1700000001.000001",
			text: "<@U0CLAIM> がLINEで返信しました", wantChannel: fakeslack.Channel, wantThread: "1700000001.000001",
			wantText: "<@U0CLAIM> がLINEで返信しました"},
		{name: "member's reply, escaped by the caller", channel: fakeslack.Channel, thread: "1700000001.000001",
			text:        "💬 子どもから:\n" + tslack.Escape("<!channel> たすけて & <https://evil.example|ここ>"),
			wantChannel: fakeslack.Channel, wantThread: "1700000001.000001",
			wantText: "💬 子どもから:\n&lt;!channel&gt; たすけて &amp; &lt;https://evil.example|ここ&gt;"},
		{name: "top level in the default channel (the digest)", text: "*週の支援状況*\n• 回答率 80%",
			wantChannel: fakeslack.Channel, wantText: "*週の支援状況*\n• 回答率 80%"},
		{name: "another channel", channel: "C0MINATO", text: "hi", wantChannel: "C0MINATO", wantText: "hi"},
		{name: "too long is cut", text: strings.Repeat("あ", 5000), wantChannel: fakeslack.Channel,
			wantText: strings.Repeat("あ", 3999) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, fake := newNotifier(t)
			fake.AddChannel("C0MINATO")
			ts, err := n.PostInThread(context.Background(), tt.channel, tt.thread, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			msgs := fake.Messages(tt.wantChannel)
			if len(msgs) != 1 {
				t.Fatalf("messages in %s: %+v", tt.wantChannel, msgs)
			}
			m := msgs[0]
			if m.TS != ts || m.ThreadTS != tt.wantThread || m.Text != tt.wantText || m.ReplyBroadcast {
				t.Errorf("message = %+v", m)
			}
			body := fake.Requests()[0].Body
			if !strings.Contains(body, "unfurl_links=false") || !strings.Contains(body, "unfurl_media=false") {
				t.Errorf("link previews not off: %s", body)
			}
		})
	}
}

func TestEscalate(t *testing.T) {
	created := time.Date(2026, 3, 1, 0, 15, 0, 0, time.UTC)
	tests := []struct {
		name       string
		edit       func(a *tsunagu.Alert)
		level      int
		mention    string
		now        time.Time
		wantThread string
		want       []string
		notWant    []string
	}{
		{name: "user group, first level", level: 1, mention: "S0ONCALL", now: created.Add(15 * time.Minute),
			wantThread: "1700000001.000001",
			want: []string{"⏰ <!subteam^S0ONCALL> 緊急アラートが15分間未対応です",
				"F-0123（子ども） 週のふりかえり: 気分が「とてもつらい」", "「対応します」を押してください"}},
		{name: "users, second level", level: 2, mention: "U0AAA, @U0BBB  W0CCC", now: created.Add(90 * time.Minute),
			wantThread: "1700000001.000001",
			want:       []string{"⏰⏰ <@U0AAA> <@U0BBB> <@W0CCC> 【2回目】緊急アラートが1時間30分未対応です"}},
		{name: "in the family thread", level: 1, mention: "S0ONCALL", now: created.Add(time.Hour),
			edit:       func(a *tsunagu.Alert) { a.ThreadTS = "1699999999.000009" },
			wantThread: "1699999999.000009", want: []string{"緊急アラートが1時間未対応です"}},
		{name: "bad tokens left out", level: 1, mention: "tanaka S0ONCALL <!channel>", now: created.Add(16 * time.Minute),
			wantThread: "1700000001.000001",
			want:       []string{"⏰ <!subteam^S0ONCALL> 緊急アラートが16分間未対応です"}, notWant: []string{"tanaka", "<!channel>"}},
		{name: "here, and a warning after days", level: 1, mention: "here", now: created.Add(50 * time.Hour),
			edit:       func(a *tsunagu.Alert) { a.Severity = tsunagu.SeverityWarning },
			wantThread: "1700000001.000001", want: []string{"⏰ <!here> アラートが2日間未対応です"}},
		{name: "no mention", level: 1, now: created.Add(15 * time.Minute), wantThread: "1700000001.000001",
			want: []string{"⏰ 緊急アラートが15分間未対応です"}},
		{name: "reason typed by a person is escaped", level: 1, mention: "S0ONCALL", now: created.Add(15 * time.Minute),
			edit:       func(a *tsunagu.Alert) { a.Reason = "「<!everyone>」と回答" },
			wantThread: "1700000001.000001", want: []string{"「&lt;!everyone&gt;」と回答"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, fake := newNotifier(t)
			n.Clock = tsunagu.ClockFunc(func() time.Time { return tt.now })
			a := newAlert()
			a.CreatedAt, a.MemberID = created, memberID
			var err error
			if a.Channel, a.TS, err = n.PostAlert(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			if tt.edit != nil {
				tt.edit(a)
			}
			if err := n.Escalate(context.Background(), a, tt.level, tt.mention); err != nil {
				t.Fatal(err)
			}
			msgs := fake.Messages(fakeslack.Channel)
			if len(msgs) != 2 {
				t.Fatalf("messages = %+v", msgs)
			}
			m := msgs[1]
			if m.ThreadTS != tt.wantThread || !m.ReplyBroadcast {
				t.Errorf("posted in thread %q, broadcast %v; want %q, true", m.ThreadTS, m.ReplyBroadcast, tt.wantThread)
			}
			containsAll(t, "escalation", m.Text, tt.want)
			for _, w := range tt.notWant {
				if strings.Contains(m.Text, w) {
					t.Errorf("escalation has %q:\n%s", w, m.Text)
				}
			}
			assertNoPeople(t, "escalation", m.Text)
		})
	}
}

func TestEscalateErrors(t *testing.T) {
	n, fake := newNotifier(t)
	a := newAlert()
	err := n.Escalate(context.Background(), a, 1, "S0ONCALL")
	if se, ok := errors.AsType[*tsunagu.SendError](err); !ok || se.Retry || tsunagu.ErrorCode(err) != tsunagu.EINVALID {
		t.Errorf("never posted: err = %v", err)
	}
	a.Channel, a.TS = fakeslack.Channel, "1700000001.000001"
	fake.FailNext("chat.postMessage", 1, 429, 3*time.Second)
	err = n.Escalate(context.Background(), a, 1, "S0ONCALL")
	if se, ok := errors.AsType[*tsunagu.SendError](err); !ok || !se.Retry || se.RetryAfter != 3*time.Second {
		t.Errorf("429: err = %v", err)
	}
	fake.FailNext("chat.postMessage", 1, 503, 0)
	_, err = n.PostInThread(context.Background(), "", "", "hi")
	if se, ok := errors.AsType[*tsunagu.SendError](err); !ok || !se.Retry || se.Status != 503 {
		t.Errorf("PostInThread 503: err = %v", err)
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		spec, want string
		bad        bool
	}{
		{"S0ONCALL", "<!subteam^S0ONCALL>", false},
		{"U0AAA U0BBB", "<@U0AAA> <@U0BBB>", false},
		{"@U0AAA,S0ONCALL、W0CCC", "<@U0AAA> <!subteam^S0ONCALL> <@W0CCC>", false},
		{"here", "<!here>", false},
		{"", "", false},
		{"田中さん U0AAA", "<@U0AAA>", true},
		{"s0oncall", "", true},
		{"<!channel>", "", true},
	}
	for _, tt := range tests {
		got, err := tslack.Mentions(tt.spec)
		if got != tt.want || (err != nil) != tt.bad {
			t.Errorf("Mentions(%q) = %q, %v; want %q, error %v", tt.spec, got, err, tt.want, tt.bad)
		}
		if err != nil && tsunagu.ErrorCode(err) != tsunagu.EINVALID {
			t.Errorf("Mentions(%q) error code %s", tt.spec, tsunagu.ErrorCode(err))
		}
	}
}
