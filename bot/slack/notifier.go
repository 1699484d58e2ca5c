// Package slack is tsunagu's Slack edge: it posts alerts, family threads
// and escalations for supporters with slack-go, and handles what they do
// back — button clicks, the modals those open, the /tsunagu command —
// through the Supporters interface. It talks in domain terms
// (tsunagu.Alert, tsunagu.FamilySummary) and imports nothing else of ours.
package slack

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu"
)

// Notifier posts and updates alert messages in one Slack channel.
type Notifier struct {
	api     *slackapi.Client
	channel string

	// Location is the time zone of the times shown to supporters;
	// NewNotifier sets Asia/Tokyo. Set it before use to follow
	// TSUNAGU_TIMEZONE.
	Location *time.Location
	// Clock says how long an escalated alert has waited; nil is the wall
	// clock.
	Clock tsunagu.Clock
}

var _ tsunagu.Notifier = (*Notifier)(nil)

// NewNotifier returns a Notifier posting to channel with the bot token.
// apiURL "" means Slack's own; tests and staging point it at a local fake.
// hc nil means http.DefaultClient. Retries are left to the caller (the
// alert worker), which reads them from the returned *tsunagu.SendError, so
// slack-go's own retries stay off.
func NewNotifier(token, channel, apiURL string, hc *http.Client) *Notifier {
	var opts []slackapi.Option
	if apiURL != "" {
		// slack-go appends method names to the URL as is.
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
		opts = append(opts, slackapi.OptionAPIURL(apiURL))
	}
	if hc != nil {
		opts = append(opts, slackapi.OptionHTTPClient(hc))
	}
	return &Notifier{api: slackapi.New(token, opts...), channel: channel, Location: tokyo()}
}

// PostAlert posts a as a new message and returns where it went: in
// a.Channel when set (routing), else the Notifier's channel; as a reply in
// the family thread a.ThreadTS when set, which must be in that channel.
func (n *Notifier) PostAlert(ctx context.Context, a *tsunagu.Alert) (channel, ts string, err error) {
	blocks, fallback := alertMessage(a, n.loc())
	opts := []slackapi.MsgOption{slackapi.MsgOptionBlocks(blocks...), slackapi.MsgOptionText(fallback, false)}
	if a.ThreadTS != "" {
		opts = append(opts, slackapi.MsgOptionTS(a.ThreadTS))
	}
	channel, ts, err = n.api.PostMessageContext(ctx, cmp.Or(a.Channel, n.channel), opts...)
	if err != nil {
		return "", "", sendError("chat.postMessage", err)
	}
	return channel, ts, nil
}

// maxPlainText bounds PostInThread's text: Slack's own limit for the text
// of a message is 40,000 characters, but it advises 4,000 and shows a
// longer one folded anyway.
const maxPlainText = 4000

// PostInThread posts text as mrkdwn in the thread threadTS of channel and
// returns its ts. channel "" is the Notifier's channel; threadTS "" posts at
// the top of the channel (the digest). The text is sent as composed, so
// that mentions like <@U…> work: pass anything a person typed — a member's
// reply — through Escape first. Link previews are off, so a URL in a
// member's message is not fetched by Slack.
func (n *Notifier) PostInThread(ctx context.Context, channel, threadTS, text string) (string, error) {
	opts := []slackapi.MsgOption{
		slackapi.MsgOptionText(truncate(text, maxPlainText), false),
		slackapi.MsgOptionDisableLinkUnfurl(), slackapi.MsgOptionDisableMediaUnfurl(),
	}
	if threadTS != "" {
		opts = append(opts, slackapi.MsgOptionTS(threadTS))
	}
	_, ts, err := n.api.PostMessageContext(ctx, cmp.Or(channel, n.channel), opts...)
	if err != nil {
		return "", sendError("chat.postMessage", err)
	}
	return ts, nil
}

// Escalate reminds whoever mention names (see Mentions) that a is still
// unclaimed: a reply in the alert's thread — the family thread when it was
// posted in one — also broadcast to the channel so that it is seen.
// level is 1 for the first reminder, 2 for the next. Tokens of mention that
// are not Slack ids are left out rather than stopping the escalation;
// check the configuration with Mentions at start-up.
func (n *Notifier) Escalate(ctx context.Context, a *tsunagu.Alert, level int, mention string) error {
	root := cmp.Or(a.ThreadTS, a.TS)
	if a.Channel == "" || root == "" {
		return &tsunagu.SendError{Op: "chat.postMessage",
			Err: tsunagu.Errorf(tsunagu.EINVALID, "alert %s has no Slack message to escalate in", a.ID)}
	}
	mentions, _ := Mentions(mention)
	text := escalationText(a, level, mentions, n.now())
	_, _, err := n.api.PostMessageContext(ctx, a.Channel,
		slackapi.MsgOptionText(text, false), slackapi.MsgOptionTS(root), slackapi.MsgOptionBroadcast(),
		slackapi.MsgOptionDisableLinkUnfurl())
	return sendError("chat.postMessage", err)
}

func (n *Notifier) loc() *time.Location { return cmp.Or(n.Location, time.UTC) }

func (n *Notifier) now() time.Time {
	if n.Clock == nil {
		return time.Now()
	}
	return n.Clock.Now()
}

// openView opens a modal for the supporter whose click gave triggerID.
func (n *Notifier) openView(ctx context.Context, triggerID string, v slackapi.ModalViewRequest) error {
	_, err := n.api.OpenViewContext(ctx, triggerID, v)
	return sendError("views.open", err)
}

// postEphemeral shows blocks to user alone in channel.
func (n *Notifier) postEphemeral(ctx context.Context, channel, user string, blocks []slackapi.Block, fallback string) error {
	_, err := n.api.PostEphemeralContext(ctx, channel, user,
		slackapi.MsgOptionBlocks(blocks...), slackapi.MsgOptionText(fallback, false))
	return sendError("chat.postEphemeral", err)
}

// UserGroupMembers lists the members of a user group
// (usergroups.users.list, scope usergroups:read), for Access.
func (n *Notifier) UserGroupMembers(ctx context.Context, group string) ([]string, error) {
	users, err := n.api.GetUserGroupMembersContext(ctx, group)
	return users, sendError("usergroups.users.list", err)
}

// UpdateAlert rewrites the message a was posted as to show its state now.
func (n *Notifier) UpdateAlert(ctx context.Context, a *tsunagu.Alert) error {
	if a.Channel == "" || a.TS == "" {
		return &tsunagu.SendError{Op: "chat.update",
			Err: tsunagu.Errorf(tsunagu.EINVALID, "alert %s has no Slack message to update", a.ID)}
	}
	blocks, fallback := alertMessage(a, n.loc())
	_, _, _, err := n.api.UpdateMessageContext(ctx, a.Channel, a.TS,
		slackapi.MsgOptionBlocks(blocks...), slackapi.MsgOptionText(fallback, false))
	return sendError("chat.update", err)
}

// transientErrors are Slack API error codes that a later attempt may not
// get (docs.slack.dev/reference/methods/chat.postMessage, "Errors").
// Everything else (invalid_auth, channel_not_found, not_in_channel,
// invalid_blocks...) needs a person to fix configuration or code.
var transientErrors = map[string]bool{
	"ratelimited":         true,
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// sendError classifies a slack-go error for the caller's retry policy. It
// keeps slack-go's error in the chain; none of those carries the token or
// message text.
func sendError(op string, err error) error {
	if err == nil {
		return nil
	}
	se := &tsunagu.SendError{Op: op, Retry: true, Err: err}
	if rl, ok := errors.AsType[*slackapi.RateLimitedError](err); ok {
		se.Status, se.RetryAfter = http.StatusTooManyRequests, rl.RetryAfter
	} else if sc, ok := errors.AsType[slackapi.StatusCodeError](err); ok {
		// 429 without Retry-After arrives here too.
		se.Status, se.Retry = sc.Code, sc.Retryable()
	} else if api, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok {
		se.Status, se.Retry = http.StatusOK, transientErrors[api.Err]
	}
	// Anything else is a network or context error: worth another try.
	return se
}

// tokyo is the default display zone. Japan has no daylight saving time, so
// a fixed +9:00 is exact where the tz database is missing (slim images).
func tokyo() *time.Location {
	if loc, err := time.LoadLocation("Asia/Tokyo"); err == nil {
		return loc
	}
	return time.FixedZone("Asia/Tokyo", 9*60*60)
}
