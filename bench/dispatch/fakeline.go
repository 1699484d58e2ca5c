package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf16"

	"golang.org/x/time/rate"
)

// fakeLINE is a light stand-in for the Messaging API, made to stay small at
// 100,000 pushes: unlike internal/fakeline it keeps no messages, only which
// retry keys it accepted and how many pushes each recipient got. It is still
// honest about the wire: it checks the channel token, the retry key header
// and the JSON body as LINE would, refuses a reused retry key with 409, and
// answers 429 with Retry-After beyond its rate limit. It also stands in for
// Slack's Web API (under /slack/api/), answering ok to anything.
type fakeLINE struct {
	token string
	lim   *rate.Limiter
	want  int // distinct retry keys that complete the delivery

	mu         sync.Mutex
	keys       map[string]struct{}
	recipients map[string]int32
	twice      int // recipients that got more than one accepted push
	first      time.Time
	last       time.Time
	done       chan struct{} // closed when want keys are accepted
	doneAt     time.Time
	badSamples []string

	conflicts  atomic.Int64 // 409: a retry key accepted before
	limited    atomic.Int64 // 429: beyond the rate limit
	bad        atomic.Int64 // 4xx for a malformed request
	quotaCalls atomic.Int64
	slackCalls atomic.Int64
	other      atomic.Int64 // requests to anything else
	conns      atomic.Int64 // TCP connections opened by clients

	srv *http.Server
	ln  net.Listener
}

func newFakeLINE(token string, perSecond float64, want int) *fakeLINE {
	// A bucket of a tenth of a second's worth: LINE states its limit per
	// second and does not document a burst, so the fake allows little.
	burst := max(1, int(perSecond/10))
	return &fakeLINE{
		token:      token,
		lim:        rate.NewLimiter(rate.Limit(perSecond), burst),
		want:       want,
		keys:       make(map[string]struct{}, want),
		recipients: make(map[string]int32, want),
		done:       make(chan struct{}),
	}
}

func (f *fakeLINE) start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/bot/message/push", f.push)
	mux.HandleFunc("GET /v2/bot/message/quota", f.quota)
	mux.HandleFunc("GET /v2/bot/message/quota/consumption", f.consumption)
	mux.HandleFunc("GET /v2/bot/info", f.botInfo)
	mux.HandleFunc("/slack/api/", f.slack)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.other.Add(1)
		f.sample(fmt.Sprintf("unexpected %s %s", r.Method, r.URL.Path))
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not found"})
	})
	f.ln = ln
	f.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				f.conns.Add(1)
			}
		},
	}
	go func() { _ = f.srv.Serve(ln) }()
	return nil
}

func (f *fakeLINE) URL() string      { return "http://" + f.ln.Addr().String() }
func (f *fakeLINE) SlackURL() string { return f.URL() + "/slack/api/" }
func (f *fakeLINE) close()           { _ = f.srv.Close() }

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// lineUserRE is the form of a LINE user id: U and 32 hex digits.
var lineUserRE = regexp.MustCompile(`^U[0-9a-f]{32}$`)

type wirePush struct {
	To       string `json:"to"`
	Messages []struct {
		Type       string `json:"type"`
		Text       string `json:"text"`
		QuickReply *struct {
			Items []struct {
				Type   string `json:"type"`
				Action struct {
					Type  string `json:"type"`
					Label string `json:"label"`
				} `json:"action"`
			} `json:"items"`
		} `json:"quickReply"`
	} `json:"messages"`
}

func (f *fakeLINE) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.bad.Add(1)
		f.sample("bad or missing channel access token")
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authentication failed due to the following reason: invalid token."})
		return false
	}
	return true
}

func (f *fakeLINE) push(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	if !f.lim.Allow() {
		f.limited.Add(1)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Requests"})
		return
	}
	key := r.Header.Get("X-Line-Retry-Key")
	if !uuidRE.MatchString(key) {
		f.refuse(w, "The value for the 'X-Line-Retry-Key' header is invalid")
		return
	}
	var req wirePush
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		f.refuse(w, "The request body could not be parsed as JSON")
		return
	}
	if problem := checkPush(&req); problem != "" {
		f.refuse(w, problem)
		return
	}
	f.mu.Lock()
	if _, ok := f.keys[key]; ok {
		f.mu.Unlock()
		f.conflicts.Add(1)
		writeJSON(w, http.StatusConflict, map[string]string{"message": "The retry key is already accepted"})
		return
	}
	now := time.Now()
	f.keys[key] = struct{}{}
	f.recipients[req.To]++
	if f.recipients[req.To] == 2 {
		f.twice++
	}
	if f.first.IsZero() {
		f.first = now
	}
	f.last = now
	if len(f.keys) == f.want {
		f.doneAt = now
		close(f.done)
	}
	f.mu.Unlock()
	w.Header().Set("X-Line-Request-Id", key)
	sent := make([]map[string]string, len(req.Messages))
	for i := range sent {
		sent[i] = map[string]string{"id": fmt.Sprint(now.UnixNano() + int64(i))}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sentMessages": sent})
}

// checkPush checks what LINE checks of a push body; "" when it is fine.
func checkPush(req *wirePush) string {
	if !lineUserRE.MatchString(req.To) {
		return "to: not a LINE user id"
	}
	if n := len(req.Messages); n < 1 || n > 5 {
		return "messages: size must be between 1 and 5"
	}
	for _, m := range req.Messages {
		if m.Type != "text" {
			return "messages: the benchmark's flow sends text only, got " + m.Type
		}
		if n := len(utf16.Encode([]rune(m.Text))); n < 1 || n > 5000 {
			return "text: length must be between 1 and 5000"
		}
		if m.QuickReply != nil {
			if n := len(m.QuickReply.Items); n < 1 || n > 13 {
				return "quickReply.items: size must be between 1 and 13"
			}
			for _, it := range m.QuickReply.Items {
				if it.Type != "action" || it.Action.Label == "" || len([]rune(it.Action.Label)) > 20 {
					return "quickReply.items: bad item"
				}
			}
		}
	}
	return ""
}

func (f *fakeLINE) refuse(w http.ResponseWriter, msg string) {
	f.bad.Add(1)
	f.sample(msg)
	writeJSON(w, http.StatusBadRequest, map[string]string{"message": msg})
}

func (f *fakeLINE) sample(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.badSamples) < 5 {
		f.badSamples = append(f.badSamples, msg)
	}
}

func (f *fakeLINE) quota(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.quotaCalls.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{"type": "none"})
}

func (f *fakeLINE) consumption(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.quotaCalls.Add(1)
	f.mu.Lock()
	n := len(f.keys)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"totalUsage": n})
}

// slack answers any Web API method ok; alerts are not expected, only counted.
// botInfo answers serve's background check that LINE accepts the token
// (for /readyz).
func (f *fakeLINE) botInfo(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"userId": "U0bench", "basicId": "@bench", "displayName": "bench", "chatMode": "bot", "markAsReadMode": "auto"})
}

func (f *fakeLINE) slack(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/auth.test") {
		// serve's background check that Slack accepts the token (for
		// /readyz): not a post, so not counted as one.
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "user": "bench", "team": "bench", "user_id": "U0BENCH"})
		return
	}
	f.slackCalls.Add(1)
	f.sample("slack " + strings.TrimPrefix(r.URL.Path, "/slack/api/"))
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": "C0BENCH", "ts": "1700000000.000100"})
}

// counts is a snapshot of what the fake saw.
type counts struct {
	Distinct, Twice                int
	Conflicts, Limited, Bad, Other int64
	QuotaCalls, SlackCalls, Conns  int64
	First, Last, DoneAt            time.Time
	Samples                        []string
}

func (f *fakeLINE) counts() counts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return counts{
		Distinct: len(f.keys), Twice: f.twice,
		Conflicts: f.conflicts.Load(), Limited: f.limited.Load(), Bad: f.bad.Load(), Other: f.other.Load(),
		QuotaCalls: f.quotaCalls.Load(), SlackCalls: f.slackCalls.Load(), Conns: f.conns.Load(),
		First: f.first, Last: f.last, DoneAt: f.doneAt,
		Samples: append([]string(nil), f.badSamples...),
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
