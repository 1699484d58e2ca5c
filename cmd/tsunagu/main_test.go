package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// TestCheckIn drives the first real check-in from outside: a roster import
// and an invite by CLI, enrolment by signed webhooks, `send`, answers by
// tap and by typing (a branch and a re-ask), the Slack alert, and a signed
// claim click that updates it in place.
func TestCheckIn(t *testing.T) {
	h := newHarness(t, "", withEnv("TSUNAGU_METRICS_TOKEN", "metrics-token-for-tests"))
	h.roster("F-0001,uwajima,U0SUPPORT", "F-0002,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	if got := h.received(user)[0].Text; !strings.Contains(got, "招待コード") {
		t.Errorf("welcome = %q, want it to ask for the invite code", got)
	}

	out := h.mustCLI("send", "test-checkin", "--family", "F-0001")
	if !strings.Contains(out, "started") {
		t.Fatalf("send printed %q", out)
	}
	q := h.waitText(user, "今週の気分はどう？")
	if got := labels(q); !equal(got, []string{"いい", "よくない"}) {
		t.Fatalf("quick replies = %v", got)
	}
	if n := len(h.line.Pushes()); n != 1 {
		t.Fatalf("first question: %d pushes, want 1", n)
	}

	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "よくない"))) // branch to why
	h.waitText(user, "よかったら教えてね")
	h.mustDeliver(h.line.Text(user, "ともだちとけんかした"))
	h.waitText(user, "元気度を0から10で教えてね")
	n := len(h.received(user))
	h.mustDeliver(h.line.Text(user, "たくさん")) // not a number: re-ask
	msgs := h.waitCount(user, n+1)
	if !strings.Contains(strings.Join(texts(msgs[n:]), "\n"), "元気度を0から10で教えてね") {
		t.Fatalf("re-ask = %v, want the question again", texts(msgs[n:]))
	}
	h.mustDeliver(h.line.Text(user, "３")) // full-width digit
	h.waitText(user, "ありがとう！またね。")
	if n := len(h.line.Pushes()); n != 1 {
		t.Errorf("answers went by push (%d pushes); replies are free and should be used", n)
	}

	alert := h.slackMessages(1)[0]
	text := fakeslack.BlocksText(alert.Blocks)
	for _, want := range []string{"F-0001", "テストのチェックイン", "気分がよくないと回答", "よくない", "ともだちとけんかした", "<@U0SUPPORT>", "対応します", "対応済み"} {
		if !strings.Contains(text, want) {
			t.Errorf("alert lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, user) || strings.Contains(text, tsunagu.UserHash(user)) {
		t.Errorf("alert shows the LINE user:\n%s", text)
	}

	alerts, err := h.main.Store.Alerts(context.Background(), 10)
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts in Redis: %v, %v", alerts, err)
	}
	res := h.click(fakeslack.Click{UserID: "U0CLAIMER", MessageTS: alert.TS, ActionID: "claim", Value: alerts[0].ID}, time.Now())
	if res.StatusCode != http.StatusOK {
		t.Fatalf("claim click: %d", res.StatusCode)
	}
	eventually(t, func() bool {
		m := h.slack.Messages(fakeslack.Channel)[0]
		return m.Updates == 1 && strings.Contains(fakeslack.BlocksText(m.Blocks), "<@U0CLAIMER>")
	}, "the alert to show the claim")
	a, err := h.main.Store.Alert(context.Background(), alerts[0].ID)
	if err != nil || a.State != tsunagu.AlertClaimed || a.ClaimedBy != "U0CLAIMER" {
		t.Fatalf("alert after claim: %+v, %v", a, err)
	}

	// A click signed with the wrong secret or too long ago changes nothing.
	req := fakeslack.SignedRequest(h.url+"/slack/interactions", "wrong", fakeslack.BlockActionForm(fakeslack.Click{UserID: "U0X", MessageTS: alert.TS, ActionID: "resolve", Value: a.ID}), time.Now())
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged click: %v %v", res.StatusCode, err)
	}
	if res := h.click(fakeslack.Click{UserID: "U0X", MessageTS: alert.TS, ActionID: "resolve", Value: a.ID}, time.Now().Add(-6*time.Minute)); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stale click: %d", res.StatusCode)
	}
	if a, _ := h.main.Store.Alert(context.Background(), a.ID); a.State != tsunagu.AlertClaimed {
		t.Fatalf("forged click changed the alert: %+v", a)
	}

	if logs := h.logs.String(); strings.Contains(logs, user) || strings.Contains(logs, "ともだちとけんかした") || strings.Contains(logs, lineToken) {
		t.Errorf("logs contain a LINE user id, an answer or a token")
	}

	mreq, _ := http.NewRequest(http.MethodGet, h.url+"/metrics", nil)
	mreq.Header.Set("Authorization", "Bearer metrics-token-for-tests")
	res, err = http.DefaultClient.Do(mreq)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`tsunagu_sessions_ended_total{status="completed"} 1`,
		`tsunagu_alerts_total{severity="warning"} 1`,
		`tsunagu_deliveries_total{by="push",result="ok"} 1`,
		`tsunagu_dispatch_members_total{outcome="started"} 1`,
		`tsunagu_events_total{kind="text",outcome="re-asked"} 1`,
		`tsunagu_line_outbox_pending 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestOutsideFlow: free text with no open check-in is acknowledged and shown
// to supporters; risk words get the safety message and an urgent alert at
// once, whatever their width or kana.
func TestOutsideFlow(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)

	h.mustDeliver(h.line.Text(user, "先生に相談したいことがあります"))
	h.waitText(user, "サポーターさんに伝えました")
	m := h.slackMessages(1)[0]
	if text := fakeslack.BlocksText(m.Blocks); !strings.Contains(text, "先生に相談したいことがあります") || !strings.Contains(text, "F-0001") {
		t.Errorf("info alert:\n%s", text)
	}

	for i, word := range []string{"ｼﾆﾀｲ", "もう しにたい", "消えたい…"} {
		n := len(h.received(user))
		h.mustDeliver(h.line.Text(user, word))
		got := h.waitCount(user, n+1)[n]
		if !strings.Contains(got.Text, "0120-0-78310") || !strings.Contains(got.Text, "0120-99-7777") {
			t.Errorf("%q: reply %q, want the safety message", word, got.Text)
		}
		text := fakeslack.BlocksText(h.slackMessages(2 + i)[1+i].Blocks)
		if !strings.Contains(text, "緊急") {
			t.Errorf("%q: alert is not urgent:\n%s", word, text)
		}
	}
}

// TestRiskWordsInFlow: the safety message comes first and the flow goes on.
func TestRiskWordsInFlow(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustCLI("send", "test-checkin", "--family", "F-0001")
	q := h.waitText(user, "今週の気分はどう？")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "よくない")))
	h.waitText(user, "よかったら教えてね")
	n := len(h.received(user))
	h.mustDeliver(h.line.Text(user, "家で殴られた"))
	got := h.waitCount(user, n+2)[n:]
	if !strings.Contains(got[0].Text, "0120-0-78310") || !strings.Contains(got[1].Text, "元気度") {
		t.Fatalf("after a risk word in a flow: %v", texts(got))
	}
	text := fakeslack.BlocksText(h.slackMessages(1)[0].Blocks)
	if !strings.Contains(text, "緊急") || !strings.Contains(text, "家で殴られた") {
		t.Errorf("urgent alert:\n%s", text)
	}
}

// TestEnrolment: wrong codes get a kind retry, five in an hour pause code
// checks, and a used code cannot be used again.
func TestEnrolment(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	first := h.enrol("F-0001", tsunagu.RoleGuardian)
	_ = first

	var inv inviteOut
	mustJSON(t, h.mustCLI("invite", "F-0001", "--role", "child", "--json"), &inv)
	if !strings.HasPrefix(inv.Link, "https://line.me/R/oaMessage/") || !strings.HasSuffix(inv.Link, inv.Code) {
		t.Errorf("link = %q", inv.Link)
	}
	if d := time.Until(inv.ExpiresAt); d < 13*24*time.Hour || d > 14*24*time.Hour {
		t.Errorf("expires in %s, want 14 days", d)
	}

	other := fakeline.NewUserID()
	h.mustDeliver(h.line.Follow(other))
	h.mustDeliver(h.line.Text(other, "こんにちは"))
	h.waitText(other, "招待コード")
	for i := range 4 {
		h.mustDeliver(h.line.Text(other, "ZZZZ-9999"))
		h.waitCount(other, 3+i)
	}
	h.waitText(other, "そのコードは見つかりませんでした")
	h.mustDeliver(h.line.Text(other, "YYYY-8888")) // the fifth
	h.waitText(other, "少し時間をおいて")
	n := len(h.received(other))
	h.mustDeliver(h.line.Text(other, inv.Code)) // even the right code waits now
	if got := h.waitCount(other, n+1)[n].Text; !strings.Contains(got, "少し時間をおいて") {
		t.Fatalf("locked out user got %q", got)
	}

	third := fakeline.NewUserID()
	h.mustDeliver(h.line.Text(third, "コードは "+strings.ToLower(inv.Code)+" です"))
	h.waitText(third, "登録できました")
	fourth := fakeline.NewUserID()
	h.mustDeliver(h.line.Text(fourth, inv.Code)) // used
	h.waitText(fourth, "そのコードは見つかりませんでした")

	out := h.mustCLI("families", "list")
	if !strings.Contains(out, "F-0001") || !strings.Contains(out, "child, guardian") && !strings.Contains(out, "guardian, child") {
		t.Errorf("families list:\n%s", out)
	}
}

func TestWebhookGuarantees(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)

	t.Run("forged signature", func(t *testing.T) {
		body := fakeline.Body(h.line.Text(user, "にせもの"))
		res, err := http.DefaultClient.Do(fakeline.WebhookRequest(h.url+"/line/webhook", "not-the-secret", body))
		if err != nil || res.StatusCode != http.StatusBadRequest {
			t.Fatalf("forged: %v %v", res.StatusCode, err)
		}
	})
	t.Run("oversized body", func(t *testing.T) {
		big := h.line.Text(user, strings.Repeat("あ", 400_000)) // > 1 MiB of UTF-8
		body := fakeline.Body(big)
		res, err := http.DefaultClient.Do(fakeline.WebhookRequest(h.url+"/line/webhook", lineSecret, body))
		if err != nil || res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized: %v %v", res.StatusCode, err)
		}
	})
	t.Run("no events", func(t *testing.T) {
		if code := h.deliver(); code != http.StatusOK {
			t.Fatalf("empty webhook: %d", code)
		}
	})
	t.Run("redelivery changes nothing", func(t *testing.T) {
		ev := h.line.Text(user, "おはよう")
		h.mustDeliver(ev)
		h.waitText(user, "サポーターさんに伝えました")
		n, alerts := len(h.received(user)), len(h.slackMessages(1))
		h.mustDeliver(fakeline.Redelivered(ev))
		h.mustDeliver(ev)
		// Something later goes through, so the redeliveries had their chance.
		h.mustDeliver(h.line.Text(user, "こんばんは"))
		got := h.waitCount(user, n+1)
		h.settle()
		if len(h.received(user)) != n+1 || len(h.slack.Messages(fakeslack.Channel)) != alerts+1 {
			t.Fatalf("redelivery was processed again: %v", texts(got[n:]))
		}
	})
	if logs := h.logs.String(); strings.Contains(logs, "にせもの") || strings.Contains(logs, user) {
		t.Errorf("logs contain a message text or a raw LINE user id")
	}
}

// TestPushRetry: LINE answering 500 then 200 delivers one message, retried
// with one retry key.
func TestPushRetry(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.line.FailNext(fakeline.PathPush, http.StatusInternalServerError, 1)
	h.mustCLI("send", "test-checkin", "--family", "F-0001")
	h.waitText(user, "今週の気分はどう？")
	pushes := h.line.Pushes()
	if len(pushes) != 1 || h.line.Requests(fakeline.PathPush) != 2 {
		t.Fatalf("pushes %d, requests %d; want 1 delivered after 2 attempts", len(pushes), h.line.Requests(fakeline.PathPush))
	}

	// A lost response: LINE delivered, the sender saw 500 and retried with
	// the same key, which LINE answers 409 and does not show twice.
	h.line.LoseNextResponse(fakeline.PathPush, 1)
	h.mustCLI("send", "test-checkin", "--family", "F-0001", "--replace")
	eventually(t, func() bool { return h.line.Conflicts() == 1 }, "a 409 for the repeated retry key")
	if got := len(h.line.Pushes()); got != 2 {
		t.Fatalf("pushes = %d, want 2", got)
	}
}

// TestRedisDown: with Redis stopped the webhook answers 503 so LINE
// redelivers; when Redis is back the same event goes through without a
// restart of tsunagu.
func TestRedisDown(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)

	h.redis.Stop()
	ev := h.line.Text(user, "きこえますか")
	if code := h.deliver(ev); code != http.StatusServiceUnavailable {
		t.Fatalf("webhook with Redis down: %d, want 503", code)
	}
	res, err := http.Get(h.url + "/readyz")
	if err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with Redis down: %v %v", res.StatusCode, err)
	}
	h.redis.Restart()
	// LINE redelivers until it gets 200. The first redeliveries may still
	// get 503: after a run of failed dials go-redis stops dialling and
	// probes Redis once a second, so how long that lasts depends on how
	// many dials failed while Redis was down (more on a busy machine).
	redeliveries := 0
	eventually(t, func() bool {
		redeliveries++
		switch code := h.deliver(fakeline.Redelivered(ev)); code {
		case http.StatusOK:
			return true
		case http.StatusServiceUnavailable:
			return false
		default:
			t.Fatalf("redelivery answered %d, want 200 or 503", code)
			return false
		}
	}, "a redelivery to be accepted after Redis is back")
	h.waitText(user, "サポーターさんに伝えました")
	if n := countText(h.received(user), "サポーターさんに伝えました"); n != 1 {
		t.Fatalf("acknowledged %d times after %d redeliveries, want once", n, redeliveries)
	}
	if res, _ := http.Get(h.url + "/readyz"); res.StatusCode != http.StatusOK {
		t.Fatalf("readyz after restart: %d", res.StatusCode)
	}
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}

func equal(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// TestNotLeftHanging: inputs that are no answer still get a kind reply and
// never move the session: a sticker, a tap on an old question's button, a
// tap after the check-in ended. A member who blocked the bot gets nothing.
func TestNotLeftHanging(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustCLI("send", "test-checkin", "--family", "F-0001")
	first := h.waitText(user, "今週の気分はどう？")
	h.mustDeliver(h.line.Postback(user, dataFor(t, first, "いい")))
	h.waitText(user, "元気度")

	n := len(h.received(user))
	h.mustDeliver(h.line.Sticker(user))
	got := h.waitCount(user, n+2)[n:]
	if !strings.Contains(got[0].Text, "ありがとう") || !strings.Contains(got[1].Text, "元気度") {
		t.Fatalf("after a sticker: %v", texts(got))
	}

	n = len(h.received(user))
	h.mustDeliver(h.line.Postback(user, dataFor(t, first, "よくない"))) // the old question's button
	if got := h.waitCount(user, n+1)[n]; !strings.Contains(got.Text, "元気度") {
		t.Fatalf("after an old tap: %q, want the current question", got.Text)
	}
	sess, _ := h.main.Store.Session(context.Background(), tsunagu.UserHash(user))
	if sess.Step != "energy" || sess.Answers["mood"].Value != "good" {
		t.Fatalf("an old tap changed the session: %+v", sess)
	}

	h.mustDeliver(h.line.Text(user, "7"))
	h.waitText(user, "ありがとう！またね。")
	n = len(h.received(user))
	h.mustDeliver(h.line.Postback(user, dataFor(t, first, "いい")))
	if got := h.waitCount(user, n+1)[n]; !strings.Contains(got.Text, "もう終わって") {
		t.Fatalf("tap after the end: %q", got.Text)
	}

	h.mustDeliver(h.line.Unfollow(user))
	if _, errs, code := h.cli("send", "test-checkin", "--family", "F-0001"); code != 1 || !strings.Contains(errs, "blocked") {
		t.Fatalf("send to a member who blocked the bot: exit %d %q", code, errs)
	}
	h.mustDeliver(h.line.Follow(user))
	h.waitText(user, "おかえりなさい")
	if out := h.mustCLI("send", "test-checkin", "--family", "F-0001"); !strings.Contains(out, "started") {
		t.Fatalf("send after follow again: %q", out)
	}
}
