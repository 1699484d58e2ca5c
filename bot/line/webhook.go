package line

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	"github.com/tsunagu/tsunagu"
)

// DefaultMaxBody caps a webhook body. LINE's are a few kilobytes; the SDK
// reads the whole body with no cap of its own.
const DefaultMaxBody = 1 << 20

// DefaultHandleTimeout bounds the handling of one webhook's events.
const DefaultHandleTimeout = 10 * time.Second

// Handler handles one event from a family member. It must be idempotent per
// EventID: LINE redelivers a webhook answered with an error, including the
// events that were already handled.
type Handler interface {
	HandleEvent(ctx context.Context, ev tsunagu.Inbound) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, ev tsunagu.Inbound) error

func (f HandlerFunc) HandleEvent(ctx context.Context, ev tsunagu.Inbound) error { return f(ctx, ev) }

// Webhook is the http.Handler for LINE's webhook (POST /line/webhook). It
// answers 200 only after every event was handled, and 503 when one failed,
// so that LINE redelivers rather than tsunagu losing an answer.
type Webhook struct {
	// MaxBody caps the request body in bytes; larger requests get 413.
	// Zero means DefaultMaxBody.
	MaxBody int64
	// HandleTimeout bounds the handling of one request's events. Zero means
	// DefaultHandleTimeout.
	HandleTimeout time.Duration
	// Pseudonyms names users in logs (keyed by hash_key); the zero value is
	// the legacy unkeyed hash.
	Pseudonyms tsunagu.Pseudonyms

	secret string
	h      Handler
	log    *slog.Logger
}

var _ http.Handler = (*Webhook)(nil)

// NewWebhook returns a Webhook that checks signatures with the channel
// secret and hands events to h. A nil log means slog.Default().
func NewWebhook(channelSecret string, h Handler, log *slog.Logger) *Webhook {
	if log == nil {
		log = slog.Default()
	}
	return &Webhook{
		MaxBody:       DefaultMaxBody,
		HandleTimeout: DefaultHandleTimeout,
		secret:        channelSecret,
		h:             h,
		log:           log.With("comp", "line"),
	}
}

func (wh *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	start := time.Now()
	r.Body = http.MaxBytesReader(w, r.Body, cmp.Or(wh.MaxBody, DefaultMaxBody))
	cb, err := webhook.ParseRequest(wh.secret, r)
	if err != nil {
		// Never log err as such: the SDK's unmarshal error holds the whole
		// body, that is, children's messages.
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			wh.log.Warn("webhook body too large", "limit", tooBig.Limit)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		case errors.Is(err, webhook.ErrInvalidSignature):
			wh.log.Warn("webhook signature invalid")
			http.Error(w, "invalid signature", http.StatusBadRequest)
		default:
			wh.log.Warn("webhook body unreadable or malformed")
			http.Error(w, "malformed request", http.StatusBadRequest)
		}
		return
	}

	events := make([]tsunagu.Inbound, 0, len(cb.Events))
	for _, e := range cb.Events {
		if in, ok := wh.inbound(e); ok {
			events = append(events, in)
		}
	}
	// With redelivery on, LINE does not keep events in order.
	slices.SortStableFunc(events, func(a, b tsunagu.Inbound) int { return a.At.Compare(b.At) })

	// Finish the work even if LINE hangs up (it waits about 2 s): the events
	// are handled idempotently, so finishing spares a redelivery.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), cmp.Or(wh.HandleTimeout, DefaultHandleTimeout))
	defer cancel()
	for i, in := range events {
		if err := wh.h.HandleEvent(ctx, in); err != nil {
			wh.log.Error("handle event failed; asking LINE to redeliver",
				"kind", in.Kind, "user", wh.Pseudonyms.UserHash(in.UserID), "event", in.EventID,
				"handled", i, "events", len(events), "err", err)
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		wh.log.Debug("event handled", "kind", in.Kind, "user", wh.Pseudonyms.UserHash(in.UserID), "event", in.EventID)
	}
	wh.log.Info("webhook handled",
		"received", len(cb.Events), "handled", len(events), "dur", time.Since(start))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}"))
}

// inbound converts a webhook event, or reports that tsunagu ignores it.
// The SDK parses events into values, not pointers.
func (wh *Webhook) inbound(e webhook.EventInterface) (tsunagu.Inbound, bool) {
	var (
		in   tsunagu.Inbound
		src  webhook.SourceInterface
		mode webhook.EventMode
		ts   int64
	)
	switch ev := e.(type) {
	case webhook.FollowEvent:
		in = tsunagu.Inbound{Kind: tsunagu.InboundFollow, EventID: ev.WebhookEventId, ReplyToken: ev.ReplyToken}
		src, mode, ts = ev.Source, ev.Mode, ev.Timestamp
	case webhook.UnfollowEvent:
		in = tsunagu.Inbound{Kind: tsunagu.InboundUnfollow, EventID: ev.WebhookEventId}
		src, mode, ts = ev.Source, ev.Mode, ev.Timestamp
	case webhook.PostbackEvent:
		in = tsunagu.Inbound{Kind: tsunagu.InboundPostback, EventID: ev.WebhookEventId, ReplyToken: ev.ReplyToken}
		if ev.Postback != nil {
			in.Data = ev.Postback.Data
		}
		src, mode, ts = ev.Source, ev.Mode, ev.Timestamp
	case webhook.MessageEvent:
		in = tsunagu.Inbound{Kind: tsunagu.InboundMedia, EventID: ev.WebhookEventId, ReplyToken: ev.ReplyToken}
		if text, ok := ev.Message.(webhook.TextMessageContent); ok {
			in.Kind, in.Text = tsunagu.InboundText, text.Text
		}
		src, mode, ts = ev.Source, ev.Mode, ev.Timestamp
	default:
		// Unknown types (webhook.UnknownEvent) and ones tsunagu has no use
		// for (join, unsend, beacon...).
		wh.log.Debug("event ignored", "type", e.GetType(), "reason", "unhandled type")
		return in, false
	}
	if mode == webhook.EventMode_STANDBY {
		// Another channel holds the chat: there is no reply token and the
		// event must not be answered.
		wh.log.Debug("event ignored", "type", e.GetType(), "reason", "standby")
		return in, false
	}
	user, ok := src.(webhook.UserSource)
	if !ok || user.UserId == "" {
		// tsunagu talks with members one to one, never in groups or rooms.
		wh.log.Debug("event ignored", "type", e.GetType(), "reason", "not a 1:1 chat")
		return in, false
	}
	in.UserID = user.UserId
	in.At = time.UnixMilli(ts)
	return in, true
}
