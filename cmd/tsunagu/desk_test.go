package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// TestReplyModal drives the supporters' desk as Slack would: a signed
// click on 返信する opens the modal, the signed submission pushes the text
// to the member on LINE, and 対応済み with a note closes the alert.
func TestReplyModal(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustDeliver(h.line.Text(user, "先生とけんかしちゃった"))
	alert := h.slackMessages(1)[0]

	click := func(action string) *fakeslack.View {
		t.Helper()
		n := len(h.slack.Views())
		value := buttonValue(t, alert.Blocks, action)
		if res := h.click(fakeslack.Click{UserID: "U0SUPPORT", MessageTS: alert.TS, ActionID: action, Value: value}, time.Now()); res.StatusCode != http.StatusOK {
			t.Fatalf("click %s: %d", action, res.StatusCode)
		}
		eventually(t, func() bool { return len(h.slack.Views()) > n }, "the %s modal", action)
		v := h.slack.Views()[n]
		return &v
	}
	submit := func(v *fakeslack.View, values map[string]string) {
		t.Helper()
		req := fakeslack.SignedRequest(h.url+"/slack/interactions", slackSecret, fakeslack.ViewSubmissionForm("U0SUPPORT", *v, values), time.Now())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || strings.Contains(string(body), "errors") {
			t.Fatalf("submit: %d %s", res.StatusCode, body)
		}
	}

	v := click("reply")
	if !strings.Contains(v.Text(), "200通") {
		t.Errorf("the reply modal should say it uses the monthly quota:\n%s", v.Text())
	}
	submit(v, map[string]string{"reply_text": "話してくれてありがとう。あした学校で話そうね"})
	h.next(user, "あした学校で話そうね")
	if p := h.line.Pushes(); len(p) != 1 || p[0].RetryKey == "" {
		t.Fatalf("reply pushes: %+v", p)
	}
	eventually(t, func() bool {
		for _, m := range h.slack.Messages(fakeslack.Channel) {
			if m.ThreadTS == alert.TS && strings.Contains(m.Text+fakeslack.BlocksText(m.Blocks), "返信しました") {
				return true
			}
		}
		return false
	}, "the reply's record in the thread")

	v = click("resolve")
	submit(v, map[string]string{"note": "担任と共有した"})
	eventually(t, func() bool {
		m := h.slack.Messages(fakeslack.Channel)[0]
		text := fakeslack.BlocksText(m.Blocks)
		return strings.Contains(text, "対応済み") && strings.Contains(text, "担任と共有した")
	}, "the alert to show it resolved, with the note")
	alerts, _ := h.main.Store.Alerts(context.Background(), 10)
	if a := alerts[len(alerts)-1]; a.State != tsunagu.AlertResolved || a.Note != "担任と共有した" {
		t.Fatalf("alert in Redis: %+v", a)
	}
	// Who replied to the child and who resolved it is in the audit log.
	var entries []tsunagu.AuditEntry
	mustJSON(t, h.mustCLI("audit", "--family", "F-0001", "--json"), &entries)
	got := map[string]string{}
	for _, e := range entries {
		got[e.Action] = e.By
	}
	if got[tsunagu.AuditReplied] != "U0SUPPORT" || got[tsunagu.AuditResolved] != "U0SUPPORT" {
		t.Errorf("audit log: %+v", entries)
	}
}

// TestSlashCommands: /tsunagu CODE shows the family, pause stops check-ins
// until resume, and send starts one.
func TestSlashCommands(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)

	command := func(text string) string {
		t.Helper()
		req := fakeslack.SignedRequest(h.url+"/slack/commands", slackSecret, fakeslack.CommandForm("/tsunagu", text, "U0SUPPORT", fakeslack.Channel), time.Now())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("/tsunagu %s: %d %s", text, res.StatusCode, body)
		}
		return unicodeText(body)
	}

	if out := command("F-0001"); !strings.Contains(out, "F-0001") || !strings.Contains(out, "子ども") {
		t.Errorf("summary: %s", out)
	}
	if out := command("F-9999"); !strings.Contains(out, "F-9999") {
		t.Errorf("unknown family: %s", out)
	}
	command("pause F-0001")
	if _, errs, code := h.cli("send", "test-checkin", "--family", "F-0001"); code != 1 || !strings.Contains(errs, "paused") {
		t.Fatalf("send while paused: exit %d %q", code, errs)
	}
	command("resume Ｆ－０００１") // full width, as typed on a Japanese keyboard
	if out := command("send test-checkin F-0001"); !strings.Contains(out, "送信 1") {
		t.Fatalf("send from Slack: %s", out)
	}
	h.next(user, "今週の気分はどう？")

	// A forged command is refused.
	req := fakeslack.SignedRequest(h.url+"/slack/commands", "wrong", fakeslack.CommandForm("/tsunagu", "pause F-0001", "U0X", fakeslack.Channel), time.Now())
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged command: %v %v", res.StatusCode, err)
	}
	if f, _ := h.main.Store.Family(context.Background(), "F-0001"); f.Paused {
		t.Fatal("a forged command paused the family")
	}
}

// buttonValue finds the value of the button with the action id.
func buttonValue(t *testing.T, blocks json.RawMessage, actionID string) string {
	t.Helper()
	var bs []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		for _, e := range b.Elements {
			if e.ActionID == actionID {
				return e.Value
			}
		}
	}
	t.Fatalf("no %s button in %s", actionID, blocks)
	return ""
}

// unicodeText decodes a JSON answer so that Japanese reads as text.
func unicodeText(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return string(body)
	}
	b, _ := json.Marshal(v)
	s, _ := url.PathUnescape(string(b))
	return s
}
