package slack

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
	"golang.org/x/text/unicode/norm"

	"github.com/tsunagu/tsunagu"
)

// maxCommandBody caps a slash command request; Slack's are well under
// 2 KiB, the text itself at most 4,000 characters.
const maxCommandBody = 64 << 10

// Commands handles POST /slack/commands: /tsunagu CODE, pause, resume,
// send and help. It answers in the HTTP response (no Slack API call), so
// it needs no token and no channel membership.
type Commands struct {
	secret string
	sup    Supporters
	log    *slog.Logger
	clock  tsunagu.Clock

	// Location is the time zone of dates in summaries; NewCommands sets
	// Asia/Tokyo. Set it before use to follow TSUNAGU_TIMEZONE.
	Location *time.Location
	// Guard checks every command before it is carried out; nil lets every
	// signed request act (set it in production).
	Guard *Guard
}

// NewCommands returns the slash command handler. Requests are checked
// with slack.NewSecretsVerifier like interactions (5 minutes at most, wall
// clock). clock dates summaries (nil = the wall clock); log nil discards.
func NewCommands(signingSecret string, s Supporters, log *slog.Logger, clock tsunagu.Clock) *Commands {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		clock = tsunagu.SystemClock
	}
	return &Commands{secret: signingSecret, sup: s, log: log.With("comp", "slack"), clock: clock, Location: tokyo()}
}

// commandResponse is the body of a slash command's answer
// (docs.slack.dev/interactivity/implementing-slash-commands).
type commandResponse struct {
	ResponseType string           `json:"response_type"` // ephemeral or in_channel
	Text         string           `json:"text"`
	Blocks       []slackapi.Block `json:"blocks,omitempty"`
}

func ephemeral(text string) *commandResponse {
	return &commandResponse{ResponseType: slackapi.ResponseTypeEphemeral, Text: text,
		Blocks: []slackapi.Block{mrkdwnSection("command_text", text)}}
}

// inChannel is for changes of what families receive (pause, resume, send):
// the channel is the shared record, so colleagues from every organisation
// see who changed what, and nobody pauses or sends twice. Such answers
// hold a family code and a mention, no more.
func inChannel(text string) *commandResponse {
	r := ephemeral(text)
	r.ResponseType = slackapi.ResponseTypeInChannel
	return r
}

func (c *Commands) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := verifiedBody(w, r, c.secret, maxCommandBody)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		c.log.Warn("slack command rejected", "err", err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if fresh, err := c.Guard.fresh(r.Context(), r); err != nil {
		c.log.Error("slack replay check failed", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	} else if !fresh {
		c.log.Warn("slack command replayed; ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sc, err := slackapi.SlashCommandParse(r)
	if err != nil {
		c.log.Warn("slack command unreadable", "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var resp *commandResponse
	if c.Guard != nil {
		if ok, why := c.Guard.Access.Workspace(sc.TeamID, sc.APIAppID); !ok {
			c.Guard.refuse(r.Context(), c.log, commandRequest(sc), "", "command", why, "")
			resp = ephemeral(refusedText)
		}
	}
	if resp == nil {
		resp = c.run(r.Context(), sc)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(resp)
}

// run carries out one command. Whatever goes wrong, the supporter gets a
// message, never Slack's bare "failed with the error".
func (c *Commands) run(ctx context.Context, sc slackapi.SlashCommand) *commandResponse {
	name := cmp.Or(sc.Command, "/tsunagu")
	args := strings.Fields(norm.NFKC.String(sc.Text))
	if len(args) == 0 {
		return c.help(name, "")
	}
	sub := strings.ToLower(args[0])
	log := c.log.With("command", sub, "slack_user", sc.UserID)
	switch {
	case sub == "help" || sub == "ヘルプ" || sub == "使い方":
		return c.help(name, "")
	case (sub == "pause" || sub == "resume") && len(args) == 2:
		code, bad := familyCode(args[1], name)
		if bad != nil {
			return bad
		}
		paused := sub == "pause"
		if no := c.refused(ctx, log, sc, code, Action(sub)); no != nil {
			return no
		}
		if err := c.sup.PauseFamily(ctx, code, sc.UserID, paused); err != nil {
			return c.failed(log, err, code, name)
		}
		if paused {
			return inChannel("⏸ " + mention(sc.UserID) + " が " + code + " の定期チェックインを一時停止しました。再開するには `" + name + " resume " + code + "`")
		}
		return inChannel("▶️ " + mention(sc.UserID) + " が " + code + " の定期チェックインを再開しました。")
	case sub == "send" && (len(args) == 3 || len(args) == 4 && args[3] == "replace"):
		flow := strings.ToLower(args[1])
		code, bad := familyCode(args[2], name)
		if bad != nil {
			return bad
		}
		if no := c.refused(ctx, log, sc, code, DoSend); no != nil {
			return no
		}
		said, err := c.sup.SendFlow(ctx, flow, code, sc.UserID, len(args) == 4)
		if err != nil {
			return c.failed(log, err, code, name)
		}
		return inChannel("📨 " + mention(sc.UserID) + ": " + escape(said))
	case len(args) == 1 && looksLikeCode(args[0]):
		code, bad := familyCode(args[0], name)
		if bad != nil {
			return bad
		}
		if no := c.refused(ctx, log, sc, code, DoSummary); no != nil {
			return no
		}
		if c.Guard != nil && !c.Guard.read(ctx, log, commandRequest(sc), code, DoSummary) {
			return ephemeral("いま読み込めませんでした。少し待ってから、もう一度お試しください。")
		}
		s, err := c.sup.FamilySummary(ctx, code)
		if err != nil {
			return c.failed(log, err, code, name)
		}
		blocks, fallback := summaryBlocks(s, c.clock.Now(), cmp.Or(c.Location, time.UTC))
		return &commandResponse{ResponseType: slackapi.ResponseTypeEphemeral, Text: fallback, Blocks: blocks}
	case sub == "pause" || sub == "resume" || sub == "send":
		return c.help(name, "書き方が違うようです。")
	default:
		return c.help(name, "「"+escape(truncate(sc.Text, 50))+"」はわかりませんでした。")
	}
}

func (c *Commands) help(name, first string) *commandResponse {
	lines := []string{
		"*つなぐ の使い方*",
		"• `" + name + " F-0012` — 家族の様子（メンバー、最近の回答、未回答、アラート）",
		"• `" + name + " pause F-0012` — 定期チェックインを一時停止",
		"• `" + name + " resume F-0012` — 一時停止を解除",
		"• `" + name + " send FLOW F-0012 [replace]` — チェックインを今すぐ送る（LINEの送信数を使います。回答中のものは replace をつけると未回答で終えて送り直します）",
		"• `" + name + " help` — この説明",
	}
	if first != "" {
		lines = append([]string{first}, lines...)
	}
	return ephemeral(strings.Join(lines, "\n"))
}

// failed turns a Supporters error into a message for the supporter alone.
func (c *Commands) failed(log *slog.Logger, err error, code, name string) *commandResponse {
	switch tsunagu.ErrorCode(err) {
	case tsunagu.ENOTFOUND:
		log.Info("slack command: not found", "err", err)
		return ephemeral("見つかりませんでした: " + escape(tsunagu.ErrorMessage(err)) +
			"\n家族コード（例: F-0012）とフロー名を確かめてください。`" + name + " help` で使い方を表示します。")
	case tsunagu.EINVALID, tsunagu.ECONFLICT:
		log.Info("slack command not applied", "err", err)
		return ephemeral(code + ": できませんでした: " + escape(tsunagu.ErrorMessage(err)))
	default:
		log.Error("slack command failed", "err", err)
		return ephemeral("いま処理できませんでした。少し待ってから、もう一度お試しください。")
	}
}

// dashes are what people type for "-" in a family code with a Japanese
// keyboard that NFKC leaves alone: hyphens, dashes, the minus sign and the
// long vowel mark ー (after NFKC, half-width ｰ is ー too).
var dashes = strings.NewReplacer("‐", "-", "‑", "-", "‒", "-", "–", "-", "—", "-", "―", "-", "−", "-", "ー", "-")

// looksLikeCode tells a family code from a misspelt subcommand: codes have
// a digit, subcommands do not.
func looksLikeCode(s string) bool { return strings.ContainsAny(s, "0123456789") }

// familyCode normalises what was typed (already NFKC, so full-width
// Ｆ－００１２ is F-0012 by now) into a roster code, or says why it cannot be
// one.
func familyCode(s, name string) (string, *commandResponse) {
	code := strings.ToUpper(dashes.Replace(s))
	if !tsunagu.ValidFamilyCode(code) {
		return "", ephemeral("「" + escape(truncate(s, 40)) + "」は家族コードの形ではありません。例: `" + name + " F-0012`")
	}
	return code, nil
}

func commandRequest(sc slackapi.SlashCommand) Request {
	return Request{Team: sc.TeamID, App: sc.APIAppID, User: sc.UserID, Channel: sc.ChannelID, Via: ViaCommand}
}

// refused asks Access whether the command's user may do act to the family
// from this channel; nil means yes. A refusal is recorded and answered
// with refusedText alone, the same for a family of another organisation
// as for none.
func (c *Commands) refused(ctx context.Context, log *slog.Logger, sc slackapi.SlashCommand, code string, act Action) *commandResponse {
	if c.Guard == nil {
		return nil
	}
	r := commandRequest(sc)
	tags, err := c.Guard.tagsOf(ctx, code)
	if err != nil {
		log.Error("slack access: family lookup failed", "err", err)
		return ephemeral("いま処理できませんでした。少し待ってから、もう一度お試しください。")
	}
	if d := c.Guard.Access.Decide(ctx, r, tags, "", act); !d.Allowed {
		c.Guard.refuse(ctx, log, r, code, act, d.Reason, "")
		return ephemeral(refusedText)
	}
	return nil
}
