package line_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot/line"
	"github.com/tsunagu/tsunagu/internal/fakeline"
)

const secret = "channel-secret"

// recorder is a Handler that records events and fails on request.
type recorder struct {
	mu     sync.Mutex
	got    []tsunagu.Inbound
	failAt int // 1-based call that fails; 0 never
}

func (r *recorder) HandleEvent(_ context.Context, ev tsunagu.Inbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got)+1 == r.failAt {
		return errors.New("store down")
	}
	r.got = append(r.got, ev)
	return nil
}

// want is the Inbound that the webhook should make of a fake event.
func want(kind tsunagu.InboundKind, e fakeline.Event) tsunagu.Inbound {
	in := tsunagu.Inbound{
		EventID:    e.WebhookEventID,
		Kind:       kind,
		UserID:     e.Source.UserID,
		ReplyToken: e.ReplyToken,
		At:         time.UnixMilli(e.Timestamp),
	}
	if e.Message != nil {
		in.Text = e.Message.Text
	}
	if e.Postback != nil {
		in.Data = e.Postback.Data
	}
	return in
}

func TestWebhook(t *testing.T) {
	s := fakeline.New(t)
	u1, u2 := fakeline.NewUserID(), fakeline.NewUserID()

	text := s.Text(u1, "きょうはつかれた")
	postback := s.Postback(u1, "flow=weekly&step=mood&v=3")
	follow := s.Follow(u2)
	unfollow := s.Unfollow(u2)
	// Built in order, delivered out of order: the handler must see them by
	// timestamp.
	early, late := s.Text(u1, "さきにおくった"), s.Postback(u2, "step=late")
	late.Timestamp = early.Timestamp + 1000
	redelivered := fakeline.Redelivered(s.Text(u1, "もういちど"))
	sticker := s.Sticker(u1)
	huge := s.Text(u1, strings.Repeat("あ", line.DefaultMaxBody/3+1))

	cases := []struct {
		name   string
		method string           // POST when empty
		events []fakeline.Event // signed and delivered
		body   []byte           // sent instead of events when set
		sig    string           // replaces the valid signature when set
		failAt int
		status int
		want   []tsunagu.Inbound
	}{
		{name: "text", events: []fakeline.Event{text}, status: 200,
			want: []tsunagu.Inbound{want(tsunagu.InboundText, text)}},
		{name: "postback", events: []fakeline.Event{postback}, status: 200,
			want: []tsunagu.Inbound{want(tsunagu.InboundPostback, postback)}},
		{name: "follow and unfollow", events: []fakeline.Event{follow, unfollow}, status: 200,
			want: []tsunagu.Inbound{want(tsunagu.InboundFollow, follow), want(tsunagu.InboundUnfollow, unfollow)}},
		{name: "redelivered keeps the event id", events: []fakeline.Event{redelivered}, status: 200,
			want: []tsunagu.Inbound{want(tsunagu.InboundText, redelivered)}},
		{name: "zero events is the connectivity check", events: nil, status: 200},
		{name: "standby ignored", events: []fakeline.Event{fakeline.Standby(s.Text(u1, "べつのチャネル")), text}, status: 200,
			want: []tsunagu.Inbound{want(tsunagu.InboundText, text)}},
		{name: "unknown type ignored", events: []fakeline.Event{s.Unknown(u1), postback}, status: 200,
			want: []tsunagu.Inbound{want(tsunagu.InboundPostback, postback)}},
		{name: "group source ignored", events: []fakeline.Event{fakeline.InGroup(s.Text(u1, "グループで"), "Cgroup")}, status: 200},
		{name: "sticker is media", events: []fakeline.Event{sticker}, status: 200,
			want: []tsunagu.Inbound{want(tsunagu.InboundMedia, sticker)}},
		{name: "sorted by timestamp", events: []fakeline.Event{late, early}, status: 200,
			want: []tsunagu.Inbound{want(tsunagu.InboundText, early), want(tsunagu.InboundPostback, late)}},
		{name: "forged signature", events: []fakeline.Event{text}, sig: fakeline.Sign("other", fakeline.Body(text)), status: 400},
		{name: "missing signature", events: []fakeline.Event{text}, sig: "-", status: 400},
		{name: "malformed json", body: []byte(`{"events":[{"type":"message",`), status: 400},
		{name: "oversized", events: []fakeline.Event{huge}, status: 413},
		{name: "handler error asks for redelivery", events: []fakeline.Event{early, late}, failAt: 2, status: 503,
			want: []tsunagu.Inbound{want(tsunagu.InboundText, early)}},
		{name: "GET not allowed", method: http.MethodGet, status: 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			rec := &recorder{failAt: tc.failAt}
			wh := line.NewWebhook(secret, rec, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))

			body := tc.body
			if body == nil {
				body = fakeline.Body(tc.events...)
			}
			req := fakeline.WebhookRequest("http://tsunagu.test/line/webhook", secret, body)
			switch tc.sig {
			case "":
			case "-":
				req.Header.Del("X-Line-Signature")
			default:
				req.Header.Set("X-Line-Signature", tc.sig)
			}
			if tc.method != "" {
				req.Method = tc.method
			}
			w := httptest.NewRecorder()
			wh.ServeHTTP(w, req)

			if w.Code != tc.status {
				t.Errorf("status = %d, want %d (body %q)", w.Code, tc.status, w.Body)
			}
			if tc.status == 200 && w.Body.String() != "{}" {
				t.Errorf("body = %q, want {}", w.Body)
			}
			if !reflect.DeepEqual(rec.got, tc.want) {
				t.Errorf("handled\n%+v\nwant\n%+v", rec.got, tc.want)
			}
			// Logs carry no texts, reply tokens or raw user ids.
			for _, e := range tc.events {
				for _, secret := range []string{e.Source.UserID, e.ReplyToken, msgText(e)} {
					if secret != "" && strings.Contains(logs.String(), secret) {
						t.Errorf("logs contain %q:\n%s", secret, logs.String())
					}
				}
			}
			if strings.Contains(logs.String(), `{"events"`) {
				t.Errorf("logs contain the body:\n%s", logs.String())
			}
		})
	}
}

// msgText is what the member wrote or tapped.
func msgText(e fakeline.Event) string {
	switch {
	case e.Message != nil:
		return e.Message.Text
	case e.Postback != nil:
		return e.Postback.Data
	}
	return ""
}

// TestWebhookOverHTTP delivers through a real server as LINE does, with a
// smaller body cap.
func TestWebhookOverHTTP(t *testing.T) {
	s := fakeline.New(t)
	rec := &recorder{}
	wh := line.NewWebhook(secret, rec, slog.New(slog.DiscardHandler))
	wh.MaxBody = 2048
	srv := httptest.NewServer(wh)
	defer srv.Close()

	u := fakeline.NewUserID()
	res := s.Deliver(t, srv.URL, secret, s.Text(u, "はい"))
	if res.StatusCode != 200 || len(rec.got) != 1 {
		t.Fatalf("status %d, handled %d", res.StatusCode, len(rec.got))
	}
	res = s.Deliver(t, srv.URL, secret, s.Text(u, strings.Repeat("a", 4096)))
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestEntityTooLarge || len(rec.got) != 1 {
		t.Errorf("oversized: status %d (%s), handled %d", res.StatusCode, b, len(rec.got))
	}
}
