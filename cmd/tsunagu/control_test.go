package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// sendCounts runs `send FLOW --family CODE --json` and returns its counts.
func (h *harness) sendCounts(flow, family string) map[string]int {
	h.t.Helper()
	var res struct {
		Counts map[string]int `json:"counts"`
	}
	// A send that reaches nobody exits 1, and --json still says why.
	out, errs, code := h.cli("send", flow, "--family", family, "--json")
	if code != 0 && code != 1 {
		h.t.Fatalf("tsunagu send %s --family %s --json: exit %d\n%s%s", flow, family, code, out, errs)
	}
	mustJSON(h.t, out, &res)
	return res.Counts
}

// newAlerts returns the alerts raised after the first n, oldest first.
func (h *harness) alertsSince(n int) []tsunagu.Alert {
	h.t.Helper()
	all, err := h.main.Store.Alerts(context.Background(), 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []tsunagu.Alert
	for i := len(all) - 1 - n; i >= 0; i-- {
		out = append(out, all[i])
	}
	return out
}

// TestMemberStopsAndResumes: a member who writes 停止 gets no check-in,
// scheduled or sent, until they write 再開; a risk word still gets the
// safety reply meanwhile; supporters hear of both.
func TestMemberStopsAndResumes(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,U0SUPPORT")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustCLI("send", "test-checkin", "--family", "F-0001")
	h.waitText(user, "今週の気分はどう？")

	h.mustDeliver(h.line.Text(user, "配信停止してください"))
	h.next(user, "お休みします")
	h.quiesce(h.clock.Now())
	alerts := h.alertsSince(0)
	if len(alerts) != 1 || alerts[0].Severity != tsunagu.SeverityInfo || !strings.Contains(alerts[0].Reason, "停止") {
		t.Fatalf("alerts after 停止: %+v", alerts)
	}
	if hist := h.history(user); len(hist) != 1 || hist[0].Status != tsunagu.SessionStopped {
		t.Fatalf("the open check-in should end as stopped, not missed: %+v", hist)
	}
	if c := h.sendCounts("test-checkin", "F-0001"); c["stopped"] != 1 || c["started"] != 0 {
		t.Fatalf("send while stopped: %v", c)
	}

	h.mustDeliver(h.line.Text(user, "もう消えたい"))
	if got := h.next(user, "0120-0-78310"); got.Text == "" {
		t.Fatal("no safety reply while stopped")
	}

	h.mustDeliver(h.line.Text(user, "再開"))
	h.next(user, "また送りますね")
	if c := h.sendCounts("test-checkin", "F-0001"); c["started"] != 1 {
		t.Fatalf("send after 再開: %v", c)
	}
	h.next(user, "今週の気分はどう？")
	h.quiesce(h.clock.Now())
	var reasons []string
	for _, a := range h.alertsSince(0) {
		reasons = append(reasons, a.Reason)
	}
	if len(reasons) != 3 || !strings.Contains(reasons[2], "再開") {
		t.Errorf("alerts: %q, want the stop, the risk word and the resume", reasons)
	}
}

// TestBlockIsASignal: unfollowing keeps the link and tells supporters;
// following again reopens it without a new code, and tells them too.
func TestBlockIsASignal(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,U0SUPPORT")
	user := h.enrol("F-0001", tsunagu.RoleChild)

	h.mustDeliver(h.line.Unfollow(user))
	h.quiesce(h.clock.Now())
	if a := h.alertsSince(0); len(a) != 1 || !strings.Contains(a[0].Reason, "ブロック") || a[0].FamilyCode != "F-0001" {
		t.Fatalf("alerts after unfollow: %+v", a)
	}
	if c := h.sendCounts("test-checkin", "F-0001"); c["blocked"] != 1 {
		t.Fatalf("send to a member who blocked the bot: %v", c)
	}
	h.slackMessages(1)

	h.mustDeliver(h.line.Follow(user))
	h.next(user, "おかえりなさい")
	h.quiesce(h.clock.Now())
	if a := h.alertsSince(1); len(a) != 1 || !strings.Contains(a[0].Reason, "解除") {
		t.Fatalf("alerts after follow: %+v", a)
	}
	if c := h.sendCounts("test-checkin", "F-0001"); c["started"] != 1 {
		t.Fatalf("send after following again (no new code): %v", c)
	}
}

// TestDeclinedConsent: a member who declines the sign-up consent gets
// nothing but safety replies — no check-in, no answer to a message —
// until they ask to take part, which asks for consent again.
func TestDeclinedConsent(t *testing.T) {
	h := newHarness(t, "../../flows/testdata/parity")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	q := h.waitText(user, "はじめていい？")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "やめておく")))
	h.next(user, "ありがとう")
	if c := h.sendCounts("weekly", "F-0001"); c["no consent"] != 1 {
		t.Fatalf("send after declining: %v", c)
	}
	h.quiesce(h.clock.Now())
	before, alerts := len(h.received(user)), len(h.alertsSince(0))

	h.mustDeliver(h.line.Text(user, "こんにちは"), h.line.Sticker(user))
	h.quiesce(h.clock.Now())
	if n := len(h.received(user)); n != before {
		t.Fatalf("a member who declined got %v", texts(h.received(user)[before:]))
	}
	if n := len(h.alertsSince(0)); n != alerts {
		t.Fatalf("%d new alerts for a member who declined", n-alerts)
	}

	h.mustDeliver(h.line.Text(user, "しにたい"))
	h.next(user, "0120-0-78310")

	h.mustDeliver(h.line.Text(user, "やっぱり参加します"))
	q = h.next(user, "はじめていい？")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "はい、はじめる")))
	h.next(user, "ありがとう")
	if c := h.sendCounts("weekly", "F-0001"); c["started"] != 1 {
		t.Fatalf("send after consenting: %v", c)
	}
}

// TestInviteCodesCountedPerCode: a message full of codes tries no more
// than the hour's allowance, and the right code after it waits too.
func TestInviteCodesCountedPerCode(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	var inv inviteOut
	mustJSON(t, h.mustCLI("invite", "F-0001", "--role", "child", "--json"), &inv)

	guesser := fakeline.NewUserID()
	var codes []string
	for i := range 500 {
		codes = append(codes, fmt.Sprintf("ZZZZ-%04d", 2000+i))
	}
	h.mustDeliver(h.line.Text(guesser, strings.Join(codes, " ")+" "+inv.Code))
	h.next(guesser, "少し時間をおいて")
	h.mustDeliver(h.line.Text(guesser, inv.Code))
	h.next(guesser, "少し時間をおいて")
	if m := h.memberOrNil(guesser); m != nil {
		t.Fatalf("a guesser enrolled with the code at the end of 500: %+v", m)
	}
	// The code was not used up by the guess: its owner still enrols.
	owner := fakeline.NewUserID()
	h.mustDeliver(h.line.Text(owner, inv.Code))
	h.next(owner, "登録できました")
}

// TestQuickSendsMakeNoMiss: sending a flow again while its check-in is
// open leaves it open (no false miss) unless --replace; several
// supporters sending from Slack at once start one check-in.
func TestQuickSendsMakeNoMiss(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,U0SUPPORT")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	if c := h.sendCounts("test-checkin", "F-0001"); c["started"] != 1 {
		t.Fatalf("first send: %v", c)
	}
	h.next(user, "今週の気分はどう？")

	var wg sync.WaitGroup
	answers := make([]string, 3)
	for i, who := range []string{"U0SUPPORT", "U0SECOND", "U0THIRD"} {
		wg.Go(func() {
			form := fakeslack.CommandForm("/tsunagu", "send test-checkin F-0001", who, fakeslack.Channel)
			res, err := http.DefaultClient.Do(fakeslack.SignedRequest(h.url+"/slack/commands", slackSecret, form, time.Now()))
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			answers[i] = string(b)
		})
	}
	wg.Wait()
	for _, a := range answers {
		if !strings.Contains(a, "回答中のため送らず") && !strings.Contains(a, "いま行われたばかり") {
			t.Errorf("a send while the check-in is open answered %s", a)
		}
	}
	if c := h.sendCounts("test-checkin", "F-0001"); c["already open"] != 1 {
		t.Fatalf("CLI send while open: %v", c)
	}
	h.quiesce(h.clock.Now())
	if hist := h.history(user); len(hist) != 0 {
		t.Fatalf("quick sends made %d sessions end: %+v", len(hist), hist)
	}

	var res struct {
		Counts map[string]int `json:"counts"`
	}
	mustJSON(t, h.mustCLI("send", "test-checkin", "--family", "F-0001", "--replace", "--json"), &res)
	if res.Counts["restarted"] != 1 {
		t.Fatalf("send --replace: %v", res.Counts)
	}
	if hist := h.history(user); len(hist) != 1 || hist[0].Status != tsunagu.SessionMissed {
		t.Fatalf("history after --replace: %+v", hist)
	}
}

func (h *harness) memberOrNil(user string) *tsunagu.Member {
	h.t.Helper()
	m, err := h.main.Store.Member(context.Background(), h.main.Bot.Pseudonyms.UserHash(user))
	if tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}
