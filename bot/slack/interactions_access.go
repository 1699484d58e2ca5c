package slack

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"

	slackapi "github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu"
)

// buttonActions maps the alert buttons to what they do to the family.
var buttonActions = map[string]Action{
	ActionClaim: DoClaim, ActionUnclaim: DoUnclaim, ActionResolve: DoResolve,
	ActionReassign: DoReassign, ActionReply: DoReply, ActionDetail: DoDetail,
}

// viewActions maps the modals to what submitting them does, and the input
// a refusal is shown under.
var viewActions = map[string]struct {
	act   Action
	input string
}{
	viewResolve:  {DoResolve, inputNote},
	viewReassign: {DoReassign, inputAssignee},
	viewReply:    {DoReply, inputReply},
}

const notFoundText = "このアラートは見つかりませんでした。古いアラートかもしれません。"

// requestOf is who sent an interaction, from channel.
func requestOf(ic *slackapi.InteractionCallback, channel string) Request {
	return Request{Team: ic.Team.ID, App: ic.APIAppID, User: ic.User.ID, Channel: channel, Via: ViaAlert}
}

// checked is an alert a request may act on, with its family's tags.
type checked struct {
	alert *tsunagu.Alert
	tags  []string
}

// check asks Access whether r may do act to the alert's family, from the
// stored alert (its family and the channel it was posted to), never from
// what the request says. When not, it returns the HTTP status to answer
// and, if the supporter should be told something, what; a refusal is
// recorded.
func (h *Interactions) check(ctx context.Context, log *slog.Logger, r Request, alertID string, act Action) (c *checked, status int, tell string) {
	g := h.Guard
	a, err := g.Lookup.Alert(ctx, alertID)
	switch tsunagu.ErrorCode(err) {
	case "":
	case tsunagu.ENOTFOUND:
		log.Info("slack action on an unknown alert")
		return nil, http.StatusOK, notFoundText
	default:
		log.Error("slack access: alert lookup failed", "err", err)
		return nil, http.StatusServiceUnavailable, ""
	}
	tags, err := g.tagsOf(ctx, a.FamilyCode)
	if err != nil {
		log.Error("slack access: family lookup failed", "err", err)
		return nil, http.StatusServiceUnavailable, ""
	}
	if d := g.Access.Decide(ctx, r, tags, a.Channel, act); !d.Allowed {
		g.refuse(ctx, log, r, a.FamilyCode, act, d.Reason, "alert "+a.ID)
		return nil, http.StatusOK, refusedText
	}
	return &checked{alert: a, tags: tags}, http.StatusOK, ""
}

// allowed is check for a click: a refusal is told in an ephemeral message.
func (h *Interactions) allowed(ctx context.Context, log *slog.Logger, ic *slackapi.InteractionCallback, alertID string, act Action) (*tsunagu.Alert, int) {
	c, status, tell := h.check(ctx, log, requestOf(ic, clickChannel(ic)), alertID, act)
	if c == nil {
		if tell != "" && h.slack != nil {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), slackTimeout)
			defer cancel()
			h.tell(sctx, log, ic, tell)
		}
		return nil, status
	}
	return c.alert, status
}

// guardSubmission checks a modal submission as its click was checked: the
// channel is the alert's message the modal was opened from. A reassignment
// must name a supporter of the family's organisation. It returns nil to go
// on, or the answer that keeps the modal open with why not.
func (h *Interactions) guardSubmission(ctx context.Context, log *slog.Logger, ic *slackapi.InteractionCallback, meta viewMeta) *slackapi.ViewSubmissionResponse {
	va, ok := viewActions[ic.View.CallbackID]
	if !ok {
		return nil // not ours: handleSubmission ignores it
	}
	r := requestOf(ic, meta.Channel)
	c, _, tell := h.check(ctx, log, r, meta.Alert, va.act)
	if c == nil {
		return fieldError(va.input, cmp.Or(tell, "いま確かめられませんでした。少し待ってから、もう一度お試しください。"))
	}
	if va.act != DoReassign {
		return nil
	}
	to := submitted(ic.View, inputAssignee).SelectedUser
	if to == "" {
		return nil // handleSubmission asks for one
	}
	ok, err := h.Guard.Access.MayBeAssigned(ctx, to, c.tags)
	if err != nil || !ok {
		h.Guard.refuse(ctx, log, r, c.alert.FamilyCode, DoReassign, ReasonAssignee, "alert "+c.alert.ID+"; to "+to)
		return fieldError(va.input, "この方には担当を変更できません。同じ団体の支援者を選んでください。")
	}
	return nil
}
