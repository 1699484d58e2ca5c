// Package desk is the supporters' desk: what supporters do from Slack —
// claim, unclaim, resolve, reassign, reply to a member, read a family's
// summary, pause, send a check-in — and the jobs that serve them: the
// escalation of an urgent alert nobody claimed, the support-status report
// and the weekly digest.
package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// Desk is what supporters do from Slack (bot/slack.Supporters) and the
// jobs that serve them. Each action records the change in Redis first; the
// Slack edge then redraws the message.
type Desk struct {
	Store *storage.Store
	Flows *bot.FlowSet
	// Bot is the member conversation: a reply to a member, or a check-in
	// sent from Slack, goes through it.
	Bot      *bot.Bot
	Clock    tsunagu.Clock
	Log      *slog.Logger
	Location *time.Location // for dates people read; nil for UTC
	Metrics  *bot.Metrics   // nil counts nothing
}

func (d *Desk) location() *time.Location {
	if d.Location == nil {
		return time.UTC
	}
	return d.Location
}

// ClaimAlert records that a supporter took an alert on; it stops its
// escalation.
func (d *Desk) ClaimAlert(ctx context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return d.audited(ctx, user, tsunagu.AuditClaimed, at)(d.Store.ClaimAlert(ctx, id, user, at))
}

// audited records a supporter's action on an alert in the audit log, once
// it is done: who, when, which family and alert. The action stands even
// if the record fails (it is logged): undoing a claim would help nobody.
func (d *Desk) audited(ctx context.Context, user, action string, at time.Time) func(*tsunagu.Alert, error) (*tsunagu.Alert, error) {
	return func(a *tsunagu.Alert, err error) (*tsunagu.Alert, error) {
		if err == nil && a != nil {
			d.audit(ctx, tsunagu.AuditEntry{At: at, By: user, Action: action, Family: a.FamilyCode, Detail: "alert " + a.ID})
		}
		return a, err
	}
}

func (d *Desk) audit(ctx context.Context, e tsunagu.AuditEntry) {
	if err := d.Store.Audit(ctx, e); err != nil {
		d.Log.Error("audit record failed", "action", e.Action, "family", e.Family, "err", err)
	}
}

// QueueRedraw queues a redraw of an alert's message (one that failed).
func (d *Desk) QueueRedraw(ctx context.Context, a *tsunagu.Alert) error {
	return d.Store.QueueRedraw(ctx, a)
}

// UnclaimAlert reopens a claimed alert.
func (d *Desk) UnclaimAlert(ctx context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return d.audited(ctx, user, "unclaimed", at)(d.Store.UnclaimAlert(ctx, id, user, at))
}

// ResolveAlert resolves an alert with no note.
func (d *Desk) ResolveAlert(ctx context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return d.audited(ctx, user, tsunagu.AuditResolved, at)(d.Store.ResolveAlertNote(ctx, id, user, "", at))
}

// ResolveAlertNote resolves an alert with a note of what was done.
func (d *Desk) ResolveAlertNote(ctx context.Context, id, user, note string, at time.Time) (*tsunagu.Alert, error) {
	return d.audited(ctx, user, tsunagu.AuditResolved, at)(d.Store.ResolveAlertNote(ctx, id, user, strings.TrimSpace(note), at))
}

// ReassignAlert hands an alert to another supporter.
func (d *Desk) ReassignAlert(ctx context.Context, id, by, to string, at time.Time) (*tsunagu.Alert, error) {
	return d.audited(ctx, by, "reassigned", at)(d.Store.ReassignAlert(ctx, id, by, to, at))
}

// maxReply is LINE's limit for one text message.
const maxReply = 5000

// ReplyToFamily pushes a supporter's text to the member the alert is about,
// with a retry key, and records it on the alert and in the family's
// thread, all in one transaction. The member's answer comes back into the
// same thread like any message of theirs.
func (d *Desk) ReplyToFamily(ctx context.Context, id, user, text string, at time.Time) (*tsunagu.Alert, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return nil, tsunagu.Errorf(tsunagu.EINVALID, "返信の文が空です (the reply is empty)")
	case utf8.RuneCountInString(text) > maxReply:
		return nil, tsunagu.Errorf(tsunagu.EINVALID, "返信は%d文字までです (at most %d characters)", maxReply, maxReply)
	}
	a, err := d.Store.Alert(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.MemberID == "" {
		return nil, tsunagu.Errorf(tsunagu.EINVALID, "このアラートは一人のメンバーについてのものではないため、返信できません (this alert is about no one member)")
	}
	// The same text on the same alert within a minute is one reply: Slack
	// may send a submission again when we answer slowly. A minute later it
	// is meant (a second "ありがとう").
	sum := sha256.Sum256([]byte(id + "\x00" + text + "\x00" + at.UTC().Truncate(time.Minute).String()))
	event := "reply:" + hex.EncodeToString(sum[:12])
	err = d.Bot.Relay(ctx, event, a.MemberID, text, func(role tsunagu.Role) storage.SlackJob {
		return storage.SlackJob{
			Op: storage.SlackThread, AlertID: id,
			Text: fmt.Sprintf("↩️ <@%s> がLINEで返信しました（%s）:\n%s", user, roleLabel(role), quote(text)),
		}
	})
	if errors.Is(err, storage.ErrDuplicate) {
		return d.Store.Alert(ctx, id) // already sent and recorded
	}
	if err != nil {
		return nil, err
	}
	d.Log.Info("reply to family", "alert", id, "by", user)
	return d.audited(ctx, user, tsunagu.AuditReplied, at)(d.Store.RecordAlertEvent(ctx, id, tsunagu.AlertEvent{At: at, By: user, What: "replied"}, 0))
}

func roleLabel(r tsunagu.Role) string {
	if r == tsunagu.RoleGuardian {
		return "保護者"
	}
	return "子ども"
}

// quote renders text typed by a person as a Slack quote, escaped so that it
// cannot ping a channel or forge a link.
func quote(s string) string {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	return "> " + strings.ReplaceAll(s, "\n", "\n> ")
}

// FamilySummary is a family at a glance: members, how each flow went, and
// the alerts still open.
func (d *Desk) FamilySummary(ctx context.Context, code string) (*tsunagu.FamilySummary, error) {
	fam, err := d.Store.Family(ctx, code)
	if err != nil {
		return nil, err
	}
	ms, err := d.Store.FamilyMembers(ctx, code)
	if err != nil {
		return nil, err
	}
	sum := &tsunagu.FamilySummary{Family: *fam}
	for _, m := range ms {
		hist, err := d.Store.History(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		open, err := d.Store.Session(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		ms := tsunagu.MemberSummary{Role: m.Role, LinkedAt: m.LinkedAt, Blocked: m.Blocked, Stopped: m.Stopped, Consent: m.Consent, ConsentLabel: m.ConsentLabel}
		for _, f := range d.Flows.All() {
			if !f.ForRole(m.Role) {
				continue
			}
			fs := tsunagu.FlowSummary{FlowID: f.ID, Title: f.Title, Open: open.Open() && open.FlowID == f.ID}
			var last *tsunagu.Session
			if fs.StreakMissed, last = flows.MissedRun(hist, f.ID); last != nil {
				fs.LastCompleted, fs.LastAnswers = last.UpdatedAt, f.QA(last)
			}
			if fs.Open || !fs.LastCompleted.IsZero() || fs.StreakMissed > 0 {
				ms.Flows = append(ms.Flows, fs)
			}
		}
		sum.Members = append(sum.Members, ms)
	}
	if sum.OpenAlerts, err = d.Store.FamilyAlerts(ctx, code); err != nil {
		return nil, err
	}
	return sum, nil
}

// PauseFamily pauses or resumes a family's scheduled check-ins.
func (d *Desk) PauseFamily(ctx context.Context, code, user string, paused bool) error {
	if err := d.Store.SetFamilyPaused(ctx, code, paused); err != nil {
		return err
	}
	d.Log.Info("family paused", "family", code, "paused", paused, "by", user)
	action := tsunagu.AuditResumed
	if paused {
		action = tsunagu.AuditPaused
	}
	d.audit(ctx, tsunagu.AuditEntry{At: d.Clock.Now(), By: user, Action: action, Family: code, Detail: "slack"})
	return nil
}

// SendFlow starts a flow now for a family, from Slack, and says what it
// did. A check-in of the flow still open is left open unless replace.
func (d *Desk) SendFlow(ctx context.Context, flowID, code, user string, replace bool) (string, error) {
	if _, err := d.Store.Family(ctx, code); err != nil {
		return "", err
	}
	// Keyed by what and the minute, not by who: Slack retries a slow
	// command, and several supporters sending at once start one check-in.
	now := d.Clock.Now()
	sum := sha256.Sum256([]byte(flowID + "\x00" + code + "\x00" + strconv.FormatBool(replace) + "\x00" + now.UTC().Truncate(time.Minute).String()))
	res, err := d.Bot.Dispatch(ctx, bot.Dispatch{FlowID: flowID, Family: code, Key: "slack-send:" + hex.EncodeToString(sum[:12]), At: now, Replace: replace})
	if err != nil {
		return "", err
	}
	d.audit(ctx, tsunagu.AuditEntry{At: now, By: user, Action: "sent", Family: code, Detail: "flow " + flowID})
	d.Log.Info("send from slack", "flow", flowID, "family", code, "by", user, "counts", res.Counts)
	if len(res.Members) == 0 {
		return fmt.Sprintf("%s にはまだLINEで登録した人がいません。招待コードを渡してください。", code), nil
	}
	var parts []string
	for _, o := range []string{bot.SentStarted, bot.SentRestarted, bot.SentWaiting, bot.SentAlreadyOpen, bot.SentDuplicate, bot.SentNotAudience, bot.SentBlocked, bot.SentPaused, bot.SentStopped, bot.SentNoConsent, bot.SentOverQuota} {
		if n := res.Counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", outcomeLabel[o], n))
		}
	}
	return fmt.Sprintf("%s に「%s」: %s", code, d.Flows.Get(flowID).Title, strings.Join(parts, "、")), nil
}

var outcomeLabel = map[string]string{
	bot.SentStarted:     "送信",
	bot.SentRestarted:   "送信（前回分は未回答で終了）",
	bot.SentWaiting:     "ほかの質問の回答後に送信",
	bot.SentAlreadyOpen: "回答中のため送らず（終わらせて送り直すときは replace をつけて）",
	bot.SentDuplicate:   "同じ送信がいま行われたばかりのため送らず",
	bot.SentNotAudience: "対象外",
	bot.SentBlocked:     "ブロック中",
	bot.SentPaused:      "一時停止中",
	bot.SentStopped:     "本人の希望で停止中",
	bot.SentNoConsent:   "同意なし",
	bot.SentOverQuota:   "送信数の上限で未送信",
}
