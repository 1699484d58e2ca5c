package line

import (
	"fmt"
	"unicode/utf16"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/tsunagu/tsunagu"
)

// LINE's limits on what one reply or push can carry. Checking them here
// gives a clear error instead of a 400 from LINE, and for a push it saves
// a request. Errors name positions and sizes, never the texts.
const (
	MaxMessages     = 5    // messages per reply or push
	MaxQuickReplies = 13   // quick-reply buttons per message
	MaxTextLen      = 5000 // UTF-16 units per text
	MaxLabelLen     = 20   // characters per button label
	MaxDataLen      = 300  // characters of postback data
)

// toLINE converts messages to LINE text messages whose quick replies are
// postback buttons: tapping one sends its Data and shows its Label in the
// chat as if typed.
func toLINE(msgs []tsunagu.Message) ([]messaging_api.MessageInterface, error) {
	if len(msgs) == 0 {
		return nil, fmt.Errorf("no messages")
	}
	if len(msgs) > MaxMessages {
		return nil, fmt.Errorf("%d messages, LINE takes at most %d per call", len(msgs), MaxMessages)
	}
	out := make([]messaging_api.MessageInterface, 0, len(msgs))
	for i, m := range msgs {
		if n := utf16Len(m.Text); n == 0 || n > MaxTextLen {
			return nil, fmt.Errorf("message %d: text is %d UTF-16 units, LINE takes 1 to %d", i+1, n, MaxTextLen)
		}
		if len(m.QuickReplies) > MaxQuickReplies {
			return nil, fmt.Errorf("message %d: %d quick replies, LINE takes at most %d", i+1, len(m.QuickReplies), MaxQuickReplies)
		}
		tm := &messaging_api.TextMessage{Text: m.Text}
		if len(m.QuickReplies) > 0 {
			items := make([]messaging_api.QuickReplyItem, len(m.QuickReplies))
			for j, q := range m.QuickReplies {
				if n := utf16Len(q.Label); n == 0 || n > MaxLabelLen {
					return nil, fmt.Errorf("message %d, quick reply %d: label is %d characters, LINE takes 1 to %d", i+1, j+1, n, MaxLabelLen)
				}
				if n := utf16Len(q.Data); n == 0 || n > MaxDataLen {
					return nil, fmt.Errorf("message %d, quick reply %d: data is %d characters, LINE takes 1 to %d", i+1, j+1, n, MaxDataLen)
				}
				items[j] = messaging_api.QuickReplyItem{
					Type: "action",
					Action: &messaging_api.PostbackAction{
						Label:       q.Label,
						Data:        q.Data,
						DisplayText: q.Label,
					},
				}
			}
			tm.QuickReply = &messaging_api.QuickReply{Items: items}
		}
		out = append(out, tm)
	}
	return out, nil
}

// utf16Len counts as LINE does: in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
