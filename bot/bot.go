// Package bot is the member conversation as a service: a family member's
// event, a session's timer or a dispatch comes in, the conversation in
// flows decides (flows.Conversation), and bot maps its outcomes to one
// storage change, committed in one transaction with the messages, alerts
// and timers it causes. It decides nothing of its own.
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
	"github.com/tsunagu/tsunagu/flows/risk"
	"github.com/tsunagu/tsunagu/scheduler"
	"github.com/tsunagu/tsunagu/storage"
)

const (
	replyWindow = 50 * time.Second // a reply token lives about a minute; leave margin
	maxPerSend  = 5                // LINE takes at most 5 messages a request
)

// Bot handles family members' events, timers and dispatches.
type Bot struct {
	Store  *storage.Store
	Flows  *FlowSet
	Risk   *flows.RiskScanner
	Safety risk.Safety // the safety replies per category and audience
	Texts  flows.Texts
	Clock  tsunagu.Clock
	NewID  func() string
	Log    *slog.Logger
	// Quota reports LINE's monthly message quota; nil skips the check.
	Quota func(ctx context.Context) (limit, used int64, err error)
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
	// Enrolled, when set, is told of each member linked by an invite, after
	// the enrolment is committed: best-effort work outside the
	// conversation, such as linking the role's rich menu. It must not block.
	Enrolled func(tsunagu.Member)
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
	var linked *tsunagu.Member
	err := b.apply(ctx, ev.EventID, memberID, ev, func(f *facts) (flows.Turn, error) {
		turn, err := b.Conversation().Event(f, memberID, ev, f.now)
		outcome, linked = turn.Summary, nil
		for _, o := range turn.Outcomes {
			if l, ok := o.(flows.MemberLinked); ok {
				linked = &l.Member
			}
		}
		return turn, err
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
	if linked != nil && b.Enrolled != nil {
		b.Enrolled(*linked)
	}
	return nil
}

// apology records an event that could not be handled, with a kind word to
// the member and an info alert so that a supporter looks.
func (b *Bot) apology(ctx context.Context, ev tsunagu.Inbound, memberID string) error {
	err := b.apply(ctx, ev.EventID, memberID, ev, func(f *facts) (flows.Turn, error) {
		return b.Conversation().Failed(f, memberID, f.now)
	})
	if errors.Is(err, storage.ErrDuplicate) {
		return nil
	}
	return err
}

// Relay sends a supporter's text to a member by push (with a retry key),
// in a turn of the member's so that it is committed with record — the
// Slack post that records it — exactly once for event. It fails when the
// member is gone or has blocked the bot.
func (b *Bot) Relay(ctx context.Context, event, memberID, text string, record func(tsunagu.Role) storage.SlackJob) error {
	var role tsunagu.Role
	return b.apply(ctx, event, memberID, tsunagu.Inbound{}, func(f *facts) (flows.Turn, error) {
		m := f.Member()
		switch {
		case m == nil:
			return flows.Turn{}, tsunagu.Errorf(tsunagu.EINVALID, "この家族のメンバーはもう登録されていません (the member is no longer linked)")
		case m.Blocked:
			return flows.Turn{}, tsunagu.Errorf(tsunagu.EINVALID, "このメンバーはLINEでブロックしているため、届きません (the member has blocked the bot)")
		}
		role = m.Role
		return flows.Turn{Summary: "supporter replied", Outcomes: []flows.Outcome{flows.Said{Messages: []tsunagu.Message{{Text: text}}}}}, nil
	}, func(ch *storage.Change) { ch.Slack = append(ch.Slack, record(role)) })
}

// Conversation is the engine that decides members' turns, with this bot's
// flows, words and clock-free settings.
func (b *Bot) Conversation() *flows.Conversation {
	return &flows.Conversation{Flows: b.Flows, Risk: b.Risk, Safety: b.Safety, Texts: b.Texts, Location: b.Location, NewID: b.NewID}
}

// apply runs one turn for a member in a storage transaction: decide reads
// the member's facts and returns the conversation's outcomes, which become
// the change committed, after amend adds what the caller records with it.
func (b *Bot) apply(ctx context.Context, eventID, memberID string, ev tsunagu.Inbound, decide func(*facts) (flows.Turn, error), amend ...func(*storage.Change)) error {
	now := b.Clock.Now()
	var last *storage.Change // what was committed: decide may run more than once
	err := b.Store.Apply(ctx, eventID, memberID, func(st *storage.State) (*storage.Change, error) {
		f := &facts{ctx: ctx, st: st, flows: b.Flows, now: now}
		turn, err := decide(f)
		if err != nil {
			return nil, err
		}
		if ev.UserID == "" && st.Member != nil {
			ev.UserID = st.Member.LineUserID // timers and dispatches push
		}
		last = b.change(st, ev, memberID, turn, now)
		for _, f := range amend {
			f(last)
		}
		return last, nil
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

// change maps a turn's outcomes to the storage change that commits them:
// the session, the member, the messages by reply or push, the alerts with
// their escalations, and the timers a wait needs.
func (b *Bot) change(st *storage.State, ev tsunagu.Inbound, memberID string, turn flows.Turn, now time.Time) *storage.Change {
	ch := &storage.Change{}
	member := func() tsunagu.Member {
		if ch.Member != nil {
			return *ch.Member
		}
		return *st.Member
	}
	var msgs []tsunagu.Message
	for _, o := range turn.Outcomes {
		switch o := o.(type) {
		case flows.Said:
			msgs = append(msgs, o.Messages...)
		case flows.AlertRaised:
			a := o.Alert
			ch.Alerts = append(ch.Alerts, &a)
			ch.Timers = append(ch.Timers, b.escalations(&a)...)
		case flows.SessionStarted:
			ch.Session, ch.ClearSession = o.Session, false
			ch.Timers = append(ch.Timers, sessionTimers(o)...)
		case flows.SessionChanged:
			ch.Session = o.Session
		case flows.SessionEnded:
			ch.Ended, ch.Session, ch.ClearSession = o.Session, nil, true
		case flows.ConsentRecorded:
			m := member()
			m.Consent, m.ConsentLabel = o.Value, o.Label
			ch.Member = &m
		case flows.MemberLinked:
			ch.Member, ch.UseInvite = &o.Member, o.Invite
		case flows.MemberChanged:
			ch.Member = &o.Member
		case flows.EnrolFailed:
			ch.EnrolFailed += o.Codes
		case flows.CheckInWaiting:
			ch.AddPending = &storage.PendingStart{FlowID: o.FlowID, EventID: o.Key, Since: now}
		case flows.WaitingTaken:
			ch.PopPending = true
		case flows.StartLater:
			ch.Timers = append(ch.Timers, storage.Timer{Kind: scheduler.JobStart, Due: now, MemberID: memberID, FlowID: o.FlowID, Key: o.Key})
		case flows.RiskDetected, flows.StreakChanged:
			// For the log and the simulator: the history already holds the
			// streak, and the alert and the safety message carry the risk.
		}
	}
	ch.Out = batches(b.NewID, memberID, ev.UserID, msgs, now)
	if len(ch.Out) > 0 && ev.ReplyToken != "" {
		// The first five by the event's reply token; the rest by push.
		ch.Out[0].ReplyToken = ev.ReplyToken
		ch.Out[0].ReplyBy = ev.At.Add(replyWindow)
	}
	return ch
}

// escalations are the timers that remind on-call supporters of an urgent
// alert nobody claimed: after EscalateAfter, and again after twice that.
func (b *Bot) escalations(a *tsunagu.Alert) []storage.Timer {
	if a.Severity != tsunagu.SeverityUrgent || b.EscalateAfter <= 0 {
		return nil
	}
	levels := 2
	if a.Stranger != "" {
		levels = 1 // once for someone not enrolled (see desk.Escalate)
	}
	ts := make([]storage.Timer, 0, levels)
	for level := 1; level <= levels; level++ {
		ts = append(ts, storage.Timer{
			Kind: scheduler.JobEscalate, Due: a.CreatedAt.Add(time.Duration(level) * b.EscalateAfter),
			AlertID: a.ID, Index: level,
		})
	}
	return ts
}

// sessionTimers are the reminders and the expiry of a session just started.
func sessionTimers(st flows.SessionStarted) []storage.Timer {
	s := st.Session
	ts := make([]storage.Timer, 0, len(st.Reminders)+1)
	for i, due := range st.Reminders {
		ts = append(ts, storage.Timer{Kind: scheduler.JobReminder, Due: due, MemberID: s.MemberID, SessionID: s.ID, Index: i})
	}
	return append(ts, storage.Timer{Kind: scheduler.JobExpire, Due: st.Expires, MemberID: s.MemberID, SessionID: s.ID})
}

// facts are what the conversation reads of a member, from the state of the
// storage transaction: every read is watched, so a decision made on data
// that changed before the commit is made again.
type facts struct {
	ctx   context.Context
	st    *storage.State
	flows *FlowSet
	now   time.Time

	hist    []tsunagu.Session
	histErr error
	histOK  bool
}

var _ flows.Facts = (*facts)(nil)

func (f *facts) Member() *tsunagu.Member   { return f.st.Member }
func (f *facts) Session() *tsunagu.Session { return f.st.Session }
func (f *facts) EnrolFails() int           { return f.st.EnrolFails }
func (f *facts) EnrolFailsAll() int        { return f.st.EnrolFailsAll }

func (f *facts) Family(code string) (*tsunagu.Family, error) { return f.st.Family(code) }

func (f *facts) Invite(code string) (*tsunagu.Invite, error) { return f.st.Invite(code) }

func (f *facts) SessionFlow() (*flows.Flow, error) {
	s := f.st.Session
	if !s.Open() {
		return nil, nil
	}
	return f.flows.Version(f.ctx, s.FlowID, s.FlowHash)
}

func (f *facts) History() ([]tsunagu.Session, error) {
	if !f.histOK {
		f.hist, f.histErr = f.st.History()
		f.histOK = true
	}
	return f.hist, f.histErr
}

func (f *facts) Waiting() ([]flows.Waiting, error) {
	pending, err := f.st.Pending()
	if err != nil {
		return nil, err
	}
	out := make([]flows.Waiting, len(pending))
	for i, p := range pending {
		out[i] = flows.Waiting{FlowID: p.FlowID, Key: p.EventID}
	}
	return out, nil
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
