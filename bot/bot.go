// Package bot is the conversation: what tsunagu does when a family member
// writes, taps or follows, and when a coordinator starts a check-in. It
// decides with the pure flow engine and commits each decision, with the
// messages and alerts it causes, in one storage transaction; the workers in
// deliver.go send them afterwards.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

const (
	maxEnrolFails = 5                // wrong invite codes an hour before a pause
	replyWindow   = 50 * time.Second // a reply token lives about a minute; leave margin
	maxPerSend    = 5                // LINE takes at most 5 messages a request
)

// Bot handles family members' events and coordinators' check-ins.
type Bot struct {
	Store *storage.Store
	Flows *FlowSet
	Risk  *flows.RiskScanner
	Texts Texts
	Clock tsunagu.Clock
	NewID func() string
	Log   *slog.Logger
}

// NewID returns a random 128-bit id in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HandleEvent processes one LINE event exactly once: a redelivered event is
// recognised by its id and changes nothing. It returns an error only when the
// event could not be recorded, so the webhook answers 5xx and LINE retries.
func (b *Bot) HandleEvent(ctx context.Context, ev tsunagu.Inbound) error {
	memberID := tsunagu.UserHash(ev.UserID)
	now := b.Clock.Now()
	var outcome string
	err := b.Store.Apply(ctx, ev.EventID, memberID, func(st *storage.State) (*storage.Change, error) {
		t := &turn{ctx: ctx, bot: b, st: st, ev: ev, memberID: memberID, now: now, ch: &storage.Change{}}
		if err := t.decide(); err != nil {
			return nil, err
		}
		t.flush()
		outcome = t.outcome
		return t.ch, nil
	})
	log := b.Log.With("event", ev.EventID, "kind", ev.Kind, "user", memberID)
	switch {
	case errors.Is(err, storage.ErrDuplicate):
		log.Info("duplicate event ignored")
		return nil
	case err != nil:
		log.Error("event not recorded", "err", err)
		return err
	}
	log.Info("event handled", "outcome", outcome)
	return nil
}

// turn is the decision for one event: it reads the member's state and
// collects the change, the replies and the alerts.
type turn struct {
	ctx      context.Context
	bot      *Bot
	st       *storage.State
	ev       tsunagu.Inbound
	memberID string
	now      time.Time
	ch       *storage.Change
	replies  []tsunagu.Message
	outcome  string // for the log: what happened, never what was said
}

func (t *turn) say(msgs ...tsunagu.Message) { t.replies = append(t.replies, msgs...) }

func (t *turn) sayText(texts ...string) {
	for _, s := range texts {
		t.say(tsunagu.Message{Text: s})
	}
}

func (t *turn) decide() error {
	m := t.st.Member
	switch t.ev.Kind {
	case tsunagu.InboundFollow:
		if m == nil {
			t.outcome = "welcome"
			t.sayText(t.bot.Texts.Welcome)
			return nil
		}
		if m.Blocked {
			unblocked := *m
			unblocked.Blocked = false
			t.ch.Member = &unblocked
		}
		t.outcome = "welcome back"
		t.sayText(t.bot.Texts.WelcomeBack)
		return nil
	case tsunagu.InboundUnfollow:
		if m != nil && !m.Blocked {
			blocked := *m
			blocked.Blocked = true
			t.ch.Member = &blocked
		}
		t.outcome = "unfollowed"
		return nil
	case tsunagu.InboundText, tsunagu.InboundPostback, tsunagu.InboundMedia:
		if m == nil {
			return t.enrol()
		}
		return t.converse(m)
	}
	t.outcome = "ignored"
	return nil
}

// enrol links a LINE user to a family by an invite code in their message.
func (t *turn) enrol() error {
	if t.ev.Kind != tsunagu.InboundText { // a tap or a sticker before enrolment
		t.outcome = "not enrolled"
		t.sayText(t.bot.Texts.AskCode)
		return nil
	}
	if word, ok := t.bot.Risk.Match(t.ev.Text); ok {
		// Someone in distress before enrolment still gets help at once,
		// and supporters hear of it.
		t.riskAlert(word, nil, nil)
	}
	codes := tsunagu.FindInviteCodes(t.ev.Text)
	if len(codes) == 0 {
		if t.outcome == "" {
			t.outcome = "asked for code"
			t.sayText(t.bot.Texts.AskCode)
		}
		return nil
	}
	if t.st.EnrolFails >= maxEnrolFails {
		t.outcome = "enrolment locked"
		t.sayText(t.bot.Texts.LockedOut)
		return nil
	}
	for _, code := range codes {
		inv, err := t.st.Invite(code)
		if err != nil {
			return err
		}
		if inv == nil || !t.now.Before(inv.ExpiresAt) {
			continue
		}
		t.ch.Member = &tsunagu.Member{
			ID:         t.memberID,
			FamilyCode: inv.FamilyCode,
			Role:       inv.Role,
			LineUserID: t.ev.UserID,
			LinkedAt:   t.now,
		}
		t.ch.UseInvite = code
		t.outcome = "enrolled"
		t.sayText(t.bot.Texts.Enrolled)
		return nil
	}
	t.ch.EnrolFailed = true
	t.outcome = "wrong code"
	if t.st.EnrolFails+1 >= maxEnrolFails {
		t.sayText(t.bot.Texts.LockedOut)
	} else {
		t.sayText(t.bot.Texts.WrongCode)
	}
	return nil
}

// converse handles an enrolled member's text or tap.
func (t *turn) converse(m *tsunagu.Member) error {
	fam, err := t.st.Family(m.FamilyCode)
	if err != nil {
		return err
	}
	if fam == nil {
		fam = &tsunagu.Family{Code: m.FamilyCode}
	}
	sess := t.st.Session
	var flow *flows.Flow
	if sess.Open() {
		// The session finishes on the version of the flow it started with.
		if flow, err = t.bot.Flows.Version(t.ctx, sess.FlowID, sess.FlowHash); err != nil {
			return err
		}
	}

	risky := false
	if t.ev.Kind == tsunagu.InboundText {
		if word, ok := t.bot.Risk.Match(t.ev.Text); ok {
			risky = true
			t.riskAlert(word, fam, flow)
		}
	}

	if flow == nil {
		if sess.Open() {
			// The flow was removed while the member was in it: end the
			// session as missed rather than leave them waiting forever.
			ended := *sess
			ended.Status, ended.UpdatedAt = tsunagu.SessionMissed, t.now
			t.ch.Ended, t.ch.ClearSession = &ended, true
		}
		return t.outsideFlow(fam, risky)
	}

	if t.ev.Kind == tsunagu.InboundMedia {
		// A sticker or a photo is no answer, but it is a reply: thank them
		// and ask again, without counting it as a wrong answer.
		t.outcome = "media in flow"
		t.sayText(t.bot.Texts.MediaInFlow)
		t.prompt(flow, sess)
		return nil
	}
	in := flows.Input{Text: t.ev.Text}
	if t.ev.Kind == tsunagu.InboundPostback {
		in = flows.Input{Postback: t.ev.Data}
	}
	res, err := flow.Resume(sess, in, t.now)
	switch {
	case errors.Is(err, flows.ErrStaleAnswer):
		// A tap on an old question's button: show the current question.
		t.outcome = "stale answer"
		t.prompt(flow, sess)
		return nil
	case err != nil:
		return err
	}
	t.say(res.Messages...)
	for i := range res.Alerts {
		t.alert(&res.Alerts[i], fam)
	}
	switch {
	case res.Ended:
		t.outcome = "session ended"
		t.ch.Ended, t.ch.ClearSession = res.Session, true
	case res.Reasked:
		t.outcome = "re-asked"
		t.ch.Session = res.Session
	default:
		t.outcome = "answered"
		t.ch.Session = res.Session
	}
	return nil
}

// prompt asks the session's current question again.
func (t *turn) prompt(flow *flows.Flow, sess *tsunagu.Session) {
	if m, ok := flow.Prompt(sess); ok {
		t.say(m)
	}
}

// outsideFlow answers a member who writes while no check-in is open, and
// lets supporters see what they wrote.
func (t *turn) outsideFlow(fam *tsunagu.Family, risky bool) error {
	if t.ev.Kind == tsunagu.InboundPostback {
		t.outcome = "no open question"
		t.sayText(t.bot.Texts.NoQuestion)
		return nil
	}
	if t.ev.Kind == tsunagu.InboundMedia {
		t.outcome = "media"
		t.sayText(t.bot.Texts.MediaAck)
		t.alert(&tsunagu.Alert{
			Severity: tsunagu.SeverityInfo,
			Reason:   "チェックインの外でスタンプや画像が届きました（内容はLINEの画面で確認できます）",
		}, fam)
		return nil
	}
	t.outcome = "free text"
	if risky {
		return nil // the safety message is the answer; the urgent alert carries the text
	}
	t.sayText(t.bot.Texts.Ack)
	t.alert(&tsunagu.Alert{
		Severity:  tsunagu.SeverityInfo,
		Reason:    "チェックインの外でメッセージが届きました",
		Answers:   []tsunagu.QA{{Question: "メッセージ", Answer: t.ev.Text}},
		CreatedAt: t.now,
	}, fam)
	return nil
}

// riskAlert raises an urgent alert and puts the safety message first in the
// reply. fam is nil before enrolment.
func (t *turn) riskAlert(word string, fam *tsunagu.Family, flow *flows.Flow) {
	t.outcome = "risk words"
	if m := t.st.Member; m != nil && m.Role == tsunagu.RoleGuardian && t.bot.Texts.SafetyAdult != "" {
		t.sayText(t.bot.Texts.SafetyAdult)
	} else {
		t.sayText(t.bot.Texts.Safety)
	}
	a := &tsunagu.Alert{
		Severity:  tsunagu.SeverityUrgent,
		Reason:    "心配なことばがありました（「" + word + "」）。すぐに確認してください",
		Answers:   []tsunagu.QA{{Question: "メッセージ", Answer: t.ev.Text}},
		CreatedAt: t.now,
	}
	if flow != nil {
		a.FlowID, a.FlowTitle = flow.ID, flow.Title
	}
	if fam == nil {
		fam = &tsunagu.Family{Code: "未登録"}
	}
	t.alert(a, fam)
}

// alert completes an alert raised for this member and adds it to the change.
func (t *turn) alert(a *tsunagu.Alert, fam *tsunagu.Family) {
	a.ID = t.bot.NewID()
	a.FamilyCode = fam.Code
	a.Supporter = fam.Supporter
	a.State = tsunagu.AlertOpen
	if t.st.Member != nil {
		a.Role = t.st.Member.Role
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = t.now
	}
	t.ch.Alerts = append(t.ch.Alerts, a)
}

// flush turns the collected replies into outbox entries: the first five by
// the event's reply token, the rest by push.
func (t *turn) flush() {
	to := t.ev.UserID
	t.ch.Out = batches(t.bot.NewID, t.memberID, to, t.replies, t.now)
	if len(t.ch.Out) > 0 && t.ev.ReplyToken != "" {
		t.ch.Out[0].ReplyToken = t.ev.ReplyToken
		t.ch.Out[0].ReplyBy = t.ev.At.Add(replyWindow)
	}
}

// batches splits messages into outbox entries of at most five.
func batches(newID func() string, memberID, to string, msgs []tsunagu.Message, now time.Time) []tsunagu.Outgoing {
	var out []tsunagu.Outgoing
	for len(msgs) > 0 {
		n := min(len(msgs), maxPerSend)
		out = append(out, tsunagu.Outgoing{
			ID: newID(), MemberID: memberID, To: to, Messages: msgs[:n], CreatedAt: now,
		})
		msgs = msgs[n:]
	}
	return out
}
