// Package slack is tsunagu's Slack edge: it posts alerts for supporters
// with slack-go and handles their button clicks. It talks in domain terms
// (tsunagu.Alert) and imports nothing else of ours.
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

// PostAlert posts a as a new message and returns where it went.
func (n *Notifier) PostAlert(ctx context.Context, a *tsunagu.Alert) (channel, ts string, err error) {
	blocks, fallback := alertMessage(a, cmp.Or(n.Location, time.UTC))
	channel, ts, err = n.api.PostMessageContext(ctx, n.channel,
		slackapi.MsgOptionBlocks(blocks...), slackapi.MsgOptionText(fallback, false))
	if err != nil {
		return "", "", sendError("chat.postMessage", err)
	}
	return channel, ts, nil
}

// UpdateAlert rewrites the message a was posted as to show its state now.
func (n *Notifier) UpdateAlert(ctx context.Context, a *tsunagu.Alert) error {
	if a.Channel == "" || a.TS == "" {
		return &tsunagu.SendError{Op: "chat.update",
			Err: tsunagu.Errorf(tsunagu.EINVALID, "alert %s has no Slack message to update", a.ID)}
	}
	blocks, fallback := alertMessage(a, cmp.Or(n.Location, time.UTC))
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
