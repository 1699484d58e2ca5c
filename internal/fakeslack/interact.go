package fakeslack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// SignedRequest builds a POST of form to target signed the way Slack signs
// requests to apps: X-Slack-Signature = "v0=" + hex(HMAC-SHA256(secret,
// "v0:{timestamp}:{body}")) with the timestamp of at. The request works both
// with a handler's ServeHTTP and with an http.Client. It panics on a
// malformed target, which is a bug in the test.
func SignedRequest(target, signingSecret string, form url.Values, at time.Time) *http.Request {
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		panic("fakeslack: " + err.Error())
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign(signingSecret, ts, []byte(body)))
	return req
}

// Sign returns the X-Slack-Signature value for body sent at timestamp ts
// (Unix seconds as a decimal string).
func Sign(signingSecret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(signingSecret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// actionSeq makes each click and command unlike any other, as Slack's
// action_ts and trigger_id do: otherwise two clicks in one second would be
// one signed request, which the service takes once (a replay).
var actionSeq atomic.Int64

func nextActionTS() string { return fmt.Sprintf("1700000000.%06d", actionSeq.Add(1)) }

// ClickTriggerID is the trigger_id of every click BlockActionForm builds;
// views.open must be called with it to open a modal.
const ClickTriggerID = "1700000000.1.fake"

// Click describes a button click in a channel message, the block_actions
// interaction Slack sends when a supporter presses a button.
type Click struct {
	UserID    string // the supporter, e.g. "U0SUPPORT"
	UserName  string
	ChannelID string // defaults to Channel
	MessageTS string // ts of the message the button is on
	ActionID  string
	BlockID   string
	Value     string
	Type      string // the interaction type; defaults to "block_actions"
	TeamID    string // the workspace; defaults to TeamID
}

// BlockActionForm returns the form Slack posts for c: a single "payload"
// field holding the interaction as JSON, shaped like Slack's
// (docs.slack.dev/reference/interaction-payloads/block_actions-payload).
func BlockActionForm(c Click) url.Values {
	if c.ChannelID == "" {
		c.ChannelID = Channel
	}
	if c.Type == "" {
		c.Type = "block_actions"
	}
	if c.UserName == "" {
		c.UserName = "supporter"
	}
	if c.TeamID == "" {
		c.TeamID = TeamID
	}
	payload := map[string]any{
		"type":       c.Type,
		"api_app_id": "A0TSUNAGU",
		"token":      "verification-token-unused",
		"trigger_id": ClickTriggerID,
		"team":       map[string]any{"id": c.TeamID, "domain": "tsunagu-test"},
		"user":       map[string]any{"id": c.UserID, "username": c.UserName, "name": c.UserName, "team_id": c.TeamID},
		"channel":    map[string]any{"id": c.ChannelID, "name": "tsunagu-alerts"},
		"container": map[string]any{
			"type": "message", "message_ts": c.MessageTS, "channel_id": c.ChannelID, "is_ephemeral": false,
		},
		"message": map[string]any{
			"type": "message", "ts": c.MessageTS, "user": BotUserID, "bot_id": BotID, "text": "",
		},
		"response_url": "https://hooks.slack.com/actions/" + TeamID + "/1/fake",
		"actions": []map[string]any{{
			"type":      "button",
			"action_id": c.ActionID,
			"block_id":  c.BlockID,
			"value":     c.Value,
			"text":      map[string]any{"type": "plain_text", "text": c.ActionID},
			"action_ts": nextActionTS(),
		}},
		"state": map[string]any{"values": map[string]any{}},
	}
	b, err := json.Marshal(payload)
	if err != nil {
		panic("fakeslack: " + err.Error()) // maps of strings always marshal
	}
	return url.Values{"payload": {string(b)}}
}

// CommandForm returns the form Slack posts for a slash command
// (docs.slack.dev/interactivity/implementing-slash-commands): command is
// like "/tsunagu", text what the user typed after it.
func CommandForm(command, text, userID, channelID string) url.Values {
	if channelID == "" {
		channelID = Channel
	}
	return url.Values{
		"token":                 {"verification-token-unused"},
		"team_id":               {TeamID},
		"team_domain":           {"tsunagu-test"},
		"channel_id":            {channelID},
		"channel_name":          {"tsunagu-alerts"},
		"user_id":               {userID},
		"user_name":             {"supporter"},
		"command":               {command},
		"text":                  {text},
		"api_app_id":            {"A0TSUNAGU"},
		"response_url":          {"https://hooks.slack.com/commands/" + TeamID + "/1/fake"},
		"trigger_id":            {"1700000000.3.fake" + nextActionTS()},
		"is_enterprise_install": {"false"},
	}
}
