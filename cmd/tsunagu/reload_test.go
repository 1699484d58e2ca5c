package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// TestLivingFlows: serve follows the flow files without a restart. A
// session finishes on the version it started with; a broken set is refused
// whole, the running flows stay, and supporters hear of it once.
func TestLivingFlows(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/flows/test-checkin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "test-checkin.yaml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(string(src))
	h := newHarness(t, dir)
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustCLI("send", "test-checkin", "--family", "F-0001")
	q := h.waitText(user, "今週の気分はどう？")
	v1 := h.main.Bot.Flows.Get("test-checkin").Hash

	// Edit the flow while the member is in it.
	write(strings.Replace(string(src), "元気度を0から10で教えてね", "あたらしい質問だよ", 1))
	eventually(t, func() bool { return h.main.Bot.Flows.Get("test-checkin").Hash != v1 }, "the edit to be put in force")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "いい")))
	h.waitText(user, "元気度を0から10で教えてね") // still the version it started on
	h.mustDeliver(h.line.Text(user, "5"))
	h.waitText(user, "ありがとう！またね。")

	n := len(h.received(user))
	h.mustCLI("send", "test-checkin", "--family", "F-0001")
	q = h.waitCount(user, n+1)[n]
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "いい")))
	h.waitText(user, "あたらしい質問だよ") // a new session gets the new version
	v2 := h.main.Bot.Flows.Get("test-checkin").Hash

	// A broken edit is refused; the running version stays and serves.
	write(strings.Replace(string(src), "choices:", "chioces:", 1))
	alerts := h.slackMessages(1)
	text := fakeslack.BlocksText(alerts[0].Blocks)
	if !strings.Contains(text, "test-checkin.yaml:8:") || !strings.Contains(text, "反映していません") {
		t.Fatalf("flow error alert:\n%s", text)
	}
	if h.main.Bot.Flows.Get("test-checkin").Hash != v2 {
		t.Fatal("a broken set replaced the running flows")
	}
	write(strings.Replace(string(src), "choices:", "chioces:", 1) + "\n")
	h.main.Reload() // SIGHUP with the same errors: no second report
	eventually(t, func() bool {
		logs := h.logs.String()
		i := strings.LastIndex(logs, "SIGHUP: reloading flows")
		return i >= 0 && strings.Contains(logs[i:], "flows refused")
	}, "the SIGHUP reload to refuse the flows")
	h.settle() // and any report it queued to be posted
	if n := len(h.slack.Messages(fakeslack.Channel)); n != 1 {
		t.Fatalf("%d Slack messages, want the flow errors reported once", n)
	}
	h.mustDeliver(h.line.Text(user, "3"))
	h.waitText(user, "ありがとう！またね。")
	if _, err := h.main.Store.FlowSource(context.Background(), v1); err != nil {
		t.Fatal(err)
	}
}
