package slack

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu"
)

// Actions is what the claim and resolve buttons do to an alert: the part
// of Supporters that the first version of the buttons needed. It records
// the change (in Redis) and returns the alert as it now stands. An unknown
// alert is an ENOTFOUND error, an unreachable store EUNAVAILABLE.
type Actions interface {
	ClaimAlert(ctx context.Context, alertID, slackUser string, at time.Time) (*tsunagu.Alert, error)
	ResolveAlert(ctx context.Context, alertID, slackUser string, at time.Time) (*tsunagu.Alert, error)
}

// AlertUpdater rewrites a posted alert; *Notifier is one.
type AlertUpdater interface {
	UpdateAlert(ctx context.Context, a *tsunagu.Alert) error
}

const (
	// maxInteractionBody caps what we read before the signature is checked.
	// A click payload echoes the whole message; with maxAnswerText that is
	// under ~200 KiB even if Slack \u-escapes every Japanese character and
	// the form encoding triples it. Typical clicks are a few KiB.
	maxInteractionBody = 512 << 10
	// slackTimeout bounds our calls to Slack while answering one (chat.update,
	// views.open, chat.postEphemeral), so that the click is acknowledged
	// within Slack's 3 seconds even when Slack is slow to answer us.
	slackTimeout = 2 * time.Second
)

// Interactions handles POST /slack/interactions: supporters' clicks on the
// alert buttons and their submissions of the modals those open.
type Interactions struct {
	secret  string
	actions Actions
	updater AlertUpdater
	// sup and slack are nil in the claim/resolve-only handler of
	// NewInteractions; NewSupporterInteractions sets both.
	sup   Supporters
	slack *Notifier
	log   *slog.Logger
	clock tsunagu.Clock

	// Guard checks every request before it is acted on; nil lets every
	// signed request act (set it in production).
	Guard *Guard
}

// NewSupporterInteractions returns the handler for every alert button —
// claim, unclaim, resolve with a note, reassign, reply to the family,
// detail — and the modals they open. s records each change first; n then
// redraws the alert message, opens modals and answers with ephemeral
// messages, each within Slack's 3 seconds. clock stamps the changes (nil =
// the wall clock); log nil discards. The signature check uses
// slack.NewSecretsVerifier, which compares the request timestamp with the
// wall clock and cannot be given another: tests sign with the real time,
// and a moved clock (tsunagu dev) does not affect it.
func NewSupporterInteractions(signingSecret string, s Supporters, n *Notifier, log *slog.Logger, clock tsunagu.Clock) *Interactions {
	h := newInteractions(signingSecret, s, n, log, clock)
	h.sup, h.slack = s, n
	return h
}

func newInteractions(signingSecret string, a Actions, u AlertUpdater, log *slog.Logger, clock tsunagu.Clock) *Interactions {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		clock = tsunagu.SystemClock
	}
	return &Interactions{secret: signingSecret, actions: a, updater: u, log: log.With("comp", "slack"), clock: clock}
}

func (h *Interactions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := verifiedBody(w, r, h.secret, maxInteractionBody)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		h.log.Warn("slack interaction rejected", "err", err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if fresh, err := h.Guard.fresh(r.Context(), r); err != nil {
		h.log.Error("slack replay check failed", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	} else if !fresh {
		h.log.Warn("slack interaction replayed; ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	ic, err := parseInteraction(body)
	if err != nil {
		h.log.Warn("slack interaction unreadable", "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if h.Guard != nil {
		if ok, why := h.Guard.Access.Workspace(ic.Team.ID, ic.APIAppID); !ok {
			// Nothing is read or told: our token cannot write to another
			// workspace, and the payload is theirs.
			h.Guard.refuse(r.Context(), h.log, requestOf(ic, clickChannel(ic)), "", Action(ic.Type), why, "")
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	switch {
	case ic.Type == slackapi.InteractionTypeBlockActions:
		for _, act := range ic.ActionCallback.BlockActions {
			if status := h.handleAction(r.Context(), ic, act); status != http.StatusOK {
				http.Error(w, http.StatusText(status), status)
				return
			}
		}
	case ic.Type == slackapi.InteractionTypeViewSubmission && h.sup != nil:
		if resp := h.handleSubmission(r.Context(), ic); resp != nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_ = json.NewEncoder(w).Encode(resp)
			return
		}
	}
	// Other kinds (view_closed, shortcuts) are not ours; an empty 200 also
	// closes a submitted modal.
	w.WriteHeader(http.StatusOK)
}

// verifiedBody reads the body, capped at limit, and checks Slack's
// signature over it, including the 5-minute timestamp window that stops
// replays.
func verifiedBody(w http.ResponseWriter, r *http.Request, secret string, limit int64) ([]byte, error) {
	sv, err := slackapi.NewSecretsVerifier(r.Header, secret)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, err
	}
	if _, err := sv.Write(body); err != nil {
		return nil, err
	}
	return body, sv.Ensure()
}

func parseInteraction(body []byte) (*slackapi.InteractionCallback, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	payload := form.Get("payload")
	if payload == "" {
		return nil, errors.New("no payload")
	}
	var ic slackapi.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &ic); err != nil {
		return nil, err
	}
	return &ic, nil
}

// handleAction applies one button click and returns the status to answer.
func (h *Interactions) handleAction(ctx context.Context, ic *slackapi.InteractionCallback, act *slackapi.BlockAction) int {
	ref := parseRef(act.Value)
	user := ic.User.ID
	log := h.log.With("action", act.ActionID, "alert", ref.Alert, "slack_user", user)
	if ref.Alert == "" || user == "" {
		log.Warn("slack action without alert or user")
		return http.StatusOK
	}
	meta := viewMeta{Alert: ref.Alert,
		Channel: cmp.Or(ic.Container.ChannelID, ic.Channel.ID),
		TS:      cmp.Or(ic.Container.MessageTs, ic.Message.Timestamp)}
	if h.Guard != nil {
		do, ok := buttonActions[act.ActionID]
		if !ok {
			return http.StatusOK // a button of another version of us
		}
		a, status := h.allowed(ctx, log, ic, ref.Alert, do)
		if a == nil {
			return status
		}
		// The family is the stored alert's, never what a button says.
		ref.Family, ref.Role = a.FamilyCode, a.Role
	}

	switch {
	case act.ActionID == ActionClaim:
		return h.apply(ctx, log, ic, ref.Alert, user, h.actions.ClaimAlert)
	case act.ActionID == ActionResolve && h.sup == nil:
		return h.apply(ctx, log, ic, ref.Alert, user, h.actions.ResolveAlert)
	case h.sup == nil:
		return http.StatusOK
	case act.ActionID == ActionUnclaim:
		return h.apply(ctx, log, ic, ref.Alert, user, h.sup.UnclaimAlert)
	case act.ActionID == ActionResolve:
		h.openModal(ctx, log, ic, resolveView(meta))
	case act.ActionID == ActionReassign:
		h.openModal(ctx, log, ic, reassignView(meta))
	case act.ActionID == ActionReply:
		h.openModal(ctx, log, ic, replyView(meta, ref))
	case act.ActionID == ActionDetail:
		h.detail(ctx, log, ic, ref)
	}
	// Anything else is a button from a newer or older version of us.
	return http.StatusOK
}

// apply records a claim, unclaim or (old handler) resolve, then redraws
// the message.
func (h *Interactions) apply(ctx context.Context, log *slog.Logger, ic *slackapi.InteractionCallback, alertID, user string,
	do func(context.Context, string, string, time.Time) (*tsunagu.Alert, error)) int {
	a, err := do(ctx, alertID, user, h.clock.Now())
	switch tsunagu.ErrorCode(err) {
	case "":
	case tsunagu.ENOTFOUND, tsunagu.ECONFLICT, tsunagu.EINVALID:
		// Clicking again cannot help (an expired or already-closed alert),
		// and a non-200 would only show the supporter an error icon. When
		// the alert comes back anyway (someone else was first), redraw it so
		// the stale buttons go away.
		log.Info("slack action not applied", "err", err)
		if a == nil {
			return http.StatusOK
		}
	case tsunagu.EUNAVAILABLE:
		log.Error("slack action failed", "err", err)
		return http.StatusServiceUnavailable
	default:
		log.Error("slack action failed", "err", err)
		return http.StatusInternalServerError
	}
	h.redraw(ctx, log, withMessage(a, cmp.Or(ic.Container.ChannelID, ic.Channel.ID), cmp.Or(ic.Container.MessageTs, ic.Message.Timestamp)))
	return http.StatusOK
}

// redraw updates the alert message after a recorded change. The change is
// recorded; the message is only its picture. If chat.update fails we still
// answer 200: the click did work, an error would invite a second click,
// and the next change redraws the message. The update outlives Slack
// hanging up on us, but not slackTimeout.
func (h *Interactions) redraw(ctx context.Context, log *slog.Logger, a *tsunagu.Alert) {
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancel()
	if err := h.updater.UpdateAlert(uctx, a); err != nil {
		log.Error("slack alert update failed; queued to redraw", "err", err)
		if r, ok := h.sup.(Redrawer); ok {
			if err := r.QueueRedraw(uctx, a); err != nil {
				log.Error("could not queue the redraw", "err", err)
			}
		}
	}
}

// Redrawer queues a redraw of an alert's message that failed, so that the
// message does not keep showing an old state.
type Redrawer interface {
	QueueRedraw(ctx context.Context, a *tsunagu.Alert) error
}

// openModal opens v for the clicking supporter. The trigger id is good for
// 3 seconds, so there is no second try; when Slack refuses, the supporter
// is told to click again.
func (h *Interactions) openModal(ctx context.Context, log *slog.Logger, ic *slackapi.InteractionCallback, v slackapi.ModalViewRequest) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancel()
	err := h.slack.openView(sctx, ic.TriggerID, v)
	if err == nil {
		return
	}
	log.Error("slack modal not opened", "err", err)
	h.tell(sctx, log, ic, "画面を開けませんでした。もう一度ボタンを押してください。")
}

// detail shows the family summary to the clicking supporter alone.
func (h *Interactions) detail(ctx context.Context, log *slog.Logger, ic *slackapi.InteractionCallback, ref alertRef) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
	defer cancel()
	if h.Guard != nil && !h.Guard.read(ctx, log, requestOf(ic, clickChannel(ic)), ref.Family, DoDetail) {
		h.tell(sctx, log, ic, "いま読み込めませんでした。少し待ってから、もう一度お試しください。")
		return
	}
	s, err := h.sup.FamilySummary(ctx, ref.Family)
	switch tsunagu.ErrorCode(err) {
	case "":
	case tsunagu.ENOTFOUND:
		log.Info("slack detail: no such family", "err", err)
		h.tell(sctx, log, ic, "家族 "+escape(ref.Family)+" は名簿に見つかりませんでした。")
		return
	default:
		log.Error("slack detail failed", "err", err)
		h.tell(sctx, log, ic, "いま読み込めませんでした。少し待ってから、もう一度お試しください。")
		return
	}
	blocks, fallback := summaryBlocks(s, h.clock.Now(), h.slack.loc())
	if err := h.slack.postEphemeral(sctx, clickChannel(ic), ic.User.ID, blocks, fallback); err != nil {
		log.Error("slack detail not shown", "err", err)
	}
}

// tell shows text to the clicking supporter alone, best effort.
func (h *Interactions) tell(ctx context.Context, log *slog.Logger, ic *slackapi.InteractionCallback, text string) {
	if err := h.slack.postEphemeral(ctx, clickChannel(ic), ic.User.ID,
		[]slackapi.Block{mrkdwnSection("notice", text)}, text); err != nil {
		log.Error("slack ephemeral not shown", "err", err)
	}
}

func clickChannel(ic *slackapi.InteractionCallback) string {
	return cmp.Or(ic.Channel.ID, ic.Container.ChannelID)
}

// handleSubmission applies a submitted modal. It returns nil to close the
// modal (an empty 200), or field errors to keep it open.
func (h *Interactions) handleSubmission(ctx context.Context, ic *slackapi.InteractionCallback) *slackapi.ViewSubmissionResponse {
	v, user := ic.View, ic.User.ID
	meta, ok := parseMeta(v.PrivateMetadata)
	log := h.log.With("view", v.CallbackID, "alert", meta.Alert, "slack_user", user)
	if !ok || user == "" {
		log.Warn("slack submission without alert or user")
		return nil
	}
	if h.Guard != nil {
		if resp := h.guardSubmission(ctx, log, ic, meta); resp != nil {
			return resp
		}
	}
	now := h.clock.Now()
	var (
		a     *tsunagu.Alert
		err   error
		input string // where an error is shown
	)
	switch v.CallbackID {
	case viewResolve:
		input = inputNote
		note := strings.TrimSpace(submitted(v, inputNote).Value)
		if utf8.RuneCountInString(note) > maxNoteText {
			return fieldError(input, fmt.Sprintf("%d文字以内にしてください。", maxNoteText))
		}
		a, err = h.sup.ResolveAlertNote(ctx, meta.Alert, user, note, now)
	case viewReassign:
		input = inputAssignee
		to := submitted(v, inputAssignee).SelectedUser
		if to == "" {
			return fieldError(input, "担当する方を選んでください。")
		}
		a, err = h.sup.ReassignAlert(ctx, meta.Alert, user, to, now)
	case viewReply:
		input = inputReply
		text := strings.TrimSpace(submitted(v, inputReply).Value)
		switch {
		case text == "":
			return fieldError(input, "返信の内容を入力してください。")
		case utf8.RuneCountInString(text) > maxReplyText:
			return fieldError(input, fmt.Sprintf("%d文字以内にしてください。", maxReplyText))
		}
		a, err = h.sup.ReplyToFamily(ctx, meta.Alert, user, text, now)
	default:
		return nil
	}
	if err != nil {
		if code := tsunagu.ErrorCode(err); code == tsunagu.EUNAVAILABLE || code == tsunagu.EINTERNAL {
			log.Error("slack submission failed", "err", err)
		} else {
			log.Info("slack submission not applied", "err", err)
		}
		if a != nil && tsunagu.ErrorCode(err) == tsunagu.ECONFLICT {
			h.redraw(ctx, log, withMessage(a, meta.Channel, meta.TS))
		}
		return fieldError(input, submitErrorText(err))
	}
	h.redraw(ctx, log, withMessage(a, meta.Channel, meta.TS))
	return nil
}

// withMessage fills in where the alert's message is from the click or the
// modal when the stored alert lacks it (e.g. posted before that was
// recorded).
func withMessage(a *tsunagu.Alert, channel, ts string) *tsunagu.Alert {
	if a.Channel != "" && a.TS != "" {
		return a
	}
	c := *a
	c.Channel = cmp.Or(c.Channel, channel)
	c.TS = cmp.Or(c.TS, ts)
	return &c
}
