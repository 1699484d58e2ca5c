package tsunagu

import (
	"context"
	"time"
)

// Messenger sends messages to family members on LINE.
type Messenger interface {
	// Reply answers an event with its reply token: free, but single use and
	// only valid for about a minute. A rejected token is ErrReplyTokenInvalid.
	Reply(ctx context.Context, replyToken string, msgs []Message) error
	// Push sends at any time and counts against the monthly quota. The same
	// retryKey sent twice is delivered once.
	Push(ctx context.Context, to, retryKey string, msgs []Message) error
}

// Notifier shows alerts to supporters in Slack.
type Notifier interface {
	// PostAlert posts a new alert and returns where it was posted.
	PostAlert(ctx context.Context, a *Alert) (channel, ts string, err error)
	// UpdateAlert rewrites the posted message to show a's current state.
	UpdateAlert(ctx context.Context, a *Alert) error
	// PostInThread posts text in a thread (threadTS "" posts at the top
	// of the channel) and returns its ts.
	PostInThread(ctx context.Context, channel, threadTS, text string) (ts string, err error)
	// Escalate reminds the on-call supporters, in the alert's thread, that
	// an urgent alert is still unclaimed.
	Escalate(ctx context.Context, a *Alert, level int, mention string) error
}

// Clock tells the time; tests inject a fixed or movable one.
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the wall clock.
var SystemClock Clock = ClockFunc(time.Now)
