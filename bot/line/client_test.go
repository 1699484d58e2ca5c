package line_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot/line"
	"github.com/tsunagu/tsunagu/internal/fakeline"
)

const (
	channelToken = "channel-token"
	retryKey     = "0b9a3c64-5a43-4f0e-9d0b-6f3c2c1e8a11"
)

var (
	hello = []tsunagu.Message{{Text: "こんにちは。今週はどうだった?"}}
	ask   = []tsunagu.Message{{
		Text: "きょうの気分は?",
		QuickReplies: []tsunagu.QuickReply{
			{Label: "げんき", Data: "step=mood&v=good"},
			{Label: "ふつう", Data: "step=mood&v=ok"},
			{Label: "つらい", Data: "step=mood&v=bad"},
		},
	}}
)

func TestClient(t *testing.T) {
	type env struct {
		s    *fakeline.Server
		c    *line.Client
		user string
	}
	// check inspects the error; nil check means the call must succeed.
	type check func(t *testing.T, err error)

	sendErr := func(status int, retry bool, after time.Duration) check {
		return func(t *testing.T, err error) {
			var se *tsunagu.SendError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *tsunagu.SendError", err)
			}
			if se.Status != status || se.Retry != retry || se.RetryAfter != after {
				t.Errorf("SendError{Status %d, Retry %v, RetryAfter %v}, want {%d, %v, %v}",
					se.Status, se.Retry, se.RetryAfter, status, retry, after)
			}
		}
	}
	is := func(target error) check {
		return func(t *testing.T, err error) {
			if !errors.Is(err, target) {
				t.Fatalf("err = %v, want %v", err, target)
			}
		}
	}

	cases := []struct {
		name      string
		setup     func(e env)       // fake responses
		call      func(e env) error // the request
		check     check             // nil: success
		path      string            // endpoint the call uses
		requests  int               // requests that reached it
		delivered []fakeline.Msg    // what the user got
	}{
		{
			name: "reply",
			call: func(e env) error { return e.c.Reply(context.Background(), e.s.IssueReplyToken(e.user), hello) },
			path: fakeline.PathReply, requests: 1,
			delivered: []fakeline.Msg{{Type: "text", Text: hello[0].Text}},
		},
		{
			name: "reply with used token",
			call: func(e env) error {
				tok := e.s.IssueReplyToken(e.user)
				if err := e.c.Reply(context.Background(), tok, hello); err != nil {
					return err
				}
				return e.c.Reply(context.Background(), tok, hello)
			},
			check: is(tsunagu.ErrReplyTokenInvalid),
			path:  fakeline.PathReply, requests: 2,
			delivered: []fakeline.Msg{{Type: "text", Text: hello[0].Text}},
		},
		{
			name: "reply with expired token",
			call: func(e env) error {
				tok := e.s.IssueReplyToken(e.user)
				e.s.ExpireToken(tok)
				return e.c.Reply(context.Background(), tok, hello)
			},
			check: func(t *testing.T, err error) {
				is(tsunagu.ErrReplyTokenInvalid)(t, err)
				sendErr(400, false, 0)(t, err)
			},
			path: fakeline.PathReply, requests: 1,
		},
		{
			name:  "reply with empty token is invalid without a request",
			call:  func(e env) error { return e.c.Reply(context.Background(), "", hello) },
			check: is(tsunagu.ErrReplyTokenInvalid),
			path:  fakeline.PathReply,
		},
		{
			name: "quick replies are postback actions",
			call: func(e env) error { return e.c.Push(context.Background(), e.user, retryKey, ask) },
			path: fakeline.PathPush, requests: 1,
			delivered: []fakeline.Msg{{Type: "text", Text: ask[0].Text, QuickReplies: []fakeline.QuickReply{
				{Type: "postback", Label: "げんき", Data: "step=mood&v=good", DisplayText: "げんき"},
				{Type: "postback", Label: "ふつう", Data: "step=mood&v=ok", DisplayText: "ふつう"},
				{Type: "postback", Label: "つらい", Data: "step=mood&v=bad", DisplayText: "つらい"},
			}}},
		},
		{
			name:  "push 500 is retryable",
			setup: func(e env) { e.s.FailNext(fakeline.PathPush, 500, 1) },
			call:  func(e env) error { return e.c.Push(context.Background(), e.user, retryKey, hello) },
			check: sendErr(500, true, 0),
			path:  fakeline.PathPush, requests: 1,
		},
		{
			name:  "push 429 says when to retry",
			setup: func(e env) { e.s.FailNext(fakeline.PathPush, 429, 1, 30*time.Second) },
			call:  func(e env) error { return e.c.Push(context.Background(), e.user, retryKey, hello) },
			check: sendErr(429, true, 30*time.Second),
			path:  fakeline.PathPush, requests: 1,
		},
		{
			name:  "push over the monthly quota is 429",
			setup: func(e env) { e.s.SetQuota(200); e.s.SetUsage(200) },
			call:  func(e env) error { return e.c.Push(context.Background(), e.user, retryKey, hello) },
			check: sendErr(429, true, 0),
			path:  fakeline.PathPush, requests: 1,
		},
		{
			name:  "push 400 is permanent",
			setup: func(e env) { e.s.FailNext(fakeline.PathPush, 400, 1) },
			call:  func(e env) error { return e.c.Push(context.Background(), e.user, retryKey, hello) },
			check: sendErr(400, false, 0),
			path:  fakeline.PathPush, requests: 1,
		},
		{
			name: "push 409 means already accepted",
			call: func(e env) error {
				if err := e.c.Push(context.Background(), e.user, retryKey, hello); err != nil {
					return err
				}
				return e.c.Push(context.Background(), e.user, retryKey, hello)
			},
			path: fakeline.PathPush, requests: 2,
			delivered: []fakeline.Msg{{Type: "text", Text: hello[0].Text}},
		},
		{
			name:  "push retried after a lost response is shown once",
			setup: func(e env) { e.s.LoseNextResponse(fakeline.PathPush, 1) },
			call: func(e env) error {
				err := e.c.Push(context.Background(), e.user, retryKey, hello)
				if ok, _ := tsunagu.Retryable(err); !ok {
					return err
				}
				return e.c.Push(context.Background(), e.user, retryKey, hello)
			},
			path: fakeline.PathPush, requests: 2,
			delivered: []fakeline.Msg{{Type: "text", Text: hello[0].Text}},
		},
		{
			name:  "push without retry key is refused before sending",
			call:  func(e env) error { return e.c.Push(context.Background(), e.user, "", hello) },
			check: sendErr(0, false, 0),
			path:  fakeline.PathPush,
		},
		{
			name: "six messages are refused before sending",
			call: func(e env) error {
				return e.c.Push(context.Background(), e.user, retryKey, append(append(hello, hello...), ask[0], ask[0], ask[0], ask[0]))
			},
			check: sendErr(0, false, 0),
			path:  fakeline.PathPush,
		},
		{
			name: "fourteen quick replies are refused before sending",
			call: func(e env) error {
				m := tsunagu.Message{Text: "えらんでね"}
				for range 14 {
					m.QuickReplies = append(m.QuickReplies, tsunagu.QuickReply{Label: "a", Data: "a"})
				}
				return e.c.Reply(context.Background(), e.s.IssueReplyToken(e.user), []tsunagu.Message{m})
			},
			check: sendErr(0, false, 0),
			path:  fakeline.PathReply,
		},
		{
			name: "cancelled context sends nothing",
			call: func(e env) error {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return e.c.Push(ctx, e.user, retryKey, hello)
			},
			check: func(t *testing.T, err error) {
				is(context.Canceled)(t, err)
				sendErr(0, true, 0)(t, err)
			},
			path: fakeline.PathPush,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeline.New(t, fakeline.WithChannelToken(channelToken))
			c, err := line.NewClient(channelToken, s.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			e := env{s: s, c: c, user: fakeline.NewUserID()}
			if tc.setup != nil {
				tc.setup(e)
			}
			err = tc.call(e)
			if tc.check == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else {
				tc.check(t, err)
				// Errors never carry what we sent or to whom.
				for _, secret := range []string{e.user, hello[0].Text, ask[0].Text} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q contains %q", err, secret)
					}
				}
			}
			if got := s.Requests(tc.path); got != tc.requests {
				t.Errorf("%d requests to %s, want %d", got, tc.path, tc.requests)
			}
			if got := s.Delivered(e.user); !reflect.DeepEqual(got, tc.delivered) {
				t.Errorf("delivered\n%+v\nwant\n%+v", got, tc.delivered)
			}
		})
	}
}

func TestClientNetworkError(t *testing.T) {
	s := fakeline.New(t)
	c, err := line.NewClient(channelToken, s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // LINE unreachable
	err = c.Push(context.Background(), fakeline.NewUserID(), retryKey, hello)
	var se *tsunagu.SendError
	if !errors.As(err, &se) || !se.Retry || se.Status != 0 {
		t.Errorf("err = %#v, want a retryable SendError without status", err)
	}
}

func TestClientTimeout(t *testing.T) {
	s := fakeline.New(t)
	s.SetLatency(time.Second)
	c, err := line.NewClient(channelToken, s.URL, &http.Client{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Reply(context.Background(), s.IssueReplyToken(fakeline.NewUserID()), hello)
	if ok, _ := tsunagu.Retryable(err); err == nil || !ok {
		t.Errorf("err = %v, want a retryable error", err)
	}
}

func TestQuota(t *testing.T) {
	s := fakeline.New(t)
	c, err := line.NewClient(channelToken, s.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if limit, used, err := c.Quota(ctx); err != nil || limit != line.NoLimit || used != 0 {
		t.Errorf("Quota() = %d, %d, %v; want NoLimit, 0", limit, used, err)
	}
	s.SetQuota(200)
	if err := c.Push(ctx, fakeline.NewUserID(), retryKey, hello); err != nil {
		t.Fatal(err)
	}
	if limit, used, err := c.Quota(ctx); err != nil || limit != 200 || used != 1 {
		t.Errorf("Quota() = %d, %d, %v; want 200, 1", limit, used, err)
	}
	s.FailNext(fakeline.PathQuota, 500, 1)
	if _, _, err := c.Quota(ctx); err == nil {
		t.Error("Quota() after a 500 succeeded")
	}
}

func TestNewClient(t *testing.T) {
	if _, err := line.NewClient("", "", nil); err == nil {
		t.Error("NewClient accepted an empty channel token")
	}
	if _, err := line.NewClient(channelToken, "not a url", nil); err == nil {
		t.Error("NewClient accepted a malformed endpoint")
	}
}
