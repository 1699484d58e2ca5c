package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tsunagu/tsunagu/cmd/tsunagu/devpage"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// routes mounts the page and its API beside the service's own routes. The
// page's actions go to the service as LINE and Slack would send them:
// signed, over HTTP, into /line/webhook, /slack/interactions and
// /slack/commands.
func (p *playground) routes(mux *http.ServeMux) {
	static, _ := fs.Sub(devpage.Files, "static")
	mux.Handle("GET /{$}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, "index.html")
	}))
	mux.Handle("GET /dev/", http.StripPrefix("/dev/", http.FileServerFS(static)))
	mux.HandleFunc("GET /dev/api/state", p.handleState)
	mux.HandleFunc("POST /dev/api/line/{action}", p.handleLine)
	mux.HandleFunc("POST /dev/api/slack/click", p.handleClick)
	mux.HandleFunc("POST /dev/api/slack/submit", p.handleSubmit)
	mux.HandleFunc("POST /dev/api/slack/close", p.handleCloseView)
	mux.HandleFunc("POST /dev/api/slack/command", p.handleCommand)
	mux.HandleFunc("POST /dev/api/clock", p.handleClock)
}

// chatItem is one bubble in the LINE pane.
type chatItem struct {
	From  string                `json:"from"` // "bot" or "me"
	Text  string                `json:"text"`
	Quick []fakeline.QuickReply `json:"quick,omitempty"`
}

// slackItem is one message in the Slack pane, with its thread's replies.
type slackItem struct {
	TS        string          `json:"ts"`
	Text      string          `json:"text"`
	Blocks    json.RawMessage `json:"blocks,omitempty"`
	Updates   int             `json:"updates"`
	Ephemeral bool            `json:"ephemeral,omitempty"`
	Replies   []slackItem     `json:"replies,omitempty"`
}

type devState struct {
	Now       string         `json:"now"`
	NextCheck string         `json:"next_checkin"`
	Members   []*devMember   `json:"members"`
	Friend    bool           `json:"friend"`
	Chat      []chatItem     `json:"chat"`
	Channel   string         `json:"channel"`
	Slack     []slackItem    `json:"slack"`
	Notices   []notice       `json:"notices"`
	View      map[string]any `json:"view,omitempty"`
	Flows     int            `json:"flows"`
	FlowErrs  string         `json:"flow_errors,omitempty"`
	Memory    bool           `json:"memory"`
}

func (p *playground) formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(p.cfg.Location())
	return fmt.Sprintf("%s(%s) %s", t.Format("2006年1月2日"), weekdays[t.Weekday()], t.Format("15:04"))
}

func (p *playground) handleState(w http.ResponseWriter, r *http.Request) {
	now := p.clock.Now()
	m := p.member(r.URL.Query().Get("member"))
	st := devState{
		Now: p.formatTime(now), NextCheck: p.formatTime(p.nextCheckIn(now, m)),
		Members: p.members, Channel: "#tsunagu-alerts", Flows: p.m.Bot.Flows.Len(),
		FlowErrs: p.flowErrors(), Memory: p.mini != nil,
	}
	if m != nil {
		st.Chat = p.chat(m)
		p.mu.Lock()
		st.Friend = p.friends[m.Key]
		p.mu.Unlock()
	}
	st.Slack = p.slackItems()
	p.mu.Lock()
	st.Notices = slices.Clone(p.notices)
	p.mu.Unlock()
	st.View = p.openView()
	writeDevJSON(w, http.StatusOK, st)
}

// chat merges what the member received with what the page sent as them.
func (p *playground) chat(m *devMember) []chatItem {
	got := p.line.Delivered(m.user)
	p.mu.Lock()
	sent := slices.Clone(p.sent[m.Key])
	p.mu.Unlock()
	var out []chatItem
	mine := func(upTo int) {
		for len(sent) > 0 && sent[0].after <= upTo {
			out = append(out, chatItem{From: "me", Text: sent[0].text})
			sent = sent[1:]
		}
	}
	for i, msg := range got {
		mine(i)
		out = append(out, chatItem{From: "bot", Text: msg.Text, Quick: msg.QuickReplies})
	}
	mine(len(got))
	return out
}

// slackItems is the channel as supporters see it: messages with their
// thread replies, and the ephemeral messages shown to the page's supporter.
func (p *playground) slackItems() []slackItem {
	msgs := p.slack.Messages(fakeslack.Channel)
	var roots []slackItem
	index := map[string]int{}
	for _, m := range msgs {
		it := slackItem{TS: m.TS, Text: m.Text, Blocks: m.Blocks, Updates: m.Updates}
		if i, ok := index[m.ThreadTS]; ok && m.ThreadTS != "" {
			roots[i].Replies = append(roots[i].Replies, it)
			if !m.ReplyBroadcast {
				continue
			}
		}
		index[m.TS] = len(roots)
		roots = append(roots, it)
	}
	for _, m := range p.slack.Ephemerals(fakeslack.Channel) {
		if m.User == devSupporter {
			roots = append(roots, slackItem{TS: m.TS, Text: m.Text, Blocks: m.Blocks, Ephemeral: true})
		}
	}
	slices.SortStableFunc(roots, func(a, b slackItem) int { return cmp.Compare(tsOrder(a.TS), tsOrder(b.TS)) })
	return roots
}

// tsOrder orders the fake's message timestamps ("1700000001.000001").
func tsOrder(ts string) string { return fmt.Sprintf("%024s", ts) }

// openView is the newest modal the page has not submitted or closed.
func (p *playground) openView() map[string]any {
	views := p.slack.Views()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(views) - 1; i >= 0; i-- {
		if p.closed[views[i].ID] {
			continue
		}
		var v map[string]any
		if json.Unmarshal(views[i].JSON, &v) != nil {
			return nil
		}
		v["id"] = views[i].ID
		return v
	}
	return nil
}

// flowErrors are the validation errors of the flow files as they are now,
// checked at most once a second: the service keeps its last good flows in
// force meanwhile, and the page says why the new ones were refused.
func (p *playground) flowErrors() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.flowsAt) > time.Second {
		_, diags := flows.LoadPaths(flows.Options{Lang: p.cfg.Lang}, p.cfg.FlowsDir)
		p.flowsDiag = ""
		if diags.HasErrors() {
			p.flowsDiag = diags.String()
		}
		p.flowsAt = time.Now()
	}
	return p.flowsDiag
}

// lineRequest is what the LINE pane posts.
type lineRequest struct {
	Member string `json:"member"`
	Text   string `json:"text"`
	Data   string `json:"data"`  // a postback's data
	Label  string `json:"label"` // what the member sees they tapped
}

func (p *playground) handleLine(w http.ResponseWriter, r *http.Request) {
	var req lineRequest
	if !readDevJSON(w, r, &req) {
		return
	}
	m := p.member(req.Member)
	if m == nil {
		devError(w, http.StatusBadRequest, "そのメンバーはいません")
		return
	}
	var ev fakeline.Event
	shown := ""
	switch r.PathValue("action") {
	case "follow":
		ev = p.line.Follow(m.user)
	case "unfollow":
		ev = p.line.Unfollow(m.user)
	case "text":
		if strings.TrimSpace(req.Text) == "" {
			devError(w, http.StatusBadRequest, "メッセージが空です")
			return
		}
		ev, shown = p.line.Text(m.user, req.Text), req.Text
	case "postback":
		ev, shown = p.line.Postback(m.user, req.Data), req.Label
	default:
		devError(w, http.StatusNotFound, "unknown action")
		return
	}
	if shown != "" {
		p.mu.Lock()
		p.sent[m.Key] = append(p.sent[m.Key], userMsg{after: len(p.line.Delivered(m.user)), text: shown})
		p.mu.Unlock()
	}
	res, err := p.deliver(r.Context(), ev)
	if err != nil {
		devError(w, http.StatusBadGateway, err.Error())
		return
	}
	if res.StatusCode != http.StatusOK {
		devError(w, http.StatusBadGateway, fmt.Sprintf("/line/webhook answered %d", res.StatusCode))
		return
	}
	switch r.PathValue("action") {
	case "follow", "unfollow":
		p.mu.Lock()
		p.friends[m.Key] = r.PathValue("action") == "follow"
		p.mu.Unlock()
	}
	writeDevJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// deliver sends a signed webhook as LINE does, redelivering the same event
// while the service answers 5xx (it could not record it yet: a busy
// machine, Redis starting), as LINE's webhook redelivery would.
func (p *playground) deliver(ctx context.Context, ev fakeline.Event) (*http.Response, error) {
	wait := 200 * time.Millisecond
	for try := 1; ; try++ {
		res, err := p.line.Send(p.base+"/line/webhook", devLineSecret, ev)
		// A lost answer is redelivered too: the event id makes it once.
		if (err == nil && res.StatusCode < 500) || try == 8 {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, nil
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// clickRequest is a button pressed in the Slack pane.
type clickRequest struct {
	TS       string `json:"ts"`
	ActionID string `json:"action_id"`
	BlockID  string `json:"block_id"`
	Value    string `json:"value"`
}

func (p *playground) handleClick(w http.ResponseWriter, r *http.Request) {
	var req clickRequest
	if !readDevJSON(w, r, &req) {
		return
	}
	form := fakeslack.BlockActionForm(fakeslack.Click{
		UserID: devSupporter, UserName: "dev-supporter", MessageTS: req.TS,
		ActionID: req.ActionID, BlockID: req.BlockID, Value: req.Value,
	})
	p.toSlackApp(w, "/slack/interactions", form, nil)
}

// submitRequest is a modal's inputs, by action id.
type submitRequest struct {
	View   string            `json:"view"`
	Values map[string]string `json:"values"`
}

func (p *playground) handleSubmit(w http.ResponseWriter, r *http.Request) {
	var req submitRequest
	if !readDevJSON(w, r, &req) {
		return
	}
	i := slices.IndexFunc(p.slack.Views(), func(v fakeslack.View) bool { return v.ID == req.View })
	if i < 0 {
		devError(w, http.StatusBadRequest, "その画面はもう閉じています")
		return
	}
	form, err := submissionForm(p.slack.Views()[i], req.Values)
	if err != nil {
		devError(w, http.StatusBadRequest, err.Error())
		return
	}
	p.toSlackApp(w, "/slack/interactions", form, func(body []byte) {
		// A submission answered with errors keeps the modal open.
		if !strings.Contains(string(body), `"errors"`) {
			p.mu.Lock()
			p.closed[req.View] = true
			p.mu.Unlock()
		}
	})
}

// submissionForm is fakeslack.ViewSubmissionForm, which panics on a value
// for an input the view lacks; from the page that is a bad request.
func submissionForm(v fakeslack.View, values map[string]string) (form url.Values, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return fakeslack.ViewSubmissionForm(devSupporter, v, values), nil
}

func (p *playground) handleCloseView(w http.ResponseWriter, r *http.Request) {
	var req submitRequest
	if !readDevJSON(w, r, &req) {
		return
	}
	p.mu.Lock()
	p.closed[req.View] = true
	p.mu.Unlock()
	writeDevJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (p *playground) handleCommand(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Text string `json:"text"`
	}
	if !readDevJSON(w, r, &req) {
		return
	}
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(req.Text), "/tsunagu"))
	form := fakeslack.CommandForm("/tsunagu", text, devSupporter, "")
	p.toSlackApp(w, "/slack/commands", form, func(body []byte) {
		var res struct {
			ResponseType string          `json:"response_type"`
			Text         string          `json:"text"`
			Blocks       json.RawMessage `json:"blocks"`
		}
		if json.Unmarshal(body, &res) != nil {
			res.Text = string(body) // a plain-text answer
		}
		if res.Text == "" && res.Blocks == nil {
			return
		}
		n := notice{Text: res.Text, Public: res.ResponseType == "in_channel"}
		if res.Blocks != nil {
			n.Blocks = res.Blocks
		}
		p.mu.Lock()
		p.notices = append(p.notices, n)
		p.mu.Unlock()
	})
}

// toSlackApp posts form to the service signed as Slack signs, stamped with
// the wall clock (slack-go's verifier checks the age against it, not the
// service's clock), and hands the answer to then.
func (p *playground) toSlackApp(w http.ResponseWriter, path string, form url.Values, then func([]byte)) {
	req := fakeslack.SignedRequest(p.base+path, devSlackSecret, form, time.Now())
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		devError(w, http.StatusBadGateway, err.Error())
		return
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		devError(w, http.StatusBadGateway, fmt.Sprintf("%s answered %d: %s", path, res.StatusCode, strings.TrimSpace(string(body))))
		return
	}
	if then != nil {
		then(body)
	}
	writeDevJSON(w, http.StatusOK, map[string]any{"ok": true, "answer": string(body)})
}

func (p *playground) handleClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Move   string `json:"move"` // hour, day, week, next
		Member string `json:"member"`
	}
	if !readDevJSON(w, r, &req) {
		return
	}
	target, err := p.clockMove(req.Move, p.member(req.Member))
	if err != nil {
		devError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := p.advance(r.Context(), target); err != nil {
		devError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeDevJSON(w, http.StatusOK, map[string]any{"ok": true, "now": p.formatTime(p.clock.Now())})
}

func readDevJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(v); err != nil && !errors.Is(err, io.EOF) {
		devError(w, http.StatusBadRequest, "bad request: "+err.Error())
		return false
	}
	return true
}

func devError(w http.ResponseWriter, status int, msg string) {
	writeDevJSON(w, status, map[string]any{"ok": false, "error": msg})
}

func writeDevJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
