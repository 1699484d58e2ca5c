package fakeline_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	"github.com/tsunagu/tsunagu/internal/fakeline"
)

const (
	token = "channel-token"
	key1  = "123e4567-e89b-12d3-a456-426614174000"
	key2  = "123e4567-e89b-12d3-a456-426614174001"
)

// sdk is the real client pointed at the fake.
func sdk(t *testing.T, s *fakeline.Server, tok string) *messaging_api.MessagingApiAPI {
	t.Helper()
	api, err := messaging_api.NewMessagingApiAPI(tok, messaging_api.WithEndpoint(s.URL))
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func text(s string) *messaging_api.TextMessage { return &messaging_api.TextMessage{Text: s} }

func push(api *messaging_api.MessagingApiAPI, to, key string, texts ...string) (*http.Response, error) {
	req := &messaging_api.PushMessageRequest{To: to}
	for _, t := range texts {
		req.Messages = append(req.Messages, text(t))
	}
	res, _, err := api.PushMessageWithHttpInfo(req, key)
	return res, err
}

func status(res *http.Response) int {
	if res == nil {
		return 0
	}
	return res.StatusCode
}

func TestPushRetryKey(t *testing.T) {
	s := fakeline.New(t)
	api := sdk(t, s, token)
	u := fakeline.NewUserID()

	res, err := push(api, u, key1, "おはよう")
	if err != nil || status(res) != 200 {
		t.Fatalf("first push: %d %v", status(res), err)
	}
	res, err = push(api, u, key1, "おはよう")
	if status(res) != http.StatusConflict || err == nil {
		t.Fatalf("second push: got %d %v, want 409", status(res), err)
	}
	if res.Header.Get("X-Line-Accepted-Request-Id") == "" {
		t.Error("409 without x-line-accepted-request-id")
	}
	if got := s.Conflicts(); got != 1 {
		t.Errorf("Conflicts() = %d, want 1", got)
	}
	if got := len(s.Pushes()); got != 1 {
		t.Errorf("%d pushes recorded, want 1", got)
	}
	if got := s.Delivered(u); len(got) != 1 || got[0].Text != "おはよう" {
		t.Errorf("Delivered = %+v", got)
	}
	if got := s.Requests(fakeline.PathPush); got != 2 {
		t.Errorf("Requests = %d, want 2", got)
	}
	if got := s.Usage(); got != 1 {
		t.Errorf("Usage = %d, want 1", got)
	}

	for _, bad := range []string{"", "not-a-uuid", "123e4567e89b12d3a456426614174000"} {
		if res, _ := push(api, u, bad, "x"); status(res) != http.StatusBadRequest {
			t.Errorf("retry key %q: got %d, want 400", bad, status(res))
		}
	}
}

func TestPushValidation(t *testing.T) {
	s := fakeline.New(t)
	api := sdk(t, s, token)
	u := fakeline.NewUserID()
	for name, texts := range map[string][]string{
		"six messages": {"1", "2", "3", "4", "5", "6"},
		"empty text":   {""},
		"no messages":  nil,
		"long text":    {strings.Repeat("あ", 5001)},
	} {
		if res, _ := push(api, u, key1, texts...); status(res) != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 400", name, status(res))
		}
	}
	if len(s.Pushes()) != 0 {
		t.Error("an invalid push was recorded")
	}
}

func TestReplyToken(t *testing.T) {
	s := fakeline.New(t)
	api := sdk(t, s, token)
	u := fakeline.NewUserID()
	reply := func(tok string) (int, error) {
		res, _, err := api.ReplyMessageWithHttpInfo(&messaging_api.ReplyMessageRequest{
			ReplyToken: tok,
			Messages: []messaging_api.MessageInterface{&messaging_api.TextMessage{
				Text: "げんき?",
				QuickReply: &messaging_api.QuickReply{Items: []messaging_api.QuickReplyItem{
					{Type: "action", Action: &messaging_api.PostbackAction{Label: "げんき", Data: "a=1", DisplayText: "げんき"}},
				}},
			}},
		})
		return status(res), err
	}

	tok := s.IssueReplyToken(u)
	if code, err := reply(tok); code != 200 {
		t.Fatalf("reply: %d %v", code, err)
	}
	code, err := reply(tok)
	if code != http.StatusBadRequest || err == nil || !strings.Contains(err.Error(), "Invalid reply token") {
		t.Errorf("reused token: %d %v", code, err)
	}
	expired := s.IssueReplyToken(u)
	s.ExpireToken(expired)
	if code, _ := reply(expired); code != http.StatusBadRequest {
		t.Errorf("expired token: %d, want 400", code)
	}
	if code, _ := reply("never-issued"); code != http.StatusBadRequest {
		t.Errorf("unknown token: %d, want 400", code)
	}

	want := fakeline.Msg{Type: "text", Text: "げんき?", QuickReplies: []fakeline.QuickReply{
		{Type: "postback", Label: "げんき", Data: "a=1", DisplayText: "げんき"},
	}}
	got := s.Delivered(u)
	if len(got) != 1 || !equalMsg(got[0], want) {
		t.Errorf("Delivered = %+v, want %+v", got, want)
	}
	if r := s.Replies(); len(r) != 1 || r[0].Token != tok {
		t.Errorf("Replies = %+v", r)
	}
}

func equalMsg(a, b fakeline.Msg) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestAuth(t *testing.T) {
	s := fakeline.New(t, fakeline.WithChannelToken(token))
	if res, _ := push(sdk(t, s, "wrong"), fakeline.NewUserID(), key1, "x"); status(res) != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", status(res))
	}
	if res, _ := push(sdk(t, s, token), fakeline.NewUserID(), key1, "x"); status(res) != 200 {
		t.Errorf("right token: %d, want 200", status(res))
	}
}

func TestFailNext(t *testing.T) {
	s := fakeline.New(t)
	api := sdk(t, s, token)
	u := fakeline.NewUserID()
	s.FailNext(fakeline.PathPush, http.StatusTooManyRequests, 1, 30*time.Second)
	s.FailNext(fakeline.PathPush, http.StatusInternalServerError, 1)

	res, _ := push(api, u, key1, "x")
	if status(res) != 429 || res.Header.Get("Retry-After") != "30" {
		t.Errorf("first: %d Retry-After %q", status(res), res.Header.Get("Retry-After"))
	}
	if res, _ := push(api, u, key1, "x"); status(res) != 500 {
		t.Errorf("second: %d, want 500", status(res))
	}
	// A failed attempt was not accepted, so the same key still works.
	if res, err := push(api, u, key1, "x"); status(res) != 200 {
		t.Errorf("third: %d %v, want 200", status(res), err)
	}
	if got := len(s.Delivered(u)); got != 1 {
		t.Errorf("delivered %d, want 1", got)
	}
	if got := s.Requests(fakeline.PathPush); got != 3 {
		t.Errorf("Requests = %d, want 3", got)
	}
}

func TestLoseNextResponse(t *testing.T) {
	s := fakeline.New(t)
	api := sdk(t, s, token)
	u := fakeline.NewUserID()
	s.LoseNextResponse(fakeline.PathPush, 1)
	if res, _ := push(api, u, key2, "x"); status(res) != 500 {
		t.Fatalf("first: %d, want 500", status(res))
	}
	if res, _ := push(api, u, key2, "x"); status(res) != 409 {
		t.Errorf("retry: %d, want 409", status(res))
	}
	if got := len(s.Delivered(u)); got != 1 {
		t.Errorf("delivered %d, want 1", got)
	}
}

func TestQuota(t *testing.T) {
	s := fakeline.New(t)
	api := sdk(t, s, token)
	q, err := api.GetMessageQuota()
	if err != nil || q.Type != messaging_api.QuotaType_NONE {
		t.Fatalf("quota: %+v %v", q, err)
	}
	s.SetQuota(2)
	s.SetUsage(1)
	u := fakeline.NewUserID()
	if res, _ := push(api, u, key1, "a", "b"); status(res) != 200 {
		t.Fatalf("push within quota: %d", status(res))
	}
	if res, _ := push(api, u, key2, "c"); status(res) != 429 {
		t.Errorf("push over quota: %d, want 429", status(res))
	}
	q, _ = api.GetMessageQuota()
	c, _ := api.GetMessageQuotaConsumption()
	if q.Type != messaging_api.QuotaType_LIMITED || q.Value != 2 || c.TotalUsage != 2 {
		t.Errorf("quota %+v consumption %+v", q, c)
	}
}

func TestConcurrentPushSameKey(t *testing.T) {
	s := fakeline.New(t)
	api := sdk(t, s, token)
	u := fakeline.NewUserID()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { _, _ = push(api, u, key1, "x") })
	}
	wg.Wait()
	if got := len(s.Delivered(u)); got != 1 {
		t.Errorf("delivered %d, want 1", got)
	}
	if got := s.Conflicts(); got != 7 {
		t.Errorf("Conflicts = %d, want 7", got)
	}
}

// TestWebhookParses checks the builders against the SDK's own parser.
func TestWebhookParses(t *testing.T) {
	s := fakeline.New(t)
	const secret = "secret"
	u := fakeline.NewUserID()
	follow := s.Follow(u)
	text := s.Text(u, "こんにちは")
	events := []fakeline.Event{
		follow, text, s.Postback(u, "q=1&a=2"), s.Sticker(u), s.Unfollow(u), s.Unknown(u),
		fakeline.Standby(s.Text(u, "x")), fakeline.Redelivered(text), fakeline.InGroup(s.Text(u, "y"), "Cgroup"),
	}
	var got *webhook.CallbackRequest
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if got, err = webhook.ParseRequest(secret, r); err != nil {
			t.Errorf("ParseRequest: %v", err)
		}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	if res := s.Deliver(t, srv.URL, secret, events...); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if got == nil || len(got.Events) != len(events) || got.Destination != s.Destination() {
		t.Fatalf("parsed %+v", got)
	}
	if m, ok := got.Events[1].(webhook.MessageEvent); !ok || m.Message.(webhook.TextMessageContent).Text != "こんにちは" {
		t.Errorf("text event parsed as %#v", got.Events[1])
	}
	if p, ok := got.Events[2].(webhook.PostbackEvent); !ok || p.Postback.Data != "q=1&a=2" {
		t.Errorf("postback parsed as %#v", got.Events[2])
	}
	if _, ok := got.Events[3].(webhook.MessageEvent).Message.(webhook.StickerMessageContent); !ok {
		t.Errorf("sticker parsed as %#v", got.Events[3])
	}
	if _, ok := got.Events[5].(webhook.UnknownEvent); !ok {
		t.Errorf("unknown parsed as %#v", got.Events[5])
	}
	if m := got.Events[6].(webhook.MessageEvent); m.Mode != webhook.EventMode_STANDBY || m.ReplyToken != "" {
		t.Errorf("standby parsed as %#v", m)
	}
	re := got.Events[7].(webhook.MessageEvent)
	if re.WebhookEventId != text.WebhookEventID || !re.DeliveryContext.IsRedelivery || re.ReplyToken == text.ReplyToken {
		t.Errorf("redelivery parsed as %#v", re)
	}
	if _, ok := got.Events[8].(webhook.MessageEvent).Source.(webhook.GroupSource); !ok {
		t.Errorf("group source parsed as %#v", got.Events[8])
	}
	for i := 1; i < len(events); i++ {
		if events[i].Timestamp <= events[i-1].Timestamp && i != 7 {
			t.Errorf("event %d not after event %d", i, i-1)
		}
	}

	// An empty body is LINE's connectivity check: events must be [], not null.
	if b := fakeline.Body(); !bytes.Contains(b, []byte(`"events":[]`)) {
		t.Errorf("empty body %s", b)
	}
	if !webhook.ValidateSignature(secret, fakeline.Sign(secret, []byte("x")), []byte("x")) {
		t.Error("Sign does not match the SDK's check")
	}
}
