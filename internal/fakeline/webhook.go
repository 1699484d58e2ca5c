package fakeline

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// Event is one webhook event in LINE's JSON shape. The builders fill it in
// as LINE would; tests may change any field (Timestamp, Source, ...) before
// passing it to Body or Deliver.
type Event struct {
	Type            string           `json:"type"`
	Mode            string           `json:"mode"`
	Timestamp       int64            `json:"timestamp"` // Unix milliseconds
	Source          *Source          `json:"source,omitempty"`
	WebhookEventID  string           `json:"webhookEventId"`
	DeliveryContext DeliveryContext  `json:"deliveryContext"`
	ReplyToken      string           `json:"replyToken,omitempty"`
	Message         *MessageContent  `json:"message,omitempty"`
	Postback        *PostbackContent `json:"postback,omitempty"`
	Follow          *FollowDetail    `json:"follow,omitempty"`

	srv *Server // issues the new reply token of a redelivery
}

// Source is who an event came from.
type Source struct {
	Type    string `json:"type"` // "user", "group" or "room"
	UserID  string `json:"userId,omitempty"`
	GroupID string `json:"groupId,omitempty"`
	RoomID  string `json:"roomId,omitempty"`
}

// DeliveryContext says whether LINE is redelivering the event.
type DeliveryContext struct {
	IsRedelivery bool `json:"isRedelivery"`
}

// MessageContent is the message of a message event.
type MessageContent struct {
	ID                  string   `json:"id"`
	Type                string   `json:"type"`
	QuoteToken          string   `json:"quoteToken,omitempty"`
	Text                string   `json:"text,omitempty"`
	PackageID           string   `json:"packageId,omitempty"`
	StickerID           string   `json:"stickerId,omitempty"`
	StickerResourceType string   `json:"stickerResourceType,omitempty"`
	Keywords            []string `json:"keywords,omitempty"`
}

// PostbackContent is what a tapped postback button sends.
type PostbackContent struct {
	Data string `json:"data"`
}

// FollowDetail comes with a follow event.
type FollowDetail struct {
	IsUnblocked bool `json:"isUnblocked"`
}

// event starts an active event from a user, with a fresh id and a timestamp
// later than any this server gave before, so that events built one after
// another are in order.
func (s *Server) event(typ, userID string, replyable bool) Event {
	s.mu.Lock()
	ts := max(time.Now().UnixMilli(), s.lastTS+1)
	s.lastTS = ts
	s.mu.Unlock()
	e := Event{
		Type:           typ,
		Mode:           "active",
		Timestamp:      ts,
		Source:         &Source{Type: "user", UserID: userID},
		WebhookEventID: newEventID(time.UnixMilli(ts)),
		srv:            s,
	}
	if replyable {
		e.ReplyToken = s.IssueReplyToken(userID)
	}
	return e
}

// Follow is a user adding the bot as a friend (or unblocking it).
func (s *Server) Follow(userID string) Event {
	e := s.event("follow", userID, true)
	e.Follow = &FollowDetail{}
	return e
}

// Unfollow is a user blocking the bot; it has no reply token.
func (s *Server) Unfollow(userID string) Event { return s.event("unfollow", userID, false) }

// Text is a user typing text.
func (s *Server) Text(userID, text string) Event {
	e := s.event("message", userID, true)
	e.Message = &MessageContent{ID: newMessageID(), Type: "text", QuoteToken: newQuoteToken(), Text: text}
	return e
}

// Postback is a user tapping a postback button (a quick reply).
func (s *Server) Postback(userID, data string) Event {
	e := s.event("postback", userID, true)
	e.Postback = &PostbackContent{Data: data}
	return e
}

// Sticker is a user sending a sticker.
func (s *Server) Sticker(userID string) Event {
	e := s.event("message", userID, true)
	e.Message = &MessageContent{
		ID: newMessageID(), Type: "sticker", QuoteToken: newQuoteToken(),
		PackageID: "11537", StickerID: "52002734", StickerResourceType: "STATIC",
		Keywords: []string{"Happy"},
	}
	return e
}

// Unknown is an event of a type the SDK does not know, as LINE may add.
func (s *Server) Unknown(userID string) Event { return s.event("somethingNew", userID, false) }

// Standby returns e as sent in standby mode (another channel holds the chat):
// it has no reply token and must not be answered.
func Standby(e Event) Event {
	e.Mode = "standby"
	e.ReplyToken = ""
	return e
}

// Redelivered returns e as LINE redelivers it: the same webhookEventId,
// isRedelivery set, and a new reply token.
func Redelivered(e Event) Event {
	e.DeliveryContext.IsRedelivery = true
	if e.ReplyToken != "" && e.srv != nil && e.Source != nil {
		e.ReplyToken = e.srv.IssueReplyToken(e.Source.UserID)
	}
	return e
}

// InGroup returns e as if its user had sent it in a group chat.
func InGroup(e Event, groupID string) Event {
	src := Source{Type: "group", GroupID: groupID}
	if e.Source != nil {
		src.UserID = e.Source.UserID
	}
	e.Source = &src
	return e
}

// Body is a webhook request body carrying events. With no events it is
// LINE's connectivity check.
func Body(events ...Event) []byte {
	dest := "U" + randomHex(16)
	for _, e := range events {
		if e.srv != nil {
			dest = e.srv.destination
			break
		}
	}
	return body(dest, events)
}

func body(dest string, events []Event) []byte {
	if events == nil {
		events = []Event{} // LINE sends [], not null
	}
	b, err := json.Marshal(struct {
		Destination string  `json:"destination"`
		Events      []Event `json:"events"`
	}{dest, events})
	if err != nil {
		panic("fakeline: marshal webhook body: " + err.Error())
	}
	return b
}

// Sign is the x-line-signature of body: base64(HMAC-SHA256(secret, body)).
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// WebhookRequest builds the signed POST that LINE sends, for serving
// directly to a handler (httptest.NewRecorder) or with a client.
func WebhookRequest(webhookURL, secret string, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, webhookURL, bytes.NewReader(body))
	if err != nil {
		panic("fakeline: webhook request: " + err.Error())
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "LineBotWebhook/2.0")
	req.Header.Set("X-Line-Signature", Sign(secret, body))
	return req
}

// Deliver POSTs events to webhookURL signed with secret, as LINE does, and
// returns the response with its body already read (no need to close it).
func (s *Server) Deliver(t testing.TB, webhookURL, secret string, events ...Event) *http.Response {
	t.Helper()
	res, err := s.Send(webhookURL, secret, events...)
	if err != nil {
		t.Fatalf("fakeline: %v", err)
	}
	return res
}

// Send is Deliver outside a test: it POSTs the signed events and returns
// the response with its body already read.
func (s *Server) Send(webhookURL, secret string, events ...Event) (*http.Response, error) {
	hc := &http.Client{Timeout: 10 * time.Second}
	res, err := hc.Do(WebhookRequest(webhookURL, secret, body(s.destination, events)))
	if err != nil {
		return nil, fmt.Errorf("deliver webhook: %w", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("read webhook response: %w", err)
	}
	res.Body = io.NopCloser(bytes.NewReader(b))
	return res, nil
}
