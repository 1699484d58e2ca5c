package fakeline

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"unicode/utf16"
)

// Msg is one message as LINE received it.
type Msg struct {
	Type         string // "text", "sticker", ...
	Text         string
	QuickReplies []QuickReply
}

// QuickReply is one quick-reply button of a Msg.
type QuickReply struct {
	Type        string // action type: "postback", "message", ...
	Label       string
	Data        string
	DisplayText string
}

// Reply is one accepted reply request.
type Reply struct {
	Token    string
	Messages []Msg
}

// Push is one accepted push request.
type Push struct {
	To       string
	RetryKey string
	Messages []Msg
}

// delivery is what one user received from one accepted request.
type delivery struct {
	to   string
	msgs []Msg
}

// replyToken is a token handed out in a webhook.
type replyToken struct {
	user string
	used bool // used or expired: either way LINE rejects it
}

// acceptedPush is what a 409 for a reused retry key reports.
type acceptedPush struct {
	requestID string
	sent      []sentMessage
}

type sentMessage struct {
	ID         string `json:"id"`
	QuoteToken string `json:"quoteToken,omitempty"`
}

type sendResponse struct {
	SentMessages []sentMessage `json:"sentMessages"`
}

// The wire shapes of the requests, decoded independently of the SDK's own
// models so that the fake checks what the SDK actually sends.
type (
	wireReply struct {
		ReplyToken string        `json:"replyToken"`
		Messages   []wireMessage `json:"messages"`
	}
	wirePush struct {
		To       string        `json:"to"`
		Messages []wireMessage `json:"messages"`
	}
	wireMessage struct {
		Type       string `json:"type"`
		Text       string `json:"text"`
		QuickReply *struct {
			Items []struct {
				Type   string `json:"type"`
				Action struct {
					Type        string `json:"type"`
					Label       string `json:"label"`
					Data        string `json:"data"`
					DisplayText string `json:"displayText"`
				} `json:"action"`
			} `json:"items"`
		} `json:"quickReply"`
	}
)

// IssueReplyToken returns a fresh reply token for a webhook event of userID,
// so that a reply with it is delivered to that user. The fake, like LINE,
// rejects reply tokens it did not issue.
func (s *Server) IssueReplyToken(userID string) string {
	tok := randomHex(16)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = &replyToken{user: userID}
	return tok
}

// ExpireToken makes LINE reject tok from now on, as it does about a minute
// after the event.
func (s *Server) ExpireToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.tokens[tok]; ok {
		rt.used = true
	}
}

func (s *Server) handleReply(w http.ResponseWriter, r *http.Request) {
	var req wireReply
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "The request body could not be parsed as JSON")
		return
	}
	msgs, details := decodeMessages(req.Messages)
	if len(details) > 0 {
		writeInvalid(w, details)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.tokens[req.ReplyToken]
	if !ok || rt.used {
		writeError(w, http.StatusBadRequest, "Invalid reply token")
		return
	}
	rt.used = true
	s.replies = append(s.replies, Reply{Token: req.ReplyToken, Messages: msgs})
	s.delivered = append(s.delivered, delivery{to: rt.user, msgs: msgs})
	writeJSON(w, http.StatusOK, sendResponse{SentMessages: sent(len(msgs))})
}

// uuidRE is the hexadecimal UUID form LINE wants for X-Line-Retry-Key.
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (s *Server) handlePush(w http.ResponseWriter, r *http.Request) {
	// LINE itself accepts a push without a retry key (it just cannot be
	// retried safely); the fake refuses one, because tsunagu must always
	// send a key (the v8 SDK sends the header even when it is empty).
	key := r.Header.Get("X-Line-Retry-Key")
	if !uuidRE.MatchString(key) {
		writeError(w, http.StatusBadRequest, "The value for the 'X-Line-Retry-Key' header is invalid")
		return
	}
	var req wirePush
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "The request body could not be parsed as JSON")
		return
	}
	msgs, details := decodeMessages(req.Messages)
	if req.To == "" {
		details = append(details, errorDetail{Message: "May not be empty", Property: "to"})
	}
	if len(details) > 0 {
		writeInvalid(w, details)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.accepted[key]; ok {
		s.conflicts++
		w.Header().Set("X-Line-Accepted-Request-Id", prev.requestID)
		writeJSON(w, http.StatusConflict, errorBody{
			Message:      "The retry key is already accepted",
			SentMessages: prev.sent,
		})
		return
	}
	// LINE counts a push as one message per recipient, however many
	// message objects (speech bubbles) it carries.
	if s.limit >= 0 && s.usage+1 > s.limit {
		writeError(w, http.StatusTooManyRequests, "You have reached your monthly limit.")
		return
	}
	s.usage++
	acc := acceptedPush{requestID: newUUID(), sent: sent(len(msgs))}
	s.accepted[key] = acc
	s.pushes = append(s.pushes, Push{To: req.To, RetryKey: key, Messages: msgs})
	s.delivered = append(s.delivered, delivery{to: req.To, msgs: msgs})
	w.Header().Set("X-Line-Request-Id", acc.requestID)
	writeJSON(w, http.StatusOK, sendResponse{SentMessages: acc.sent})
}

// decodeMessages converts wire messages and checks the limits LINE enforces,
// returning LINE's validation details for any that are broken.
func decodeMessages(in []wireMessage) ([]Msg, []errorDetail) {
	var details []errorDetail
	bad := func(prop, msg string, args ...any) {
		details = append(details, errorDetail{Message: msg, Property: fmt.Sprintf(prop, args...)})
	}
	if len(in) < 1 || len(in) > 5 {
		bad("messages", "Size must be between 1 and 5")
	}
	out := make([]Msg, 0, len(in))
	for i, wm := range in {
		m := Msg{Type: wm.Type, Text: wm.Text}
		switch wm.Type {
		case "":
			bad("messages[%d].type", "May not be empty", i)
		case "text":
			if n := utf16Len(wm.Text); n < 1 || n > 5000 {
				bad("messages[%d].text", "Length must be between 1 and 5000", i)
			}
		}
		if qr := wm.QuickReply; qr != nil {
			if len(qr.Items) < 1 || len(qr.Items) > 13 {
				bad("messages[%d].quickReply.items", "Size must be between 1 and 13", i)
			}
			for j, it := range qr.Items {
				a := it.Action
				prop := fmt.Sprintf("messages[%d].quickReply.items[%d].action", i, j)
				if it.Type != "" && it.Type != "action" {
					bad("messages[%d].quickReply.items[%d].type", "Invalid value", i, j)
				}
				if n := utf16Len(a.Label); n < 1 || n > 20 {
					bad("%s.label", "Length must be between 1 and 20", prop)
				}
				if a.Type == "postback" && (len(a.Data) < 1 || utf16Len(a.Data) > 300) {
					bad("%s.data", "Length must be between 1 and 300", prop)
				}
				m.QuickReplies = append(m.QuickReplies, QuickReply{
					Type: a.Type, Label: a.Label, Data: a.Data, DisplayText: a.DisplayText,
				})
			}
		}
		out = append(out, m)
	}
	return out, details
}

func writeInvalid(w http.ResponseWriter, details []errorDetail) {
	writeJSON(w, http.StatusBadRequest, errorBody{
		Message: fmt.Sprintf("The request body has %d error(s)", len(details)),
		Details: details,
	})
}

// utf16Len counts as LINE does: in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func sent(n int) []sentMessage {
	out := make([]sentMessage, n)
	for i := range out {
		out[i] = sentMessage{ID: newMessageID(), QuoteToken: newQuoteToken()}
	}
	return out
}

// Replies returns the accepted reply requests, in order.
func (s *Server) Replies() []Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.replies)
}

// Pushes returns the accepted push requests, in order; a push refused with
// 409 is not among them.
func (s *Server) Pushes() []Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pushes)
}

// Delivered returns every message a user received, replies and pushes, in
// the order LINE accepted them.
func (s *Server) Delivered(to string) []Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Msg
	for _, d := range s.delivered {
		if d.to == to {
			out = append(out, d.msgs...)
		}
	}
	return out
}

// Requests counts every request to path, failed ones included.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// Conflicts counts pushes refused with 409 because their retry key had
// already been accepted.
func (s *Server) Conflicts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conflicts
}
