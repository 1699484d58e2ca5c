package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// devPage drives a playground through its page's API, as the browser does.
type devPage struct {
	t    *testing.T
	p    *playground
	logs *syncWriter
}

// startDev starts the playground as `tsunagu dev` does (in-memory Redis,
// fakes in the process) on 127.0.0.1:0 with the example flows or dir.
func startDev(t *testing.T, flowsDir string) *devPage {
	t.Helper()
	if flowsDir == "" {
		flowsDir = "../../examples/flows"
	}
	flowsDir, err := filepath.Abs(flowsDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // no tsunagu.yaml is read
	env := map[string]string{"TSUNAGU_FLOWS_DIR": flowsDir}
	c, err := config.Load("", false, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncWriter{w: &bytes.Buffer{}}
	p, err := startPlayground(context.Background(), c, false, slog.New(slog.NewTextHandler(logs, nil)),
		devOptions{listen: "127.0.0.1:0", tickEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	})
	return &devPage{t: t, p: p, logs: logs}
}

func (d *devPage) post(path string, body any) map[string]any {
	d.t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(d.p.base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &out); err != nil || res.StatusCode != http.StatusOK {
		d.t.Fatalf("POST %s: %d %s", path, res.StatusCode, raw)
	}
	return out
}

func (d *devPage) state(member string) devStateJSON {
	d.t.Helper()
	res, err := http.Get(d.p.base + "/dev/api/state?member=" + member)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	var st devStateJSON
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		d.t.Fatal(err)
	}
	return st
}

// devStateJSON is the page's view of /dev/api/state.
type devStateJSON struct {
	Now     string `json:"now"`
	Members []struct {
		Key, Family, Role, Code string
	} `json:"members"`
	Friend bool `json:"friend"`
	Chat   []struct {
		From  string                `json:"from"`
		Text  string                `json:"text"`
		Quick []fakeline.QuickReply `json:"quick"`
	} `json:"chat"`
	Slack []struct {
		TS      string          `json:"ts"`
		Text    string          `json:"text"`
		Blocks  json.RawMessage `json:"blocks"`
		Updates int             `json:"updates"`
	} `json:"slack"`
	Notices    []notice       `json:"notices"`
	View       map[string]any `json:"view"`
	FlowErrors string         `json:"flow_errors"`
	Memory     bool           `json:"memory"`
}

// tap waits for a quick reply labelled label on the member's newest bot
// message and taps it.
func (d *devPage) tap(member, label string) {
	d.t.Helper()
	var data string
	eventually(d.t, func() bool {
		st := d.state(member)
		if n := len(st.Chat); n > 0 && st.Chat[n-1].From == "bot" {
			for _, q := range st.Chat[n-1].Quick {
				if q.Label == label {
					data = q.Data
					return true
				}
			}
		}
		return false
	}, "a quick reply %q", label)
	d.post("/dev/api/line/postback", map[string]string{"member": member, "data": data, "label": label})
}

func (d *devPage) waitChat(member, want string) {
	d.t.Helper()
	eventually(d.t, func() bool {
		for _, c := range d.state(member).Chat {
			if c.From == "bot" && strings.Contains(c.Text, want) {
				return true
			}
		}
		return false
	}, "the bot to say %q", want)
}

// waitSlack waits for a channel message containing want and returns its
// index.
func (d *devPage) waitSlack(want string) int {
	d.t.Helper()
	i := -1
	eventually(d.t, func() bool {
		for j, m := range d.state("").Slack {
			if strings.Contains(fakeslack.BlocksText(m.Blocks)+m.Text, want) {
				i = j
				return true
			}
		}
		return false
	}, "a Slack message with %q", want)
	return i
}

// TestDevCheckIn is the README's first command from the page's side:
// enrol a sample child with its invite code, move the clock to the weekly
// check-in, answer worryingly, see and claim the alert, then let two
// check-ins go unanswered and see the missed-streak alert.
func TestDevCheckIn(t *testing.T) {
	d := startDev(t, "")
	st := d.state("F-0001-child")
	if !st.Memory || len(st.Members) != 4 {
		t.Fatalf("state: memory=%v members=%d", st.Memory, len(st.Members))
	}
	const child = "F-0001-child"
	d.post("/dev/api/line/follow", map[string]string{"member": child})
	d.waitChat(child, "招待コード")
	d.post("/dev/api/line/text", map[string]string{"member": child, "text": st.Members[0].Code})
	d.waitChat(child, "登録できました")
	d.tap(child, "はい、はじめる")
	d.tap(child, "こども・わかもの")
	d.waitChat(child, "こまったことがあれば")

	d.post("/dev/api/clock", map[string]string{"move": "next", "member": child})
	d.tap(child, "よくない")
	d.waitChat(child, "なにがあったか")
	d.post("/dev/api/line/text", map[string]string{"member": child, "text": "ともだちとけんかした"})
	d.tap(child, "ねむれてる")
	d.tap(child, "食べてる")
	d.waitChat(child, "いまの元気")
	d.post("/dev/api/line/text", map[string]string{"member": child, "text": "5"})
	d.waitChat(child, "また来週")

	i := d.waitSlack("気分が「よくない」")
	alert := d.state("").Slack[i]
	text := fakeslack.BlocksText(alert.Blocks)
	for _, want := range []string{"F-0001", "ともだちとけんかした", "対応します"} {
		if !strings.Contains(text, want) {
			t.Errorf("alert lacks %q:\n%s", want, text)
		}
	}
	claim := findButton(t, alert.Blocks, "claim")
	d.post("/dev/api/slack/click", map[string]string{"ts": alert.TS, "action_id": "claim", "block_id": claim.block, "value": claim.value})
	eventually(t, func() bool {
		return strings.Contains(fakeslack.BlocksText(d.state("").Slack[i].Blocks), "<@"+devSupporter+">")
	}, "the alert to show the claim")

	for range 3 {
		d.post("/dev/api/clock", map[string]string{"move": "week"})
	}
	d.waitSlack("2週つづけて")
	if strings.Count(d.logs.String(), "occurrence skipped") > 0 {
		t.Errorf("the clock skipped a check-in:\n%s", d.logs.String())
	}
}

type button struct{ block, value string }

func findButton(t *testing.T, blocks json.RawMessage, action string) button {
	t.Helper()
	var bs []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
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
			if e.ActionID == action {
				return button{b.BlockID, e.Value}
			}
		}
	}
	t.Fatalf("no %s button in %s", action, blocks)
	return button{}
}

// TestDevSlackSide: the reply modal goes through views.open and a signed
// view_submission, and /tsunagu answers only the page's supporter.
func TestDevSlackSide(t *testing.T) {
	d := startDev(t, "")
	const child = "F-0002-child"
	st := d.state(child)
	code := ""
	for _, m := range st.Members {
		if m.Key == child {
			code = m.Code
		}
	}
	d.post("/dev/api/line/follow", map[string]string{"member": child})
	d.post("/dev/api/line/text", map[string]string{"member": child, "text": code})
	d.tap(child, "はい、はじめる")
	d.tap(child, "こども・わかもの")
	d.post("/dev/api/line/text", map[string]string{"member": child, "text": "きいてほしいことがある"})
	i := d.waitSlack("F-0002")
	alert := d.state("").Slack[i]
	reply := findButton(t, alert.Blocks, "reply")
	d.post("/dev/api/slack/click", map[string]string{"ts": alert.TS, "action_id": "reply", "block_id": reply.block, "value": reply.value})
	var view map[string]any
	eventually(t, func() bool { view = d.state("").View; return view != nil }, "the reply modal")
	input := modalInput(t, view)
	d.post("/dev/api/slack/submit", map[string]any{"view": view["id"], "values": map[string]string{input: "おしえてくれてありがとう。あした話そうね"}})
	d.waitChat(child, "あした話そうね")
	if d.state("").View != nil {
		t.Error("the modal is still open after a good submission")
	}

	d.post("/dev/api/slack/command", map[string]string{"text": "/tsunagu F-0002"})
	eventually(t, func() bool {
		for _, n := range d.state("").Notices {
			if strings.Contains(n.Text+string(must(json.Marshal(n.Blocks))), "F-0002") {
				return true
			}
		}
		return false
	}, "the family summary from /tsunagu")
}

func must[T any](v T, _ error) T { return v }

func modalInput(t *testing.T, view map[string]any) string {
	t.Helper()
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		if m["type"] == "input" {
			el, _ := m["element"].(map[string]any)
			return el["action_id"].(string)
		}
	}
	t.Fatalf("no input in the modal: %v", view)
	return ""
}

// TestDevFlowErrors: a broken flow file shows its errors on the page while
// the service keeps the last good flows.
func TestDevFlowErrors(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../examples/flows/weekly-child.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weekly-child.yaml"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDev(t, dir)
	if st := d.state(""); st.FlowErrors != "" {
		t.Fatalf("errors before any edit: %s", st.FlowErrors)
	}
	broken := strings.Replace(string(src), "next: why", "next: nowhere", 1)
	if err := os.WriteFile(filepath.Join(dir, "weekly-child.yaml"), []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return strings.Contains(d.state("").FlowErrors, "nowhere") }, "the page to show the flow error")
	if n := d.p.m.Bot.Flows.Len(); n != 1 {
		t.Errorf("flows in force after a broken edit: %d, want the last good 1", n)
	}
}

// TestDevPage: the page and its assets are served at / beside the
// service's own routes, with no reference to anything off the machine.
func TestDevPage(t *testing.T) {
	d := startDev(t, "")
	for path, want := range map[string]string{"/": "つなぐ", "/dev/app.js": "/dev/api/state", "/dev/style.css": "@media", "/healthz": "ok"} {
		res, err := http.Get(d.p.base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, want %q in it", path, res.StatusCode, want)
		}
		if strings.Contains(string(body), "https://") {
			t.Errorf("GET %s refers to the internet", path)
		}
	}
}
