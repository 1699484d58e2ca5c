// Package bot is the conversation: what tsunagu does when a family member
// writes, taps or follows, when a timer fires, and when a check-in is
// dispatched. It decides with the pure flow engine and commits each
// decision, with the messages, alerts and timers it causes, in one storage
// transaction; the workers in deliver.go send them afterwards.
package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
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

// Bot handles family members' events, timers and dispatches.
type Bot struct {
	Store *storage.Store
	Flows *FlowSet
	Risk  *flows.RiskScanner
	Texts Texts
	Clock tsunagu.Clock
	NewID func() string
	Log   *slog.Logger
	// Quota reports LINE's monthly message quota; nil skips the check.
	Quota func(ctx context.Context) (limit, used int64, err error)
	// Quiet says whether pushes must wait now (quiet hours); nil never.
	Quiet func(time.Time) bool
	// Metrics counts what happens; nil counts nothing.
	Metrics *Metrics
	// EscalateAfter is how long an urgent alert may stay unclaimed before
	// on-call supporters are reminded (twice, at once and twice this); 0
	// for never.
	EscalateAfter time.Duration
	// Location is the configured time zone, for dates people read.
	Location *time.Location
	// Pseudonyms makes member ids from LINE user ids (keyed by hash_key);
	// the zero value is the legacy unkeyed hash.
	Pseudonyms tsunagu.Pseudonyms
}

func (b *Bot) location() *time.Location {
	if b.Location == nil {
		return time.UTC
	}
	return b.Location
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
	memberID := b.Pseudonyms.UserHash(ev.UserID)
	var outcome string
	err := b.apply(ctx, ev.EventID, memberID, ev, func(t *turn) error {
		err := t.event()
		outcome = t.outcome
		return err
	})
	log := b.Log.With("event", ev.EventID, "kind", ev.Kind, "user", memberID)
	switch code := tsunagu.ErrorCode(err); {
	case errors.Is(err, storage.ErrDuplicate):
		log.Info("duplicate event ignored")
		return nil
	case code == tsunagu.EUNAVAILABLE || code == tsunagu.ECONFLICT:
		// Worth LINE's redelivery: Redis will be back, contention passes.
		log.Error("event not recorded; asking for redelivery", "err", err)
		return err
	case err != nil:
		// Redelivery would fail the same way and hold up the events behind
		// it: record the event, say sorry, and let supporters know.
		log.Error("event failed; recorded without effect", "err", err)
		return b.apology(ctx, ev, memberID)
	}
	log.Info("event handled", "outcome", outcome)
	b.Metrics.event(string(ev.Kind), outcome)
	return nil
}

// apology records an event that could not be handled, with a kind word to
// the member and an info alert so that a supporter looks.
func (b *Bot) apology(ctx context.Context, ev tsunagu.Inbound, memberID string) error {
	err := b.apply(ctx, ev.EventID, memberID, ev, func(t *turn) error {
		t.outcome = "failed"
		t.sayText(b.Texts.Sorry)
		if t.st.Member == nil {
			return nil
		}
		fam, err := t.family()
		if err != nil {
			return err
		}
		t.alert(&tsunagu.Alert{Severity: tsunagu.SeverityInfo, Reason: "メッセージをうまく処理できませんでした。LINEの画面で確認してください"}, fam)
		return nil
	})
	if errors.Is(err, storage.ErrDuplicate) {
		return nil
	}
	return err
}

// apply runs one turn for a member in a storage transaction.
func (b *Bot) apply(ctx context.Context, eventID, memberID string, ev tsunagu.Inbound, decide func(*turn) error) error {
	now := b.Clock.Now()
	var last *storage.Change // what was committed: decide may run more than once
	err := b.Store.Apply(ctx, eventID, memberID, func(st *storage.State) (*storage.Change, error) {
		t := &turn{ctx: ctx, bot: b, st: st, ev: ev, memberID: memberID, now: now, ch: &storage.Change{}}
		if t.ev.UserID == "" && st.Member != nil {
			t.ev.UserID = st.Member.LineUserID // timers and dispatches push
		}
		if err := decide(t); err != nil {
			return nil, err
		}
		t.flush()
		last = t.ch
		return t.ch, nil
	})
	if err == nil && last != nil {
		if last.Ended != nil {
			b.Metrics.sessionEnded(string(last.Ended.Status))
		}
		for _, a := range last.Alerts {
			b.Metrics.alert(string(a.Severity))
		}
	}
	return err
}

// turn is the decision for one event, timer or start: it reads the
// member's state and collects the change, the messages and the alerts.
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

	fam *tsunagu.Family // loaded on first use
}

func (t *turn) say(msgs ...tsunagu.Message) { t.replies = append(t.replies, msgs...) }

func (t *turn) sayText(texts ...string) {
	for _, s := range texts {
		t.say(tsunagu.Message{Text: s})
	}
}

// family returns the member's family, or a stand-in before enrolment.
func (t *turn) family() (*tsunagu.Family, error) {
	if t.fam != nil {
		return t.fam, nil
	}
	code := "未登録"
	if m := t.member(); m != nil {
		code = m.FamilyCode
	}
	f, err := t.st.Family(code)
	if err != nil {
		return nil, err
	}
	if f == nil {
		f = &tsunagu.Family{Code: code}
	}
	t.fam = f
	return f, nil
}

// member is the member as this turn leaves them.
func (t *turn) member() *tsunagu.Member {
	if t.ch.Member != nil {
		return t.ch.Member
	}
	return t.st.Member
}

func (t *turn) event() error {
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
		return t.converse()
	}
	t.outcome = "ignored"
	return nil
}

// enrol links a LINE user to a family by an invite code in their message,
// and starts the sign-up flow if there is one.
func (t *turn) enrol() error {
	if t.ev.Kind != tsunagu.InboundText { // a tap or a sticker before enrolment
		t.outcome = "not enrolled"
		t.sayText(t.bot.Texts.AskCode)
		return nil
	}
	if word, ok := t.bot.Risk.Match(t.ev.Text); ok {
		// Someone in distress before enrolment still gets help at once,
		// and supporters hear of it.
		if err := t.riskAlert(word, nil); err != nil {
			return err
		}
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
		return t.startTriggered(func(f *flows.Flow) bool { return f.OnEnrol })
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

// converse handles an enrolled member's text, tap or sticker.
func (t *turn) converse() error {
	sess := t.st.Session
	var flow *flows.Flow
	if sess.Open() {
		// The session finishes on the version of the flow it started with.
		var err error
		if flow, err = t.bot.Flows.Version(t.ctx, sess.FlowID, sess.FlowHash); err != nil {
			return err
		}
	}

	risky := false
	if t.ev.Kind == tsunagu.InboundText {
		word, ok := t.bot.Risk.Match(t.ev.Text)
		if !ok && flow != nil {
			word, ok = flows.NewRiskScanner(flow.RiskWords()).Match(t.ev.Text)
		}
		if ok {
			risky = true
			if err := t.riskAlert(word, flow); err != nil {
				return err
			}
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
		return t.outsideFlow(risky)
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
	env, err := t.env(flow)
	if err != nil {
		return err
	}
	res, err := flow.Resume(sess, in, t.now, env)
	switch {
	case errors.Is(err, flows.ErrStaleAnswer):
		// A tap on an old question's button: show the current question.
		t.outcome = "stale answer"
		t.prompt(flow, sess)
		return nil
	case errors.Is(err, flows.ErrStepGone), errors.Is(err, flows.ErrWrongFlow), errors.Is(err, flows.ErrNotWaiting):
		// The session cannot go on (its version of the flow is gone): end
		// it as missed rather than fail this event on every redelivery,
		// and take the input as if no check-in were open.
		ended := *sess
		ended.Status, ended.UpdatedAt = tsunagu.SessionMissed, t.now
		t.ch.Ended, t.ch.ClearSession = &ended, true
		return t.outsideFlow(risky)
	case err != nil:
		return err
	}
	switch {
	case res.Ended:
		t.outcome = "session ended"
	case res.Reasked:
		t.outcome = "re-asked"
	default:
		t.outcome = "answered"
	}
	return t.result(flow, res, env)
}

// result commits what the engine decided for the open session.
func (t *turn) result(flow *flows.Flow, res flows.Result, env flows.Env) error {
	t.say(res.Messages...)
	fam, err := t.family()
	if err != nil {
		return err
	}
	for i := range res.Alerts {
		a := res.Alerts[i]
		t.alert(&a, fam)
	}
	if !res.Ended {
		t.ch.Session = res.Session
		return nil
	}
	return t.ended(flow, res.Session, env)
}

// ended records a session that just ended, raises the missed-streak alert
// when this miss completes a streak, records the sign-up consent, and
// starts the next check-in that was waiting for this one.
func (t *turn) ended(flow *flows.Flow, s *tsunagu.Session, env flows.Env) error {
	t.ch.Ended, t.ch.ClearSession = s, true
	if s.Status == tsunagu.SessionMissed && flow.Missed != nil && env.StreakMissed+1 == flow.Missed.Streak {
		fam, err := t.family()
		if err != nil {
			return err
		}
		t.alert(t.streakAlert(flow, env.StreakMissed+1), fam)
	}
	if a, ok := s.Answers["consent"]; ok && flow.OnEnrol && !a.Skipped {
		m := *t.member()
		m.Consent = a.Value
		t.ch.Member = &m
	}
	pending, err := t.st.Pending()
	if err != nil || len(pending) == 0 {
		return err
	}
	t.ch.PopPending = true
	next := t.bot.Flows.Get(pending[0].FlowID)
	if next == nil {
		return nil // the flow was removed while it waited
	}
	if t.ev.ReplyToken == "" {
		// Not an answer from the member (an expiry, perhaps at night): the
		// waiting check-in starts as a push of its own, which quiet hours
		// hold back and which checks again who may get it.
		t.ch.Timers = append(t.ch.Timers, storage.Timer{Kind: storage.TimerStart, Due: t.now, MemberID: t.memberID, FlowID: next.ID, Key: pending[0].EventID})
		return nil
	}
	return t.startIfAllowed(next)
}

// startIfAllowed starts flow unless the member may not get it now.
func (t *turn) startIfAllowed(flow *flows.Flow) error {
	fam, err := t.family()
	if err != nil {
		return err
	}
	if why := t.bot.Exclusion(flow, *t.member(), *fam); why != "" {
		t.outcome += ", not started: " + why
		return nil
	}
	return t.start(flow)
}

// streakAlert tells supporters a member has missed n check-ins in a row:
// the outreach alert (誘い出し).
func (t *turn) streakAlert(flow *flows.Flow, n int) *tsunagu.Alert {
	last := "まだありません"
	if hist, err := t.st.History(); err == nil {
		if _, s := missedRun(hist, flow.ID); s != nil {
			last = s.UpdatedAt.In(t.bot.location()).Format("2006-01-02")
		}
	}
	note := flow.Missed.Note
	if note == "" {
		note = "チェックインへの回答が続けてありません"
	}
	return &tsunagu.Alert{
		Severity:  flow.Missed.Severity,
		FlowID:    flow.ID,
		FlowTitle: flow.Title,
		Reason:    note,
		Answers: []tsunagu.QA{
			{Question: "続けて答えがなかった回数", Answer: strconv.Itoa(n) + "回"},
			{Question: "最後に答えてくれた日", Answer: last},
		},
		CreatedAt: t.now,
	}
}

// start opens a session of flow for the member in this turn, with its
// first question (a reply within a webhook turn, a push otherwise) and its
// reminder and expiry timers.
func (t *turn) start(flow *flows.Flow) error {
	env, err := t.env(flow)
	if err != nil {
		return err
	}
	res := flow.Start(t.bot.NewID(), t.memberID, t.now, env)
	t.ch.Session, t.ch.ClearSession = res.Session, false
	t.ch.Timers = append(t.ch.Timers, SessionTimers(flow, res.Session)...)
	t.say(res.Messages...)
	return nil
}

// startTriggered starts the first flow in force that trigger selects and
// whose audience includes the member.
func (t *turn) startTriggered(trigger func(*flows.Flow) bool) error {
	fam, err := t.family()
	if err != nil {
		return err
	}
	for _, f := range t.bot.Flows.All() {
		if trigger(f) && f.ForAudience(t.member().Role, fam.Tags) {
			t.outcome += ", started " + f.ID
			return t.start(f)
		}
	}
	return nil
}

// SessionTimers are the reminders and the expiry of a session just started.
func SessionTimers(flow *flows.Flow, s *tsunagu.Session) []storage.Timer {
	ts := make([]storage.Timer, 0, len(flow.Reminders)+1)
	for i, r := range flow.Reminders {
		ts = append(ts, storage.Timer{Kind: storage.TimerReminder, Due: s.StartedAt.Add(r.After), MemberID: s.MemberID, SessionID: s.ID, Index: i})
	}
	return append(ts, storage.Timer{Kind: storage.TimerExpire, Due: s.StartedAt.Add(flow.ExpiresAfter), MemberID: s.MemberID, SessionID: s.ID})
}

// env is what the engine may know of the member for flow.
func (t *turn) env(flow *flows.Flow) (flows.Env, error) {
	fam, err := t.family()
	if err != nil {
		return flows.Env{}, err
	}
	env := flows.Env{Tags: fam.Tags}
	if m := t.member(); m != nil {
		env.Role = m.Role
	}
	hist, err := t.st.History()
	if err != nil {
		return env, err
	}
	var last *tsunagu.Session
	env.StreakMissed, last = missedRun(hist, flow.ID)
	if last != nil {
		env.Previous = last.Answers
	}
	return env, nil
}

// missedRun reads a member's history (newest first) for one flow: the
// sessions missed since the last completed one, and that one (nil when
// there is none).
func missedRun(hist []tsunagu.Session, flowID string) (missed int, last *tsunagu.Session) {
	for i := range hist {
		switch h := &hist[i]; {
		case h.FlowID != flowID:
		case h.Status == tsunagu.SessionCompleted:
			return missed, h
		case h.Status == tsunagu.SessionMissed:
			missed++
		}
	}
	return missed, nil
}

// prompt asks the session's current question again.
func (t *turn) prompt(flow *flows.Flow, sess *tsunagu.Session) {
	if m, ok := flow.Prompt(sess); ok {
		t.say(m)
	}
}

// outsideFlow answers a member who writes while no check-in is open: a
// keyword starts its flow; anything else is acknowledged and shown to
// supporters.
func (t *turn) outsideFlow(risky bool) error {
	fam, err := t.family()
	if err != nil {
		return err
	}
	switch t.ev.Kind {
	case tsunagu.InboundPostback:
		t.outcome = "no open question"
		t.sayText(t.bot.Texts.NoQuestion)
		return nil
	case tsunagu.InboundMedia:
		t.outcome = "media"
		t.sayText(t.bot.Texts.MediaAck)
		t.alert(&tsunagu.Alert{
			Severity: tsunagu.SeverityInfo,
			Reason:   "チェックインの外でスタンプや画像が届きました（内容はLINEの画面で確認できます）",
		}, fam)
		return nil
	}
	t.outcome = "free text"
	if err := t.startTriggered(func(f *flows.Flow) bool { return f.MatchKeyword(t.ev.Text) }); err != nil {
		return err
	}
	if t.ch.Session != nil {
		return nil // the keyword's flow takes it from here
	}
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
// reply.
func (t *turn) riskAlert(word string, flow *flows.Flow) error {
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
	fam, err := t.family()
	if err != nil {
		return err
	}
	t.alert(a, fam)
	return nil
}

// alert completes an alert raised for this member and adds it to the change.
func (t *turn) alert(a *tsunagu.Alert, fam *tsunagu.Family) {
	a.ID = t.bot.NewID()
	a.FamilyCode = fam.Code
	a.Supporter = fam.Supporter
	a.State = tsunagu.AlertOpen
	if m := t.member(); m != nil {
		a.Role, a.MemberID = m.Role, m.ID
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = t.now
	}
	t.ch.Alerts = append(t.ch.Alerts, a)
	if a.Severity == tsunagu.SeverityUrgent && t.bot.EscalateAfter > 0 {
		for level := 1; level <= 2; level++ {
			t.ch.Timers = append(t.ch.Timers, storage.Timer{
				Kind: storage.TimerEscalate, Due: a.CreatedAt.Add(time.Duration(level) * t.bot.EscalateAfter),
				AlertID: a.ID, Index: level,
			})
		}
	}
}

// flush turns the collected messages into outbox entries: the first five by
// the event's reply token when there is one, the rest by push.
func (t *turn) flush() {
	t.ch.Out = batches(t.bot.NewID, t.memberID, t.ev.UserID, t.replies, t.now)
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
