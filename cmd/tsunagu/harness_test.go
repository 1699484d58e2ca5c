package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot/delivery"
	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/internal/clocktest"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
	"github.com/tsunagu/tsunagu/internal/redistest"
)

const (
	lineSecret  = "line-channel-secret-for-tests"
	lineToken   = "line-channel-token-for-tests"
	slackSecret = "slack-signing-secret-for-tests"
	basicID     = "@tsunagu-test"
)

// harness is the whole service on 127.0.0.1:0 with a private redis-server
// and fake LINE and Slack servers, driven from outside as LINE, Slack and a
// coordinator would.
type harness struct {
	t     *testing.T
	redis *redistest.Server
	line  *fakeline.Server
	slack *fakeslack.Server
	main  *Main
	url   string
	env   map[string]string
	logs  *syncWriter
	clock tsunagu.Clock
	extra [][2]string

	redisURL string // when set, the Redis to use instead of a private one (Sentinel)

	cursor map[string]int // per user: messages already read by next
	yaml   string
}

// harnessOption shares parts between harnesses (replicas) or changes them.
type harnessOption func(*harness)

// replicaOf makes a second service on the first one's Redis, LINE and Slack.
func replicaOf(first *harness) harnessOption {
	return func(h *harness) {
		h.redis, h.redisURL, h.line, h.slack = first.redis, first.redisURL, first.line, first.slack
	}
}

// withRedisURL runs the service on this Redis (a Sentinel set, say)
// instead of a private redis-server.
func withRedisURL(u string) harnessOption { return func(h *harness) { h.redisURL = u } }

// withClock runs the service on a clock the test moves.
func withClock(c tsunagu.Clock) harnessOption { return func(h *harness) { h.clock = c } }

// withYAML runs the service with this configuration file (under the
// environment, which still wins).
func withYAML(body string) harnessOption { return func(h *harness) { h.yaml = body } }

// withEnv sets configuration.
func withEnv(k, v string) harnessOption {
	return func(h *harness) { h.extra = append(h.extra, [2]string{k, v}) }
}

func newHarness(t *testing.T, flowsDir string, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, logs: &syncWriter{w: &bytes.Buffer{}}, clock: tsunagu.SystemClock, cursor: map[string]int{}}
	for _, o := range opts {
		o(h)
	}
	if h.line == nil {
		if h.redisURL == "" {
			h.redis = redistest.Start(t)
			h.redisURL = h.redis.URL()
		}
		h.line = fakeline.New(t, fakeline.WithChannelToken(lineToken))
		h.slack = fakeslack.New(t)
	}
	if flowsDir == "" {
		flowsDir = "testdata/flows"
	}
	h.env = map[string]string{
		"TSUNAGU_LISTEN":               "127.0.0.1:0",
		"TSUNAGU_REDIS_URL":            h.redisURL,
		"TSUNAGU_FLOWS_DIR":            flowsDir,
		"TSUNAGU_LINE_CHANNEL_SECRET":  lineSecret,
		"TSUNAGU_LINE_CHANNEL_TOKEN":   lineToken,
		"TSUNAGU_LINE_API_URL":         h.line.URL,
		"TSUNAGU_LINE_BASIC_ID":        basicID,
		"TSUNAGU_SLACK_BOT_TOKEN":      fakeslack.Token,
		"TSUNAGU_SLACK_SIGNING_SECRET": slackSecret,
		"TSUNAGU_SLACK_CHANNEL":        fakeslack.Channel,
		"TSUNAGU_SLACK_TEAM_ID":        fakeslack.TeamID,
		"TSUNAGU_SLACK_API_URL":        h.slack.APIURL(),
		"TSUNAGU_QUIET_HOURS":          "off",
		// Most tests count Slack messages one per alert; TestCoalescing
		// turns this on.
		"TSUNAGU_COALESCE": "off",
	}
	for _, kv := range h.extra {
		h.env[kv[0]] = kv[1]
	}
	t.Chdir(".") // no tsunagu.yaml is read from the package directory
	cfgPath := ""
	if h.yaml != "" {
		cfgPath = filepath.Join(t.TempDir(), "tsunagu.yaml")
		if err := os.WriteFile(cfgPath, []byte(h.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := config.Load(cfgPath, cfgPath != "", h.getenv)
	if err != nil {
		t.Fatal(err)
	}
	h.main = &Main{
		Config:         c,
		Clock:          h.clock,
		TickEvery:      10 * time.Millisecond,
		SlackPerSecond: 50,
		Log:            slog.New(slog.NewJSONHandler(h.logs, nil)),
		TakeOver:       500 * time.Millisecond,
		Backoff:        delivery.Backoff{Base: 10 * time.Millisecond, Max: 100 * time.Millisecond, Tries: 3, MaxJobs: 10},
	}
	if err := h.main.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.main.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			t.Logf("service log:\n%s", h.logs.String())
		}
	})
	h.url = "http://" + h.main.Addr()
	return h
}

func (h *harness) getenv(k string) string { return h.env[k] }

// cli runs a tsunagu command in-process against the same Redis.
func (h *harness) cli(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	clock := h.clock
	if clock == nil {
		clock = tsunagu.SystemClock
	}
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: h.getenv, clock: clock}
	code = e.run(context.Background(), args)
	return out.String(), errb.String(), code
}

func (h *harness) mustCLI(args ...string) string {
	h.t.Helper()
	out, errs, code := h.cli(args...)
	if code != 0 {
		h.t.Fatalf("tsunagu %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// deliver posts a signed webhook with the events and returns the status.
func (h *harness) deliver(events ...fakeline.Event) int {
	h.t.Helper()
	res := h.line.Deliver(h.t, h.url+"/line/webhook", lineSecret, events...)
	return res.StatusCode
}

func (h *harness) mustDeliver(events ...fakeline.Event) {
	h.t.Helper()
	if code := h.deliver(events...); code != http.StatusOK {
		h.t.Fatalf("webhook answered %d, want 200", code)
	}
}

// roster imports a roster with the given lines under the header.
func (h *harness) roster(lines ...string) {
	h.t.Helper()
	p := filepath.Join(h.t.TempDir(), "roster.csv")
	body := "code,tags,supporter\n" + strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.mustCLI("families", "import", p)
}

// enrol makes an invite for the family and role and has a new LINE user
// follow the bot and send the code; it returns the user id.
func (h *harness) enrol(family string, role tsunagu.Role) string {
	h.t.Helper()
	var inv inviteOut
	if err := json.Unmarshal([]byte(h.mustCLI("invite", family, "--role", string(role), "--json")), &inv); err != nil {
		h.t.Fatal(err)
	}
	user := fakeline.NewUserID()
	h.mustDeliver(h.line.Follow(user))
	h.mustDeliver(h.line.Text(user, inv.Code))
	h.waitText(user, "登録できました")
	return user
}

// received returns everything the user has been sent, in order.
func (h *harness) received(user string) []fakeline.Msg { return h.line.Delivered(user) }

// waitText waits until the user has received a message containing want and
// returns the latest such message.
func (h *harness) waitText(user, want string) fakeline.Msg {
	h.t.Helper()
	var got fakeline.Msg
	eventually(h.t, func() bool {
		ms := h.received(user)
		for i := len(ms) - 1; i >= 0; i-- {
			if strings.Contains(ms[i].Text, want) {
				got = ms[i]
				return true
			}
		}
		return false
	}, "user to receive %q; got %v", want, texts(h.received(user)))
	return got
}

// next waits for the next message to the user, after those next already
// returned, that contains want, and returns it. It reads the conversation
// in order, so an older message with the same words never answers for a
// newer one.
func (h *harness) next(user, want string) fakeline.Msg {
	h.t.Helper()
	var got fakeline.Msg
	eventually(h.t, func() bool {
		ms := h.received(user)
		for i := h.cursor[user]; i < len(ms); i++ {
			if strings.Contains(ms[i].Text, want) {
				got, h.cursor[user] = ms[i], i+1
				return true
			}
		}
		return false
	}, "user to receive %q after message %d; got %v", want, h.cursor[user], texts(h.received(user)))
	return got
}

// waitCount waits until the user has received n messages.
func (h *harness) waitCount(user string, n int) []fakeline.Msg {
	h.t.Helper()
	eventually(h.t, func() bool { return len(h.received(user)) >= n },
		"user to receive %d messages; got %v", n, texts(h.received(user)))
	return h.received(user)
}

// slackMessages waits until the channel has n messages and returns them.
func (h *harness) slackMessages(n int) []fakeslack.Message {
	h.t.Helper()
	eventually(h.t, func() bool { return len(h.slack.Messages(fakeslack.Channel)) >= n },
		"%d Slack messages; got %d", n, len(h.slack.Messages(fakeslack.Channel)))
	return h.slack.Messages(fakeslack.Channel)
}

// click sends a signed Slack button click.
func (h *harness) click(c fakeslack.Click, at time.Time) *http.Response {
	h.t.Helper()
	req := fakeslack.SignedRequest(h.url+"/slack/interactions", slackSecret, fakeslack.BlockActionForm(c), at)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func texts(ms []fakeline.Msg) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

func labels(m fakeline.Msg) []string {
	var out []string
	for _, q := range m.QuickReplies {
		out = append(out, q.Label)
	}
	return out
}

func dataFor(t *testing.T, m fakeline.Msg, label string) string {
	t.Helper()
	i := slices.IndexFunc(m.QuickReplies, func(q fakeline.QuickReply) bool { return q.Label == label })
	if i < 0 {
		t.Fatalf("no quick reply %q in %v", label, labels(m))
	}
	return m.QuickReplies[i].Data
}

// eventually polls cond until it holds or 10 s pass. Delivery is
// asynchronous (the outbox), so tests wait for its effect, not for a time.
func eventually(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for "+format, args...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncWriter makes a buffer safe for the logger's concurrent writes.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.w)
}

func newTestClock(t time.Time) *clocktest.Clock { return clocktest.New(t) }
