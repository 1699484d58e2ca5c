package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
	"github.com/tsunagu/tsunagu/internal/redistest"
)

// doctorSetup is a deployment for doctor to look at: a private
// redis-server, fake LINE and Slack, and the settings pointing at them.
type doctorSetup struct {
	redis *redistest.Server
	line  *fakeline.Server
	slack *fakeslack.Server
	env   map[string]string
}

func newDoctorSetup(t *testing.T) *doctorSetup {
	t.Helper()
	d := &doctorSetup{redis: redistest.Start(t), line: fakeline.New(t, fakeline.WithChannelToken(lineToken)), slack: fakeslack.New(t)}
	if !d.redis.Real() {
		t.Skip("doctor reads INFO and CONFIG of a real redis-server")
	}
	d.line.SetBotInfo(fakeline.BotInfo{DisplayName: "つなぐ", BasicID: basicID, ChatMode: "bot", MarkAsReadMode: "auto"})
	d.line.SetWebhookEndpoint("https://tsunagu.example.org/line/webhook", true)
	rdb := d.redis.Client()
	for _, kv := range [][2]string{{"appendonly", "yes"}, {"appendfsync", "everysec"}, {"maxmemory-policy", "noeviction"}} {
		if err := rdb.ConfigSet(context.Background(), kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Turning the append-only file on starts a rewrite; a redis-server
	// stopped during one takes seconds to shut down.
	eventually(t, func() bool {
		info := parseInfo(rdb.Info(context.Background(), "persistence").Val())
		return info["aof_rewrite_in_progress"] == "0" && info["aof_rewrite_scheduled"] == "0"
	}, "the AOF rewrite to finish")
	d.env = map[string]string{
		"TSUNAGU_REDIS_URL":            d.redis.URL(),
		"TSUNAGU_FLOWS_DIR":            "testdata/flows",
		"TSUNAGU_LINE_CHANNEL_SECRET":  lineSecret,
		"TSUNAGU_LINE_CHANNEL_TOKEN":   lineToken,
		"TSUNAGU_LINE_API_URL":         d.line.URL,
		"TSUNAGU_LINE_BASIC_ID":        basicID,
		"TSUNAGU_SLACK_BOT_TOKEN":      fakeslack.Token,
		"TSUNAGU_SLACK_SIGNING_SECRET": slackSecret,
		"TSUNAGU_SLACK_CHANNEL":        fakeslack.Channel,
		"TSUNAGU_SLACK_TEAM_ID":        fakeslack.TeamID,
		"TSUNAGU_SLACK_API_URL":        d.slack.APIURL(),
	}
	return d
}

func (d *doctorSetup) run(t *testing.T) (string, int) {
	t.Helper()
	var out bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard, getenv: func(k string) string { return d.env[k] }, clock: tsunagu.SystemClock}
	code := e.run(context.Background(), []string{"doctor"})
	return out.String(), code
}

func TestDoctorAllGood(t *testing.T) {
	d := newDoctorSetup(t)
	out, code := d.run(t)
	if code != exitOK || strings.Contains(out, "✗") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"✓ configuration", "✓ Redis: version", "append-only file", "noeviction", "✓ LINE: token accepted for つなぐ", "✓ LINE: webhook https://", "✓ Slack: token accepted", "✓ Slack: the bot is in", "✓ flows: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDoctorFindsProblems: each broken part of a deployment gets its ✗
// line with what to do, and exit 1.
func TestDoctorFindsProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		brk   func(t *testing.T, d *doctorSetup)
		wants []string
	}{
		{"wrong LINE token", func(t *testing.T, d *doctorSetup) { d.env["TSUNAGU_LINE_CHANNEL_TOKEN"] = "wrong" },
			[]string{"✗ LINE: the channel access token was rejected", "Channel access token"}},
		{"wrong Slack token", func(t *testing.T, d *doctorSetup) { d.env["TSUNAGU_SLACK_BOT_TOKEN"] = "xoxb-wrong" },
			[]string{"✗ Slack: the bot token was rejected (invalid_auth)", "OAuth & Permissions"}},
		{"Redis without persistence", func(t *testing.T, d *doctorSetup) {
			rdb := d.redis.Client()
			rdb.ConfigSet(context.Background(), "appendonly", "no")
			rdb.ConfigSet(context.Background(), "save", "")
		}, []string{"✗ Redis: no persistence", "appendonly yes"}},
		{"Redis that evicts", func(t *testing.T, d *doctorSetup) {
			d.redis.Client().ConfigSet(context.Background(), "maxmemory-policy", "allkeys-lru")
		}, []string{`✗ Redis: maxmemory-policy is "allkeys-lru"`, "noeviction", "LINE redelivers"}},
		{"Redis down", func(t *testing.T, d *doctorSetup) { d.redis.Stop() },
			[]string{"✗ Redis: cannot reach it"}},
		{"bot not in the channel", func(t *testing.T, d *doctorSetup) { d.slack.SetMember(fakeslack.Channel, false) },
			[]string{"✗ Slack: the bot is not in", "/invite"}},
		{"token of another workspace", func(t *testing.T, d *doctorSetup) { d.env["TSUNAGU_SLACK_TEAM_ID"] = "T0OTHER" },
			[]string{"✗ Slack: the token is for workspace T0TSUNAGU, but TSUNAGU_SLACK_TEAM_ID is T0OTHER"}},
		{"missing scope", func(t *testing.T, d *doctorSetup) { d.slack.SetScopes("chat:write,channels:read") },
			[]string{"✗ Slack: the token lacks the commands scope"}},
		{"no webhook", func(t *testing.T, d *doctorSetup) { d.line.SetWebhookEndpoint("", false) },
			[]string{"✗ LINE: no webhook URL is set"}},
		{"webhook off", func(t *testing.T, d *doctorSetup) { d.line.SetWebhookEndpoint("https://x.example/line/webhook", false) },
			[]string{"Use webhook is off"}},
		{"basic id of another bot", func(t *testing.T, d *doctorSetup) { d.env["TSUNAGU_LINE_BASIC_ID"] = "@other" },
			[]string{"✗ LINE: TSUNAGU_LINE_BASIC_ID is @other"}},
		{"missing settings", func(t *testing.T, d *doctorSetup) {
			delete(d.env, "TSUNAGU_LINE_CHANNEL_SECRET")
			delete(d.env, "TSUNAGU_SLACK_SIGNING_SECRET")
		}, []string{"✗ configuration: TSUNAGU_LINE_CHANNEL_SECRET and TSUNAGU_SLACK_SIGNING_SECRET are required"}},
		{"broken flows", func(t *testing.T, d *doctorSetup) { d.env["TSUNAGU_FLOWS_DIR"] = "testdata/no-such-dir" },
			[]string{"✗ flows"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDoctorSetup(t)
			tc.brk(t, d)
			out, code := d.run(t)
			if code != exitFail {
				t.Errorf("exit %d, want 1", code)
			}
			for _, want := range tc.wants {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			for _, secret := range []string{lineSecret, slackSecret, lineToken, fakeslack.Token} {
				if strings.Contains(out, secret) {
					t.Errorf("output shows a secret:\n%s", out)
				}
			}
		})
	}
}

// TestReadyzRejectedToken: a token LINE or Slack rejects makes /readyz
// answer 503 (checked in the background, not per request).
func TestReadyzRejectedToken(t *testing.T) {
	for _, tc := range []struct{ name, key, value, want string }{
		{"slack", "TSUNAGU_SLACK_BOT_TOKEN", "xoxb-revoked", "Slack rejected"},
		{"line", "TSUNAGU_LINE_CHANNEL_TOKEN", "revoked", "LINE rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "", withEnv(tc.key, tc.value))
			eventually(t, func() bool {
				res, err := http.Get(h.url + "/readyz")
				if err != nil {
					return false
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				return res.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(body), tc.want)
			}, "/readyz to report the rejected token")
		})
	}
	h := newHarness(t, "")
	eventually(t, func() bool {
		res, err := http.Get(h.url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, "/readyz to be ready with good tokens")
}
