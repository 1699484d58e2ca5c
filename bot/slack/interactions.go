package slack

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu"
)

// Actions is what supporters' buttons do to an alert. It records the change
// (in Redis) and returns the alert as it now stands. An unknown alert is an
// ENOTFOUND error, an unreachable store EUNAVAILABLE.
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
	// updateTimeout bounds chat.update so the click is acknowledged within
	// Slack's 3 seconds even when Slack is slow to answer us.
	updateTimeout = 2 * time.Second
)

// Interactions handles POST /slack/interactions: supporters' clicks on the
// alert buttons.
type Interactions struct {
	secret  string
	actions Actions
	updater AlertUpdater
	log     *slog.Logger
	clock   tsunagu.Clock
}

// NewInteractions returns the handler. clock stamps claims and resolutions
// (nil = the wall clock); log nil discards. The signature check itself uses
// slack.NewSecretsVerifier, which compares the request timestamp with the
// wall clock (time.Since) and has no way to inject another: tests sign
// requests with the real time, and a moved clock (tsunagu dev) does not
// affect it.
func NewInteractions(signingSecret string, a Actions, u AlertUpdater, log *slog.Logger, clock tsunagu.Clock) *Interactions {
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
	body, err := h.verifiedBody(w, r)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		h.log.Warn("slack interaction rejected", "err", err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	ic, err := parseInteraction(body)
	if err != nil {
		h.log.Warn("slack interaction unreadable", "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if ic.Type != slackapi.InteractionTypeBlockActions {
		w.WriteHeader(http.StatusOK) // other kinds are not ours (yet)
		return
	}
	for _, act := range ic.ActionCallback.BlockActions {
		if status := h.handleAction(r.Context(), ic, act); status != http.StatusOK {
			http.Error(w, http.StatusText(status), status)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// verifiedBody reads the capped body and checks Slack's signature over it,
// including the 5-minute timestamp window that stops replays.
func (h *Interactions) verifiedBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	sv, err := slackapi.NewSecretsVerifier(r.Header, h.secret)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteractionBody))
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
	var do func(context.Context, string, string, time.Time) (*tsunagu.Alert, error)
	switch act.ActionID {
	case ActionClaim:
		do = h.actions.ClaimAlert
	case ActionResolve:
		do = h.actions.ResolveAlert
	default:
		return http.StatusOK // a button from a newer or older version of us
	}
	alertID, user := act.Value, ic.User.ID
	log := h.log.With("action", act.ActionID, "alert", alertID, "slack_user", user)
	if alertID == "" || user == "" {
		log.Warn("slack action without alert or user")
		return http.StatusOK
	}

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

	// The change is recorded; the message is only its picture. If chat.update
	// fails we still answer 200: the click did work, an error would invite a
	// second click, and the next change (or the digest) redraws the message.
	// The update outlives Slack hanging up on us, but not updateTimeout.
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), updateTimeout)
	defer cancel()
	if err := h.updater.UpdateAlert(uctx, withMessage(a, ic)); err != nil {
		log.Error("slack alert update failed", "err", err)
	}
	return http.StatusOK
}

// withMessage fills in where the alert's message is from the click itself
// when the stored alert lacks it (e.g. posted before that was recorded).
func withMessage(a *tsunagu.Alert, ic *slackapi.InteractionCallback) *tsunagu.Alert {
	if a.Channel != "" && a.TS != "" {
		return a
	}
	c := *a
	if c.Channel == "" {
		c.Channel = cmp.Or(ic.Container.ChannelID, ic.Channel.ID)
	}
	if c.TS == "" {
		c.TS = cmp.Or(ic.Container.MessageTs, ic.Message.Timestamp)
	}
	return &c
}
