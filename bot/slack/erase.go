package slack

import (
	"context"
	"net/http"
	"strings"

	slackapi "github.com/slack-go/slack"
)

// Eraser deletes tsunagu's messages in Slack when a family is erased
// (`tsunagu families forget --slack`). It needs the bot token scopes
// chat:write and channels:history (groups:history for private channels),
// to list a thread's replies; a bot can delete only its own messages.
type Eraser struct{ api *slackapi.Client }

// NewEraser returns an Eraser on the Slack API at apiURL ("" for Slack's).
func NewEraser(token, apiURL string, hc *http.Client) *Eraser {
	var opts []slackapi.Option
	if apiURL != "" {
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
		opts = append(opts, slackapi.OptionAPIURL(apiURL))
	}
	if hc != nil {
		opts = append(opts, slackapi.OptionHTTPClient(hc))
	}
	return &Eraser{api: slackapi.New(token, opts...)}
}

// DeleteThread deletes a message and every reply in its thread (the
// replies first, so no reply is left under a deleted parent), and returns
// how many it deleted. A message already gone counts as deleted.
func (e *Eraser) DeleteThread(ctx context.Context, channel, ts string) (int, error) {
	var replies []string
	cursor := ""
	for {
		msgs, more, next, err := e.api.GetConversationRepliesContext(ctx, &slackapi.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts, Cursor: cursor, Limit: 200})
		if err != nil && !gone(err) {
			return 0, err
		}
		for _, m := range msgs {
			if m.Timestamp != ts {
				replies = append(replies, m.Timestamp)
			}
		}
		if !more || next == "" {
			break
		}
		cursor = next
	}
	n := 0
	for _, r := range append(replies, ts) {
		if _, _, err := e.api.DeleteMessageContext(ctx, channel, r); err != nil && !gone(err) {
			return n, err
		}
		n++
	}
	return n, nil
}

func gone(err error) bool {
	return strings.Contains(err.Error(), "message_not_found") || strings.Contains(err.Error(), "thread_not_found")
}
