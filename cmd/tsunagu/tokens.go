package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
	goslack "github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu/config"
)

// lineBotInfo asks LINE who the channel access token belongs to. status is
// the HTTP status (0 when LINE was not reached).
func lineBotInfo(c *config.Config, hc *http.Client) (info *messaging_api.BotInfoResponse, status int, err error) {
	api, err := lineAPI(c, hc)
	if err != nil {
		return nil, 0, err
	}
	res, info, err := api.GetBotInfoWithHttpInfo()
	if res != nil {
		status = res.StatusCode
	}
	return info, status, err
}

func lineAPI(c *config.Config, hc *http.Client) (*messaging_api.MessagingApiAPI, error) {
	opts := []messaging_api.MessagingApiAPIOption{messaging_api.WithHTTPClient(hc)}
	if c.LINE.APIURL != "" {
		opts = append(opts, messaging_api.WithEndpoint(c.LINE.APIURL))
	}
	return messaging_api.NewMessagingApiAPI(c.LINE.ChannelToken, opts...)
}

// slackAuth calls auth.test and returns the bot's identity and the token's
// scopes (Slack's X-OAuth-Scopes header, which slack-go does not expose,
// read by the transport).
func slackAuth(ctx context.Context, c *config.Config, hc *http.Client) (*goslack.AuthTestResponse, []string, error) {
	rec := &scopeRecorder{next: hc.Transport}
	if rec.next == nil {
		rec.next = http.DefaultTransport
	}
	client := *hc
	client.Transport = rec
	api := slackAPI(c, &client)
	res, err := api.AuthTestContext(ctx)
	return res, rec.scopes(), err
}

func slackAPI(c *config.Config, hc *http.Client) *goslack.Client {
	opts := []goslack.Option{goslack.OptionHTTPClient(hc)}
	if c.Slack.APIURL != "" {
		opts = append(opts, goslack.OptionAPIURL(c.Slack.APIURL))
	}
	return goslack.New(c.Slack.BotToken, opts...)
}

// scopeRecorder keeps the X-OAuth-Scopes header of the last answer.
type scopeRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	last string
}

func (s *scopeRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := s.next.RoundTrip(r)
	if res != nil {
		s.mu.Lock()
		s.last = res.Header.Get("X-OAuth-Scopes")
		s.mu.Unlock()
	}
	return res, err
}

func (s *scopeRecorder) scopes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, sc := range strings.Split(s.last, ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			out = append(out, sc)
		}
	}
	return out
}

// slackRejected reports whether Slack refused the token itself (as
// opposed to being unreachable).
func slackRejected(err error) bool {
	var se goslack.SlackErrorResponse
	if errors.As(err, &se) {
		err = errors.New(se.Err)
	}
	if err == nil {
		return false
	}
	switch err.Error() {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission":
		return true
	}
	return false
}

// tokenWatch checks in the background, every so often, that LINE and Slack
// still accept the tokens, so that /readyz reports a rejected token
// (revoked, rotated, mistyped) instead of the service answering webhooks
// while every reply goes to the dead-letter stream. A service that cannot
// reach them keeps its last verdict: that is an outage, not a bad token.
type tokenWatch struct {
	cfg   *config.Config
	hc    *http.Client
	every time.Duration
	log   *slog.Logger

	mu       sync.Mutex
	problems map[string]string // by service: why it is not ready
}

// check asks both services once.
func (w *tokenWatch) check(ctx context.Context) {
	_, status, err := lineBotInfo(w.cfg, w.hc)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		w.set("line", "LINE rejected TSUNAGU_LINE_CHANNEL_TOKEN")
	case err == nil:
		w.set("line", "")
	default:
		w.log.Warn("cannot check the LINE token", "err", err)
	}
	_, _, err = slackAuth(ctx, w.cfg, w.hc)
	switch {
	case slackRejected(err):
		w.set("slack", "Slack rejected TSUNAGU_SLACK_BOT_TOKEN")
	case err == nil:
		w.set("slack", "")
	default:
		w.log.Warn("cannot check the Slack token", "err", err)
	}
}

func (w *tokenWatch) set(service, problem string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.problems == nil {
		w.problems = map[string]string{}
	}
	if problem != "" && w.problems[service] == "" {
		w.log.Error("token rejected: not ready", "service", service)
	}
	w.problems[service] = problem
}

// problem is why the tokens make the service not ready, "" when they do
// not.
func (w *tokenWatch) problem() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, s := range []string{"line", "slack"} {
		if p := w.problems[s]; p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

// run checks now and then every w.every until ctx ends.
func (w *tokenWatch) run(ctx context.Context) {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		w.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
