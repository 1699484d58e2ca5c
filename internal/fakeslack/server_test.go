package fakeslack_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

func client(s *fakeslack.Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(s.APIURL()))
}

func TestAuthTest(t *testing.T) {
	s := fakeslack.New(t)
	ctx := context.Background()

	got, err := client(s, fakeslack.Token).AuthTestContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != fakeslack.BotUserID || got.TeamID != fakeslack.TeamID {
		t.Errorf("auth.test = %+v", got)
	}
	if _, err := client(s, "xoxb-wrong").AuthTestContext(ctx); !isSlackError(err, "invalid_auth") {
		t.Errorf("wrong token: err = %v, want invalid_auth", err)
	}
	if n := s.Calls("auth.test"); n != 2 {
		t.Errorf("Calls = %d, want 2", n)
	}
}

func TestPostAndUpdate(t *testing.T) {
	s := fakeslack.New(t)
	c := client(s, fakeslack.Token)
	ctx := context.Background()

	section := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*家族* F-001", false, false),
		[]*slack.TextBlockObject{slack.NewTextBlockObject(slack.MarkdownType, "field one", false, false)}, nil)
	button := slack.NewButtonBlockElement("claim", "a1", slack.NewTextBlockObject(slack.PlainTextType, "対応します", false, false))
	ch, ts, err := c.PostMessageContext(ctx, fakeslack.Channel,
		slack.MsgOptionText("fallback", false),
		slack.MsgOptionBlocks(section, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, "ctx", false, false)),
			slack.NewActionBlock("act", button)),
		slack.MsgOptionTS("1699999999.000001"))
	if err != nil {
		t.Fatal(err)
	}
	if ch != fakeslack.Channel || ts == "" {
		t.Fatalf("post = %q %q", ch, ts)
	}
	msgs := s.Messages(fakeslack.Channel)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	m := msgs[0]
	if m.TS != ts || m.Text != "fallback" || m.ThreadTS != "1699999999.000001" || m.Updates != 0 {
		t.Errorf("message = %+v", m)
	}
	if got, want := fakeslack.BlocksText(m.Blocks), "*家族* F-001\nfield one\nctx\n対応します"; got != want {
		t.Errorf("BlocksText = %q, want %q", got, want)
	}

	_, _, _, err = c.UpdateMessageContext(ctx, fakeslack.Channel, ts,
		slack.MsgOptionText("updated", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "new", false, false), nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m = s.Messages(fakeslack.Channel)[0]
	if m.Text != "updated" || fakeslack.BlocksText(m.Blocks) != "new" || m.Updates != 1 {
		t.Errorf("after update = %+v", m)
	}

	if _, err := c.PostEphemeralContext(ctx, fakeslack.Channel, "U0SUPPORT", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}
	if e := s.Ephemerals(fakeslack.Channel); len(e) != 1 || e[0].User != "U0SUPPORT" || e[0].Text != "only you" {
		t.Errorf("ephemerals = %+v", e)
	}
	if n := len(s.Messages(fakeslack.Channel)); n != 1 {
		t.Errorf("ephemeral counted as a channel message: %d", n)
	}
}

func TestAPIErrors(t *testing.T) {
	s := fakeslack.New(t)
	ctx := context.Background()
	text := slack.MsgOptionText("hi", false)
	_, ts, err := client(s, fakeslack.Token).PostMessageContext(ctx, fakeslack.Channel, text)
	if err != nil {
		t.Fatal(err)
	}
	tooMany := make([]slack.Block, 51)
	for i := range tooMany {
		tooMany[i] = slack.NewDividerBlock()
	}
	long := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("あ", 3001), false, false), nil, nil)

	tests := []struct {
		name string
		call func(c *slack.Client) error
		want string
	}{
		{"post wrong token", func(c *slack.Client) error {
			_, _, err := client(s, "xoxb-wrong").PostMessageContext(ctx, fakeslack.Channel, text)
			return err
		}, "invalid_auth"},
		{"post no token", func(c *slack.Client) error {
			_, _, err := client(s, "").PostMessageContext(ctx, fakeslack.Channel, text)
			return err
		}, "not_authed"},
		{"post unknown channel", func(c *slack.Client) error {
			_, _, err := c.PostMessageContext(ctx, "C0NOPE", text)
			return err
		}, "channel_not_found"},
		{"post nothing", func(c *slack.Client) error {
			_, _, err := c.PostMessageContext(ctx, fakeslack.Channel)
			return err
		}, "no_text"},
		{"post 51 blocks", func(c *slack.Client) error {
			_, _, err := c.PostMessageContext(ctx, fakeslack.Channel, slack.MsgOptionBlocks(tooMany...))
			return err
		}, "invalid_blocks"},
		{"post long section", func(c *slack.Client) error {
			_, _, err := c.PostMessageContext(ctx, fakeslack.Channel, slack.MsgOptionBlocks(long))
			return err
		}, "invalid_blocks"},
		{"update unknown ts", func(c *slack.Client) error {
			_, _, _, err := c.UpdateMessageContext(ctx, fakeslack.Channel, "1.000000", text)
			return err
		}, "message_not_found"},
		{"update unknown channel", func(c *slack.Client) error {
			_, _, _, err := c.UpdateMessageContext(ctx, "C0NOPE", ts, text)
			return err
		}, "channel_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(client(s, fakeslack.Token)); !isSlackError(err, tt.want) {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
	if n := len(s.Messages(fakeslack.Channel)); n != 1 {
		t.Errorf("failed calls recorded messages: %d", n)
	}
}

func TestFailNext(t *testing.T) {
	s := fakeslack.New(t)
	c := client(s, fakeslack.Token)
	ctx := context.Background()
	post := func() error {
		_, _, err := c.PostMessageContext(ctx, fakeslack.Channel, slack.MsgOptionText("hi", false))
		return err
	}

	s.FailNext("chat.postMessage", 1, http.StatusTooManyRequests, 1500*time.Millisecond)
	s.FailNext("chat.postMessage", 1, http.StatusServiceUnavailable, 0)

	var rl *slack.RateLimitedError
	if err := post(); !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Errorf("first post: err = %v, want RateLimitedError after 2s (rounded up)", err)
	}
	var sc slack.StatusCodeError
	if err := post(); !errors.As(err, &sc) || sc.Code != http.StatusServiceUnavailable {
		t.Errorf("second post: err = %v, want 503", err)
	}
	if err := post(); err != nil {
		t.Errorf("third post: %v", err)
	}
	if n, m := s.Calls("chat.postMessage"), len(s.Messages(fakeslack.Channel)); n != 3 || m != 1 {
		t.Errorf("calls = %d, messages = %d; want 3, 1", n, m)
	}
}

func TestSignedBlockAction(t *testing.T) {
	const secret = "signing-secret"
	at := time.Now()
	form := fakeslack.BlockActionForm(fakeslack.Click{
		UserID: "U0SUPPORT", MessageTS: "1700000001.000001", ActionID: "claim", BlockID: "alert", Value: "al-1",
	})
	req := fakeslack.SignedRequest("http://example.test/slack/interactions", secret, form, at)

	sv, err := slack.NewSecretsVerifier(req.Header, secret)
	if err != nil {
		t.Fatal(err)
	}
	body := form.Encode()
	sv.Write([]byte(body))
	if err := sv.Ensure(); err != nil {
		t.Fatalf("signature rejected: %v", err)
	}

	ic, err := slack.InteractionCallbackParse(req)
	if err != nil {
		t.Fatal(err)
	}
	if ic.Type != slack.InteractionTypeBlockActions || ic.User.ID != "U0SUPPORT" || ic.Channel.ID != fakeslack.Channel ||
		ic.Container.ChannelID != fakeslack.Channel || ic.Container.MessageTs != "1700000001.000001" ||
		ic.Message.Timestamp != "1700000001.000001" || ic.ResponseURL == "" {
		t.Errorf("callback = %+v", ic)
	}
	if len(ic.ActionCallback.BlockActions) != 1 {
		t.Fatalf("actions = %+v", ic.ActionCallback)
	}
	if a := ic.ActionCallback.BlockActions[0]; a.ActionID != "claim" || a.BlockID != "alert" || a.Value != "al-1" || a.Type != "button" {
		t.Errorf("action = %+v", a)
	}
}

func isSlackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}

func TestThreadsAndRequests(t *testing.T) {
	s := fakeslack.New(t)
	c := client(s, fakeslack.Token)
	ctx := context.Background()
	_, root, err := c.PostMessageContext(ctx, fakeslack.Channel, slack.MsgOptionText("root", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.PostMessageContext(ctx, fakeslack.Channel, slack.MsgOptionText("reply", false),
		slack.MsgOptionTS(root), slack.MsgOptionBroadcast()); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages(fakeslack.Channel)
	if len(msgs) != 2 || msgs[0].ThreadTS != "" || msgs[0].ReplyBroadcast || msgs[1].ThreadTS != root || !msgs[1].ReplyBroadcast {
		t.Errorf("messages = %+v", msgs)
	}
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[1].Method != "chat.postMessage" || !strings.Contains(reqs[1].Body, "reply_broadcast=true") {
		t.Errorf("requests = %+v", reqs)
	}
}

func modalRequest(title string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: "reply", PrivateMetadata: `{"alert":"al-1"}`,
		Title:  slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "送信", false, false),
		Blocks: slack.Blocks{BlockSet: blocks},
	}
}

func TestViews(t *testing.T) {
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	text := slack.NewInputBlock("reply_text", pt("返信の内容"), nil,
		slack.NewPlainTextInputBlockElement(nil, "reply_text").WithMultiline(true).WithMaxLength(1000))
	user := slack.NewInputBlock("assignee", pt("担当"), nil, slack.NewOptionsSelectBlockElement(slack.OptTypeUser, nil, "assignee"))
	intro := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*宛先:* F-1", false, false), nil, nil)

	s := fakeslack.New(t)
	c := client(s, fakeslack.Token)
	ctx := context.Background()
	if _, err := c.OpenViewContext(ctx, "trigger-1", modalRequest("LINEで返信", intro, text, user)); err != nil {
		t.Fatal(err)
	}
	views := s.Views()
	if len(views) != 1 || views[0].TriggerID != "trigger-1" || views[0].CallbackID != "reply" ||
		views[0].PrivateMetadata != `{"alert":"al-1"}` || views[0].Title != "LINEで返信" || views[0].ID == "" {
		t.Fatalf("views = %+v", views)
	}
	if got := views[0].Text(); got != "LINEで返信\n*宛先:* F-1\n返信の内容\n担当" {
		t.Errorf("Text = %q", got)
	}

	// The submission reads back through slack-go as Slack's would.
	form := fakeslack.ViewSubmissionForm("U0SUPPORT", views[0], map[string]string{"reply_text": "げんき？", "assignee": "U0OTHER"})
	req := fakeslack.SignedRequest("http://example.test/slack/interactions", "secret", form, time.Now())
	ic, err := slack.InteractionCallbackParse(req)
	if err != nil {
		t.Fatal(err)
	}
	v := ic.View
	if ic.Type != slack.InteractionTypeViewSubmission || ic.User.ID != "U0SUPPORT" || v.CallbackID != "reply" ||
		v.PrivateMetadata != `{"alert":"al-1"}` || v.State == nil ||
		v.State.Values["reply_text"]["reply_text"].Value != "げんき？" ||
		v.State.Values["assignee"]["assignee"].SelectedUser != "U0OTHER" {
		t.Errorf("submission = %+v", ic)
	}
	empty := fakeslack.ViewSubmissionForm("U0SUPPORT", views[0], nil)
	ic, err = slack.InteractionCallbackParse(fakeslack.SignedRequest("http://example.test/", "secret", empty, time.Now()))
	if err != nil || ic.View.State.Values["reply_text"]["reply_text"].Value != "" {
		t.Errorf("empty submission: %v %+v", err, ic.View.State)
	}

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"no trigger", func() error { // slack-go refuses it itself; a raw request reaches the fake
			req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"views.open",
				strings.NewReader(`{"trigger_id":"","view":{"type":"modal","title":{"type":"plain_text","text":"t"},"blocks":[]}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+fakeslack.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return errors.New(string(b))
		}, `"error":"invalid_trigger_id"`},
		{"title over 24", func() error {
			_, err := c.OpenViewContext(ctx, "t", modalRequest(strings.Repeat("あ", 25), intro))
			return err
		}, "invalid_arguments"},
		{"input without label", func() error {
			_, err := c.OpenViewContext(ctx, "t", modalRequest("t", slack.NewInputBlock("x", nil, nil, slack.NewPlainTextInputBlockElement(nil, "x"))))
			return err
		}, "invalid_arguments"},
		{"max_length over 3000", func() error {
			_, err := c.OpenViewContext(ctx, "t", modalRequest("t", slack.NewInputBlock("x", pt("x"), nil,
				slack.NewPlainTextInputBlockElement(nil, "x").WithMaxLength(3001))))
			return err
		}, "invalid_arguments"},
		{"wrong token", func() error {
			_, err := client(s, "xoxb-wrong").OpenViewContext(ctx, "t", modalRequest("t", intro))
			return err
		}, "invalid_auth"},
		{"failure on demand", func() error {
			s.FailNext("views.open", 1, 500, 0)
			_, err := c.OpenViewContext(ctx, "t", modalRequest("t", intro))
			return err
		}, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
	if n := len(s.Views()); n != 1 {
		t.Errorf("refused views recorded: %d", n)
	}
}

func TestViewSubmissionFormUnknownInput(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("typing into a field the view lacks did not panic")
		}
	}()
	fakeslack.ViewSubmissionForm("U0", fakeslack.View{JSON: []byte(`{"type":"modal","blocks":[]}`)}, map[string]string{"nope": "x"})
}

func TestCommandForm(t *testing.T) {
	const secret = "signing-secret"
	req := fakeslack.SignedRequest("http://example.test/slack/commands", secret,
		fakeslack.CommandForm("/tsunagu", "pause F-0012", "U0SUPPORT", ""), time.Now())
	sv, err := slack.NewSecretsVerifier(req.Header, secret)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	sv.Write(body)
	if err := sv.Ensure(); err != nil {
		t.Fatalf("signature rejected: %v", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	sc, err := slack.SlashCommandParse(req)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Command != "/tsunagu" || sc.Text != "pause F-0012" || sc.UserID != "U0SUPPORT" || sc.ChannelID != fakeslack.Channel || sc.TeamID != fakeslack.TeamID {
		t.Errorf("command = %+v", sc)
	}
}

func TestValidateBlocks(t *testing.T) {
	if err := fakeslack.ValidateBlocks([]byte(`[{"type":"section","text":{"type":"mrkdwn","text":"ok"}}]`)); err != nil {
		t.Error(err)
	}
	if err := fakeslack.ValidateBlocks([]byte(`[{"type":"section","text":{"type":"mrkdwn","text":""}}]`)); err == nil {
		t.Error("empty section accepted")
	}
}
