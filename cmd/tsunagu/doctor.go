package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	goslack "github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/flows"
)

// doctorCheck is one line of `tsunagu doctor`: what was checked, and when
// it is wrong, what to do in plain words.
type doctorCheck struct {
	ok   bool
	what string
	fix  string
}

// doctor checks a deployment from the outside in, printing every check,
// and exits 1 if any failed.
func (e *env) doctor(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("doctor")
	if pos, err := parse(fs, args); err != nil || len(pos) > 0 {
		fmt.Fprintln(e.stderr, "usage: tsunagu doctor [--config FILE]")
		return exitUsage
	}
	c, err := config.Load(*cfgPath, *cfgPath != "", e.getenv)
	if err != nil {
		e.printChecks([]doctorCheck{{what: "configuration: " + err.Error(), fix: "correct that setting (see tsunagu.example.yaml)"}})
		return exitFail
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	checks := doctorChecks(ctx, &c, hc)
	e.printChecks(checks)
	if slices.ContainsFunc(checks, func(c doctorCheck) bool { return !c.ok }) {
		return exitFail
	}
	return exitOK
}

// doctorChecks runs every check that the configuration allows.
func doctorChecks(ctx context.Context, c *config.Config, hc *http.Client) []doctorCheck {
	var out []doctorCheck
	if err := c.CheckServe(); err != nil {
		out = append(out, doctorCheck{what: "configuration: " + err.Error(), fix: "set them; tsunagu.example.yaml lists every setting"})
	} else {
		out = append(out, doctorCheck{ok: true, what: "configuration: every setting serve needs is set"})
	}
	out = append(out, redisChecks(ctx, c)...)
	if c.LINE.ChannelToken != "" {
		out = append(out, lineChecks(c, hc)...)
	}
	if c.Slack.BotToken != "" {
		out = append(out, slackChecks(ctx, c, hc)...)
	}
	return append(out, flowCheck(c))
}

func (e *env) printChecks(checks []doctorCheck) {
	bad := 0
	for _, c := range checks {
		if c.ok {
			fmt.Fprintf(e.stdout, "✓ %s\n", c.what)
			continue
		}
		bad++
		fmt.Fprintf(e.stdout, "✗ %s\n", c.what)
		if c.fix != "" {
			fmt.Fprintf(e.stdout, "    → %s\n", c.fix)
		}
	}
	if bad == 0 {
		fmt.Fprintln(e.stdout, "\nAll good.")
	} else {
		fmt.Fprintf(e.stdout, "\n%d problem(s) to fix.\n", bad)
	}
}

// redisChecks reads Redis's version, persistence and memory policy from
// INFO (which managed services keep even when they hide CONFIG).
func redisChecks(ctx context.Context, c *config.Config) []doctorCheck {
	opt, err := redis.ParseURL(c.RedisURL)
	if err != nil {
		return []doctorCheck{{what: "Redis: TSUNAGU_REDIS_URL: " + err.Error(), fix: "write it as redis://HOST:6379/0, rediss://… or unix:///path/redis.sock"}}
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	raw, err := rdb.Info(ctx, "server", "persistence", "memory").Result()
	if err != nil {
		return []doctorCheck{{what: "Redis: cannot reach it at TSUNAGU_REDIS_URL: " + err.Error(), fix: "start Redis, or correct TSUNAGU_REDIS_URL (host, port, password, TLS)"}}
	}
	info := parseInfo(raw)
	out := []doctorCheck{redisVersion(info["redis_version"])}
	out = append(out, redisPersistence(ctx, rdb, info))
	if p := info["maxmemory_policy"]; p == "noeviction" {
		out = append(out, doctorCheck{ok: true, what: "Redis: maxmemory-policy noeviction"})
	} else {
		out = append(out, doctorCheck{
			what: fmt.Sprintf("Redis: maxmemory-policy is %q; tsunagu needs noeviction", p),
			fix: "set maxmemory-policy noeviction. With any other policy a full Redis silently deletes keys — " +
				"sessions, queued messages, the record of events already handled — so answers are lost and " +
				"check-ins sent twice. With noeviction a full Redis refuses writes instead; tsunagu then answers " +
				"LINE with 503 and LINE redelivers, so nothing is lost. Give Redis enough memory (see /metrics)",
		})
	}
	return out
}

func parseInfo(raw string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(raw, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && !strings.HasPrefix(k, "#") {
			out[k] = v
		}
	}
	return out
}

// redisVersion wants 6.2 or later: the outbox claims abandoned work with
// XAUTOCLAIM, new in 6.2.
func redisVersion(v string) doctorCheck {
	parts := strings.SplitN(v, ".", 3)
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	if major > 6 || (major == 6 && minor >= 2) {
		return doctorCheck{ok: true, what: "Redis: version " + v}
	}
	return doctorCheck{what: fmt.Sprintf("Redis: version %q is too old", v), fix: "use Redis 6.2 or later (tsunagu needs XAUTOCLAIM); Debian 12's redis-server is 7.0"}
}

// redisPersistence wants the append-only file: with snapshots only, a
// crash loses the last minutes of answers that were already acknowledged.
func redisPersistence(ctx context.Context, rdb *redis.Client, info map[string]string) doctorCheck {
	if info["aof_enabled"] == "1" {
		fsync := "everysec"
		if v, err := rdb.ConfigGet(ctx, "appendfsync").Result(); err == nil && v["appendfsync"] != "" {
			fsync = v["appendfsync"]
		}
		if fsync == "no" {
			return doctorCheck{what: "Redis: append-only file on, but appendfsync no", fix: "set appendfsync everysec, so at most a second of writes is lost in a crash"}
		}
		return doctorCheck{ok: true, what: "Redis: persistence on (append-only file, appendfsync " + fsync + ")"}
	}
	fix := "set appendonly yes and appendfsync everysec (compose.yaml does), and back up the data directory"
	save, err := rdb.ConfigGet(ctx, "save").Result()
	switch {
	case err != nil:
		return doctorCheck{what: "Redis: append-only file off, and its snapshot settings cannot be read", fix: fix}
	case strings.TrimSpace(save["save"]) == "":
		return doctorCheck{what: "Redis: no persistence: a restart of Redis loses every family, session and alert", fix: fix}
	}
	return doctorCheck{what: "Redis: snapshots only (save " + save["save"] + "): a crash loses the answers since the last one", fix: fix}
}

// lineChecks asks LINE for the bot behind the token and the webhook URL
// set in the console.
func lineChecks(c *config.Config, hc *http.Client) []doctorCheck {
	info, status, err := lineBotInfo(c, hc)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return []doctorCheck{{what: "LINE: the channel access token was rejected",
			fix: "issue a long-lived token in the LINE Developers console (your channel → Messaging API → Channel access token) and set TSUNAGU_LINE_CHANNEL_TOKEN"}}
	case err != nil:
		return []doctorCheck{{what: "LINE: cannot ask for the bot's profile: " + err.Error(), fix: "check that this machine reaches api.line.me (or TSUNAGU_LINE_API_URL)"}}
	}
	out := []doctorCheck{{ok: true, what: fmt.Sprintf("LINE: token accepted for %s (%s)", info.DisplayName, info.BasicId)}}
	if c.LINE.BasicID != "" && !strings.EqualFold(c.LINE.BasicID, info.BasicId) {
		out = append(out, doctorCheck{what: fmt.Sprintf("LINE: TSUNAGU_LINE_BASIC_ID is %s but the token is %s's", c.LINE.BasicID, info.BasicId),
			fix: "set TSUNAGU_LINE_BASIC_ID to " + info.BasicId + ", or the token of that account: invite links would open the wrong bot"})
	}
	api, err := lineAPI(c, hc)
	if err != nil {
		return out
	}
	hook, err := api.GetWebhookEndpoint()
	switch {
	case err != nil || hook.Endpoint == "":
		out = append(out, doctorCheck{what: "LINE: no webhook URL is set",
			fix: "LINE Developers console → Messaging API → Webhook URL: https://YOUR-HOST/line/webhook, then turn on Use webhook"})
	case !hook.Active:
		out = append(out, doctorCheck{what: "LINE: webhook URL " + hook.Endpoint + " is set but Use webhook is off", fix: "turn on Use webhook in the LINE Developers console (Messaging API tab)"})
	case !strings.HasSuffix(strings.TrimRight(hook.Endpoint, "/"), "/line/webhook"):
		out = append(out, doctorCheck{what: "LINE: webhook URL " + hook.Endpoint + " does not end in /line/webhook", fix: "set it to https://YOUR-HOST/line/webhook"})
	case !strings.HasPrefix(hook.Endpoint, "https://"):
		out = append(out, doctorCheck{what: "LINE: webhook URL " + hook.Endpoint + " is not https", fix: "LINE only calls https URLs: put a reverse proxy with a certificate in front (see README, Running in production)"})
	default:
		out = append(out, doctorCheck{ok: true, what: "LINE: webhook " + hook.Endpoint + " (on)"})
	}
	return out
}

// slackNeeds are the bot token scopes tsunagu uses, and why.
var slackNeeds = []struct{ scope, why string }{
	{"chat:write", "post and update alerts"},
	{"commands", "the /tsunagu command"},
}

// slackChecks checks the token, its scopes and each channel alerts go to.
func slackChecks(ctx context.Context, c *config.Config, hc *http.Client) []doctorCheck {
	auth, scopes, err := slackAuth(ctx, c, hc)
	switch {
	case slackRejected(err):
		return []doctorCheck{{what: "Slack: the bot token was rejected (" + err.Error() + ")",
			fix: "api.slack.com → your app → OAuth & Permissions → Bot User OAuth Token (xoxb-…) → TSUNAGU_SLACK_BOT_TOKEN; reinstall the app if it was revoked"}}
	case err != nil:
		return []doctorCheck{{what: "Slack: cannot call auth.test: " + err.Error(), fix: "check that this machine reaches slack.com (or TSUNAGU_SLACK_API_URL)"}}
	}
	out := []doctorCheck{{ok: true, what: fmt.Sprintf("Slack: token accepted for @%s in %s", auth.User, auth.Team)}}
	if c.Slack.TeamID != "" && auth.TeamID != c.Slack.TeamID {
		out = append(out, doctorCheck{what: fmt.Sprintf("Slack: the token is for workspace %s, but TSUNAGU_SLACK_TEAM_ID is %s", auth.TeamID, c.Slack.TeamID),
			fix: "set TSUNAGU_SLACK_TEAM_ID to " + auth.TeamID + ", or use that workspace's token: requests from any other workspace are refused"})
	}
	for _, n := range slackNeeds {
		if !slices.Contains(scopes, n.scope) {
			out = append(out, doctorCheck{what: "Slack: the token lacks the " + n.scope + " scope (" + n.why + ")",
				fix: "api.slack.com → your app → OAuth & Permissions → Bot Token Scopes: add " + n.scope + ", then reinstall the app"})
		}
	}
	if !slices.ContainsFunc(out, func(c doctorCheck) bool { return !c.ok }) {
		out = append(out, doctorCheck{ok: true, what: "Slack: scopes " + strings.Join(scopes, ", ")})
	}
	channels := []string{c.Slack.Channel}
	for _, r := range c.Slack.Routes {
		if !slices.Contains(channels, r.Channel) {
			channels = append(channels, r.Channel)
		}
	}
	for _, o := range c.Organisations {
		if !slices.Contains(channels, o.Channel) {
			channels = append(channels, o.Channel)
		}
	}
	api := slackAPI(c, hc)
	public := slices.Contains(scopes, "chat:write.public")
	for _, ch := range channels {
		if ch != "" {
			out = append(out, slackChannelCheck(ctx, api, ch, public))
		}
	}
	return out
}

func slackChannelCheck(ctx context.Context, api *goslack.Client, id string, public bool) doctorCheck {
	info, err := api.GetConversationInfoContext(ctx, &goslack.GetConversationInfoInput{ChannelID: id})
	var se goslack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && se.Err == "missing_scope", err != nil && err.Error() == "missing_scope":
		return doctorCheck{what: "Slack: cannot see channel " + id + " (no channels:read scope)",
			fix: "add the channels:read scope (groups:read for a private channel) so doctor can check it, or check by hand that the bot is in it"}
	case err != nil && strings.Contains(err.Error(), "channel_not_found"):
		return doctorCheck{what: "Slack: channel " + id + " not found", fix: "use the channel id (channel details → bottom, C…), not its name; for a private channel, invite the bot first"}
	case err != nil:
		return doctorCheck{what: "Slack: conversations.info " + id + ": " + err.Error(), fix: "check the channel id"}
	case info.IsMember:
		return doctorCheck{ok: true, what: "Slack: the bot is in #" + info.Name + " (" + id + ")"}
	case public && !info.IsPrivate:
		return doctorCheck{ok: true, what: "Slack: the bot is not in #" + info.Name + " but may post there (chat:write.public)"}
	}
	return doctorCheck{what: "Slack: the bot is not in #" + info.Name + " (" + id + ")", fix: "invite it: type /invite @your-app in #" + info.Name}
}

// flowCheck loads the flows as serve would.
func flowCheck(c *config.Config) doctorCheck {
	loaded, diags := flows.LoadPaths(flows.Options{Lang: c.Lang}, c.FlowsDir)
	if diags.HasErrors() {
		return doctorCheck{what: fmt.Sprintf("flows: %d error(s) in %s", countErrors(diags), c.FlowsDir), fix: "run `tsunagu validate " + c.FlowsDir + "` and fix what it says"}
	}
	if len(loaded) == 0 {
		return doctorCheck{what: "flows: none in " + c.FlowsDir, fix: "copy examples/flows/ there, or set TSUNAGU_FLOWS_DIR"}
	}
	return doctorCheck{ok: true, what: fmt.Sprintf("flows: %d in %s", len(loaded), c.FlowsDir)}
}
