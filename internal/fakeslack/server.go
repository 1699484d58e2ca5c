// Package fakeslack is a local stand-in for the Slack Web API that tests
// drive through the real slack-go client (pointed at it with
// slack.OptionAPIURL). It speaks Slack's wire format: form-encoded requests,
// {"ok":false,"error":"..."} bodies, 429 with Retry-After. It records every
// message with its blocks so tests can assert what supporters would see, and
// it can fail on demand. slack-go's own slacktest lacks chat.update and drops
// blocks, hence this package.
package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the bot token the fake accepts; Channel is a channel it knows
// from the start. Add more with AddChannel.
const (
	Token   = "xoxb-fakeslack-token"
	Channel = "C0TSUNAGU"
)

// Bot identity answered by auth.test.
const (
	TeamID    = "T0TSUNAGU"
	BotUserID = "U0TSUNAGUBOT"
	BotID     = "B0TSUNAGUBOT"
)

// Message is a message as the fake holds it now: chat.update replaces Text
// and Blocks in place and counts the update.
type Message struct {
	Channel        string
	TS             string
	ThreadTS       string // the thread's root when posted as a reply
	ReplyBroadcast bool   // a reply also shown in the channel
	User           string // recipient of an ephemeral message; "" otherwise
	Text           string
	Blocks         json.RawMessage // the JSON array as sent, nil when none was
	Updates        int
}

// Request is one API request as it reached the fake: the method and the
// raw body (form-encoded or JSON), for tests that scan everything sent to
// Slack.
type Request struct {
	Method string
	Body   string
}

// Server is a fake Slack Web API on a local httptest server.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	scopes   string
	channels map[string]bool // known channels: is the bot a member

	messages   map[string][]*Message // by channel, in posting order
	ephemerals map[string][]*Message // by channel
	views      []View
	requests   []Request
	calls      map[string]int
	deleted    []Message
	failures   map[string][]failure
	groups     map[string][]string // user group id → member ids
	seq        int64
}

type failure struct {
	status     int
	retryAfter time.Duration
}

// New starts a fake Slack that knows Token and Channel and stops when the
// test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake Slack outside a test (`tsunagu dev` runs one in its
// process); the caller closes it.
func Start() *Server {
	s := &Server{
		scopes:     DefaultScopes,
		channels:   map[string]bool{Channel: true},
		messages:   map[string][]*Message{},
		ephemerals: map[string][]*Message{},
		calls:      map[string]int{},
		failures:   map[string][]failure{},
		groups:     map[string][]string{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// APIURL is the base URL to give slack.OptionAPIURL; it ends in "/api/"
// like Slack's own.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// AddChannel makes channel known, with the bot in it, so posting to it
// succeeds.
func (s *Server) AddChannel(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[channel] = true
}

// DefaultScopes are the bot token scopes the fake reports unless SetScopes
// says otherwise.
const DefaultScopes = "chat:write,commands,channels:read"

// SetScopes sets the comma-separated scopes sent in X-OAuth-Scopes.
func (s *Server) SetScopes(scopes string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = scopes
}

// SetMember says whether the bot is in a known channel
// (conversations.info's is_member). Posting still works either way, as it
// does in public channels with chat:write.public.
func (s *Server) SetMember(channel string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[channel] = member
}

// SetUserGroup sets the members of a user group (S…), as
// usergroups.users.list answers them.
func (s *Server) SetUserGroup(group string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[group] = append([]string(nil), users...)
}

// FailNext makes the next n calls of method (e.g. "chat.postMessage")
// answer with status instead of being handled. For 429 a positive
// retryAfter is sent as Retry-After in whole seconds, rounded up, which
// slack-go turns into *slack.RateLimitedError; without it slack-go reports a
// slack.StatusCodeError. Failures queue up in the order they are added.
func (s *Server) FailNext(method string, n int, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[method] = append(s.failures[method], failure{status, retryAfter})
	}
}

// ClearFailures drops the failures FailNext queued and not yet served.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.failures)
}

// Calls is how many requests reached method, failed ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Messages returns copies of the channel's messages in posting order, as
// they stand after any updates. Ephemeral messages are not among them.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyMessages(s.messages[channel])
}

// Ephemerals returns copies of the ephemeral messages posted in channel.
func (s *Server) Ephemerals(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyMessages(s.ephemerals[channel])
}

// Views returns the modals opened with views.open, in order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, len(s.views))
	for i, v := range s.views {
		out[i] = v
		out[i].JSON = append(json.RawMessage(nil), v.JSON...)
	}
	return out
}

// Requests returns every request that reached the fake, failed ones
// included, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func copyMessages(ms []*Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = *m
		out[i].Blocks = append(json.RawMessage(nil), m.Blocks...)
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	// Most methods take a form; views.* take JSON (slack-go's
	// postJSONMethod), which ParseForm leaves unread.
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		writeError(w, "invalid_form_data")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := r.ParseForm(); err != nil {
		writeError(w, "invalid_form_data")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: method, Body: string(body)})
	s.calls[method]++
	if q := s.failures[method]; len(q) > 0 {
		s.failures[method] = q[1:]
		writeFailure(w, q[0])
		return
	}
	if e := checkToken(r); e != "" {
		writeError(w, e)
		return
	}
	// Slack sends the token's scopes with every authenticated answer.
	w.Header().Set("X-OAuth-Scopes", s.scopes)

	switch method {
	case "auth.test":
		writeJSON(w, map[string]any{
			"ok": true, "url": "https://tsunagu-test.slack.com/", "team": "tsunagu",
			"user": "tsunagu", "team_id": TeamID, "user_id": BotUserID, "bot_id": BotID,
		})
	case "chat.postMessage":
		s.postMessage(w, r)
	case "chat.update":
		s.update(w, r)
	case "chat.postEphemeral":
		s.postEphemeral(w, r)
	case "chat.delete":
		s.delete(w, r)
	case "conversations.replies":
		s.replies(w, r)
	case "views.open":
		s.openView(w, body)
	case "conversations.info":
		s.conversationInfo(w, r)
	case "usergroups.users.list":
		users, ok := s.groups[r.PostForm.Get("usergroup")]
		if !ok {
			writeError(w, "no_such_subteam")
			return
		}
		writeJSON(w, map[string]any{"ok": true, "users": users})
	default:
		writeError(w, "unknown_method")
	}
}

// checkToken returns Slack's error for a missing or wrong token, "" when
// the token is right. slack-go sends it as a form field for chat.* and as
// a Bearer header for some other methods.
func checkToken(r *http.Request) string {
	token := r.PostForm.Get("token")
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && token == "" {
		token = h
	}
	switch token {
	case "":
		return "not_authed"
	case Token:
		return ""
	default:
		return "invalid_auth"
	}
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	m, e := s.newMessage(r)
	if e != "" {
		writeError(w, e)
		return
	}
	s.messages[m.Channel] = append(s.messages[m.Channel], m)
	writeJSON(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "message": wireMessage(m)})
}

func (s *Server) postEphemeral(w http.ResponseWriter, r *http.Request) {
	m, e := s.newMessage(r)
	if e == "" && m.User == "" {
		e = "user_not_found"
	}
	if e != "" {
		writeError(w, e)
		return
	}
	s.ephemerals[m.Channel] = append(s.ephemerals[m.Channel], m)
	writeJSON(w, map[string]any{"ok": true, "message_ts": m.TS})
}

// newMessage checks a post request the way Slack does and builds the
// message it would record, or returns Slack's error string.
func (s *Server) newMessage(r *http.Request) (*Message, string) {
	f := r.PostForm
	channel := f.Get("channel")
	if _, ok := s.channels[channel]; !ok {
		return nil, "channel_not_found"
	}
	blocks, e := formBlocks(f.Get("blocks"))
	if e != "" {
		return nil, e
	}
	if f.Get("text") == "" && blocks == nil {
		return nil, "no_text"
	}
	s.seq++
	return &Message{
		Channel:        channel,
		TS:             fmt.Sprintf("%d.%06d", 1700000000+s.seq, s.seq),
		ThreadTS:       f.Get("thread_ts"),
		ReplyBroadcast: f.Get("reply_broadcast") == "true",
		User:           f.Get("user"),
		Text:           f.Get("text"),
		Blocks:         blocks,
	}, ""
}

func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	channel, ts := f.Get("channel"), f.Get("ts")
	if _, ok := s.channels[channel]; !ok {
		writeError(w, "channel_not_found")
		return
	}
	var m *Message
	for _, c := range s.messages[channel] {
		if c.TS == ts {
			m = c
		}
	}
	if m == nil {
		writeError(w, "message_not_found")
		return
	}
	blocks, e := formBlocks(f.Get("blocks"))
	if e != "" {
		writeError(w, e)
		return
	}
	// Like Slack, an update changes only what it sends.
	if f.Has("text") {
		m.Text = f.Get("text")
	}
	if blocks != nil {
		m.Blocks = blocks
	}
	m.Updates++
	writeJSON(w, map[string]any{"ok": true, "channel": channel, "ts": ts, "text": m.Text, "message": wireMessage(m)})
}

// formBlocks validates the blocks form field; an absent field is nil.
func formBlocks(v string) (json.RawMessage, string) {
	if v == "" {
		return nil, ""
	}
	if err := validateBlocks([]byte(v)); err != nil {
		return nil, "invalid_blocks"
	}
	return json.RawMessage(v), ""
}

func wireMessage(m *Message) map[string]any {
	msg := map[string]any{"type": "message", "user": BotUserID, "bot_id": BotID, "text": m.Text, "ts": m.TS}
	if m.Blocks != nil {
		msg["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		msg["thread_ts"] = m.ThreadTS
	}
	return msg
}

func writeFailure(w http.ResponseWriter, f failure) {
	if f.status == http.StatusTooManyRequests {
		if f.retryAfter > 0 {
			secs := int64((f.retryAfter + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		fmt.Fprint(w, `{"ok":false,"error":"ratelimited"}`)
		return
	}
	// Slack answers 5xx with an HTML page, which slack-go does not parse.
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(f.status)
	fmt.Fprintf(w, "<html><body>%d %s</body></html>", f.status, http.StatusText(f.status))
}

// writeError answers like Slack does for API errors: 200 with ok false.
func writeError(w http.ResponseWriter, code string) {
	writeJSON(w, map[string]any{"ok": false, "error": code})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// conversationInfo answers conversations.info for a known channel.
func (s *Server) conversationInfo(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("channel")
	member, ok := s.channels[id]
	if !ok {
		writeError(w, "channel_not_found")
		return
	}
	writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{
		"id": id, "name": "tsunagu-alerts", "is_channel": true, "is_member": member,
	}})
}

// delete removes a message, as chat.delete does (replies stay, as in
// Slack, until deleted themselves).
func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	channel, ts := r.PostForm.Get("channel"), r.PostForm.Get("ts")
	if _, ok := s.channels[channel]; !ok {
		writeError(w, "channel_not_found")
		return
	}
	ms := s.messages[channel]
	for i, m := range ms {
		if m.TS == ts {
			s.messages[channel] = append(ms[:i:i], ms[i+1:]...)
			s.deleted = append(s.deleted, *m)
			writeJSON(w, map[string]any{"ok": true, "channel": channel, "ts": ts})
			return
		}
	}
	writeError(w, "message_not_found")
}

// replies lists a thread: its root, then the replies, in posting order
// (conversations.replies, in one page).
func (s *Server) replies(w http.ResponseWriter, r *http.Request) {
	channel, ts := r.PostForm.Get("channel"), r.PostForm.Get("ts")
	if _, ok := s.channels[channel]; !ok {
		writeError(w, "channel_not_found")
		return
	}
	var out []map[string]any
	for _, m := range s.messages[channel] {
		if m.TS == ts || m.ThreadTS == ts {
			out = append(out, wireMessage(m))
		}
	}
	if len(out) == 0 {
		writeError(w, "thread_not_found")
		return
	}
	writeJSON(w, map[string]any{"ok": true, "messages": out, "has_more": false})
}

// Deleted returns the messages deleted with chat.delete, in order.
func (s *Server) Deleted() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.deleted...)
}
