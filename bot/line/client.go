// Package line is tsunagu's LINE edge: a Messenger that replies and pushes
// through the Messaging API, and the webhook handler that turns LINE's
// events into tsunagu.Inbound. It talks to LINE only through the official
// v8 SDK, at a base URL from configuration so that tests use a fake.
package line

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/tsunagu/tsunagu"
)

// DefaultTimeout bounds a call to LINE when the caller's http.Client has no
// timeout of its own: the SDK methods take no context, so a hung connection
// would otherwise hold a sender forever.
const DefaultTimeout = 10 * time.Second

// NoLimit is the limit Quota reports when the plan sets no monthly target.
const NoLimit = -1

// Client sends messages through the Messaging API. It is safe for
// concurrent use.
type Client struct {
	api *messaging_api.MessagingApiAPI
}

var _ tsunagu.Messenger = (*Client)(nil)

// NewClient returns a Client for the channel access token. An empty endpoint
// means LINE's own; hc may be nil.
func NewClient(channelToken, endpoint string, hc *http.Client) (*Client, error) {
	switch {
	case hc == nil:
		hc = &http.Client{Timeout: DefaultTimeout}
	case hc.Timeout == 0:
		c := *hc
		c.Timeout = DefaultTimeout
		hc = &c
	}
	opts := []messaging_api.MessagingApiAPIOption{messaging_api.WithHTTPClient(hc)}
	if endpoint != "" {
		opts = append(opts, messaging_api.WithEndpoint(endpoint))
	}
	api, err := messaging_api.NewMessagingApiAPI(channelToken, opts...)
	if err != nil {
		return nil, fmt.Errorf("line client: %w", err)
	}
	return &Client{api: api}, nil
}

// call returns a copy of the SDK client bound to ctx. The SDK's WithContext
// mutates the client, so each call gets its own copy to stay safe for
// concurrent use.
func (c *Client) call(ctx context.Context) *messaging_api.MessagingApiAPI {
	api := *c.api
	return api.WithContext(ctx)
}

// Reply answers an event with its reply token.
func (c *Client) Reply(ctx context.Context, replyToken string, msgs []tsunagu.Message) error {
	const op = "line reply"
	if replyToken == "" {
		return permanent(op, fmt.Errorf("empty reply token: %w", tsunagu.ErrReplyTokenInvalid))
	}
	out, err := toLINE(msgs)
	if err != nil {
		return permanent(op, err)
	}
	if err := ctx.Err(); err != nil {
		return &tsunagu.SendError{Op: op, Retry: true, Err: err}
	}
	res, _, err := c.call(ctx).ReplyMessageWithHttpInfo(&messaging_api.ReplyMessageRequest{
		ReplyToken: replyToken,
		Messages:   out,
	})
	if res != nil && res.StatusCode == http.StatusBadRequest && invalidReplyToken(res) {
		// Used, expired, or not the latest: the caller falls back to push.
		res.Body.Close()
		return &tsunagu.SendError{
			Op: op, Status: res.StatusCode,
			Err: fmt.Errorf("%w: %w", tsunagu.ErrReplyTokenInvalid, err),
		}
	}
	return classify(op, res, err)
}

// Push sends messages to a user at any time. LINE accepts a retry key once,
// so the same push retried is shown once.
func (c *Client) Push(ctx context.Context, to, retryKey string, msgs []tsunagu.Message) error {
	const op = "line push"
	switch {
	case to == "":
		return permanent(op, errors.New("no recipient"))
	case retryKey == "":
		// The SDK would send an empty header, and the push could then be
		// shown twice when retried.
		return permanent(op, errors.New("empty retry key"))
	case !uuidRE.MatchString(retryKey):
		return permanent(op, errors.New("retry key is not a hexadecimal UUID"))
	}
	out, err := toLINE(msgs)
	if err != nil {
		return permanent(op, err)
	}
	if err := ctx.Err(); err != nil {
		return &tsunagu.SendError{Op: op, Retry: true, Err: err}
	}
	res, _, err := c.call(ctx).PushMessageWithHttpInfo(&messaging_api.PushMessageRequest{
		To:       to,
		Messages: out,
	}, retryKey)
	if res != nil && res.StatusCode == http.StatusConflict {
		// The key was accepted before: an earlier attempt got through and
		// only its answer was lost. That is success.
		res.Body.Close()
		return nil
	}
	return classify(op, res, err)
}

// Quota reports the monthly push limit (NoLimit when none is set) and how
// many messages count against it so far.
func (c *Client) Quota(ctx context.Context) (limit, used int64, err error) {
	const op = "line quota"
	if err := ctx.Err(); err != nil {
		return 0, 0, &tsunagu.SendError{Op: op, Retry: true, Err: err}
	}
	api := c.call(ctx)
	res, q, err := api.GetMessageQuotaWithHttpInfo()
	if err := classify(op, res, err); err != nil {
		return 0, 0, err
	}
	res, u, err := api.GetMessageQuotaConsumptionWithHttpInfo()
	if err := classify(op+" consumption", res, err); err != nil {
		return 0, 0, err
	}
	if q == nil || u == nil {
		return 0, 0, &tsunagu.SendError{Op: op, Status: http.StatusOK, Err: errors.New("empty response")}
	}
	limit = q.Value
	if q.Type != messaging_api.QuotaType_LIMITED {
		limit = NoLimit
	}
	return limit, u.TotalUsage, nil
}

// uuidRE is the form LINE wants for X-Line-Retry-Key.
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// classify turns the SDK's result into nil or a *tsunagu.SendError. The
// SDK's error texts hold LINE's response body, never our request, so they
// carry no message texts or user ids.
func classify(op string, res *http.Response, err error) error {
	if res == nil {
		if err == nil {
			return nil
		}
		// No response: network trouble, a timeout or a cancelled context.
		return &tsunagu.SendError{Op: op, Retry: true, Err: err}
	}
	defer res.Body.Close()
	status := res.StatusCode
	if status/100 == 2 {
		// Accepted. A response body we cannot decode changes nothing.
		return nil
	}
	if err == nil {
		err = errors.New(http.StatusText(status))
	}
	return &tsunagu.SendError{
		Op:         op,
		Status:     status,
		Retry:      status == http.StatusTooManyRequests || status >= 500,
		RetryAfter: retryAfter(res.Header.Get("Retry-After"), time.Now()),
		Err:        err,
	}
}

// invalidReplyToken reports whether LINE refused a reply for its token. The
// SDK has read the body into its error and put a copy back in res.Body.
func invalidReplyToken(res *http.Response) bool {
	b, err := io.ReadAll(io.LimitReader(res.Body, 4096))
	return err == nil && strings.Contains(string(b), "Invalid reply token")
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return max(time.Duration(secs)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// permanent is a failure that no retry can fix: the request itself is wrong.
func permanent(op string, err error) error {
	return &tsunagu.SendError{Op: op, Retry: false, Err: err}
}
