package flows

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows/risk"
)

// The conversation is the engine at the level of a member: every event,
// timer and start for one member comes here and goes back as outcomes. It
// decides everything a family or a supporter feels — the next message, a
// re-ask, a safety reply, an alert and its words, a streak, a wait,
// consent, enrolment — and does no I/O: what it needs to know comes through
// Facts, and time is passed in.

// ConsentStep is the id of the sign-up flow's consent step: the member's
// answer to it (in an `on: enrol` flow) is their consent, read by
// tsunagu.Consented.
const ConsentStep = "consent"

// Why a member gets no check-in of a flow (Exclusion); "" when they do.
const (
	NotInAudience = "not in audience" // role or tags do not match
	Blocked       = "blocked"         // the member has blocked the bot
	Paused        = "paused"          // the family is paused
	Stopped       = "stopped"         // the member asked to stop (停止) and has not resumed
	NoConsent     = "no consent"      // the member declined, or has not answered, the sign-up consent
)

// What Begin did, in Turn.Summary.
const (
	BeganStarted   = "started"      // the first question is queued
	BeganRestarted = "restarted"    // an open session of the same flow ended as missed first
	BeganWaiting   = "waiting"      // the member is in another flow; this one starts when it ends
	BeganOpen      = "already open" // a session of this flow is open, and the start was not to replace it
	BeganNoMember  = "no member"    // the member is gone
)

// Catalog is the flows in force.
type Catalog interface {
	Get(id string) *Flow
	All() []*Flow
}

// Facts is what the conversation may read of one member at a turn. The
// service reads them from Redis, lazily (a follow reads no history); the
// simulator keeps them in memory. Reading has no side effects.
type Facts interface {
	Member() *tsunagu.Member                     // nil before enrolment
	Family(code string) (*tsunagu.Family, error) // nil when there is none
	Session() *tsunagu.Session                   // the open session, or nil
	// SessionFlow is the version of the flow the open session started on:
	// a session finishes on its own version. Nil when it is gone.
	SessionFlow() (*Flow, error)
	History() ([]tsunagu.Session, error) // ended sessions, newest first
	Waiting() ([]Waiting, error)         // check-ins waiting for the open session, oldest first
	EnrolFails() int                     // the member's wrong invite codes in the last hour
	EnrolFailsAll() int                  // everyone's wrong invite codes this hour
	Invite(code string) (*tsunagu.Invite, error)
}

// Waiting is a check-in waiting for the member's open session to end.
type Waiting struct {
	FlowID string
	Key    string // what asked for it
}

// SessionRef names the session a timer was set for: by id, or by the
// dispatch that started it. A timer for a session that has moved on does
// nothing.
type SessionRef struct {
	SessionID string
	Dispatch  string
}

func (r SessionRef) matches(s *tsunagu.Session) bool {
	return s.Open() && ((r.SessionID != "" && s.ID == r.SessionID) || (r.Dispatch != "" && s.Dispatch == r.Dispatch))
}

// Limits on guessing invite codes, counted per code tried (a message may
// hold many): a LINE user may try MaxEnrolFails wrong codes an hour, and
// everyone together MaxEnrolFailsAll, so that many accounts cannot guess
// either; past them, codes are not checked for a while.
const (
	MaxEnrolFails    = 5
	MaxEnrolFailsAll = 300
)

// Conversation decides a member's turns.
type Conversation struct {
	Flows    Catalog
	Risk     *RiskScanner // the programme's risk rules; flows may add their own words and patterns
	Safety   risk.Safety  // the safety replies per category and audience; zero for the built-in ones
	Texts    Texts
	Location *time.Location // for the dates supporters read; nil for UTC
	NewID    func() string  // session and alert ids
}

// Turn is what the conversation decided for one event, timer or start.
type Turn struct {
	Outcomes []Outcome
	// Summary says what happened, for the log and metrics; never what was
	// said.
	Summary string
}

// Messages returns every message the turn says to the member, in order.
func (t Turn) Messages() []tsunagu.Message {
	var msgs []tsunagu.Message
	for _, o := range t.Outcomes {
		if s, ok := o.(Said); ok {
			msgs = append(msgs, s.Messages...)
		}
	}
	return msgs
}

// Alerts returns the alerts the turn raised, in order.
func (t Turn) Alerts() []tsunagu.Alert {
	var out []tsunagu.Alert
	for _, o := range t.Outcomes {
		if a, ok := o.(AlertRaised); ok {
			out = append(out, a.Alert)
		}
	}
	return out
}

// turn is one decision in progress.
type turn struct {
	c         *Conversation
	f         Facts
	now       time.Time
	memberID  string
	member    *tsunagu.Member // as this turn leaves them
	fam       *tsunagu.Family // loaded on first use
	immediate bool            // a waiting check-in may start within this turn (the member is here)
	Turn
}

func (c *Conversation) turn(f Facts, memberID string, now time.Time) *turn {
	return &turn{c: c, f: f, now: now, memberID: memberID, member: f.Member()}
}

func (t *turn) emit(o Outcome) { t.Outcomes = append(t.Outcomes, o) }

func (t *turn) say(msgs ...tsunagu.Message) {
	if len(msgs) > 0 {
		t.emit(Said{Messages: msgs})
	}
}

func (t *turn) sayText(texts ...string) {
	for _, s := range texts {
		t.say(tsunagu.Message{Text: t.c.Texts.In(memberLang(t.member), s)})
	}
}

// Event decides what a member's follow, unfollow, text, tap or sticker
// does. memberID is the pseudonym of ev's LINE user.
func (c *Conversation) Event(f Facts, memberID string, ev tsunagu.Inbound, now time.Time) (Turn, error) {
	t := c.turn(f, memberID, now)
	t.immediate = true
	err := t.event(ev)
	return t.Turn, err
}

// Failed is the turn for an event that could not be handled: a kind word
// to the member, and an info alert so that a supporter looks.
func (c *Conversation) Failed(f Facts, memberID string, now time.Time) (Turn, error) {
	t := c.turn(f, memberID, now)
	t.Summary = "failed"
	t.sayText(c.Texts.Sorry)
	if t.member == nil {
		return t.Turn, nil
	}
	err := t.alert(tsunagu.Alert{Severity: tsunagu.SeverityInfo, Reason: "メッセージをうまく処理できませんでした。LINEの画面で確認してください"})
	return t.Turn, err
}

func (t *turn) event(ev tsunagu.Inbound) error {
	m := t.member
	switch ev.Kind {
	case tsunagu.InboundFollow:
		if m == nil {
			t.Summary = "welcome"
			t.sayText(t.c.Texts.Welcome)
			return nil
		}
		t.Summary = "welcome back"
		t.sayText(t.c.Texts.WelcomeBack)
		if !m.Blocked {
			return nil
		}
		// The link was kept: no new code is needed, and the supporter
		// hears that the way to the member is open again.
		back := *m
		back.Blocked = false
		t.setMember(back)
		return t.alert(tsunagu.Alert{Severity: tsunagu.SeverityInfo, Reason: "LINEのブロックが解除されました。また連絡できます"})
	case tsunagu.InboundUnfollow:
		t.Summary = "unfollowed"
		if m == nil || m.Blocked {
			return nil
		}
		// For outreach a block is a signal, not an ending: the member stays
		// linked, gets nothing, and a supporter hears of it.
		gone := *m
		gone.Blocked = true
		t.setMember(gone)
		return t.alert(tsunagu.Alert{Severity: tsunagu.SeverityInfo, Reason: "LINEでブロック（友だち解除）されました。LINEのメッセージは届きません。ほかの方法で様子を見てください"})
	case tsunagu.InboundText, tsunagu.InboundPostback, tsunagu.InboundMedia:
		if m == nil {
			return t.enrol(ev)
		}
		return t.converse(ev)
	}
	t.Summary = "ignored"
	return nil
}

func (t *turn) setMember(m tsunagu.Member) {
	t.member = &m
	t.emit(MemberChanged{Member: m})
}

// enrol links a LINE user to a family by an invite code in their message,
// and starts the sign-up flow if there is one.
func (t *turn) enrol(ev tsunagu.Inbound) error {
	if ev.Kind != tsunagu.InboundText { // a tap or a sticker before enrolment
		t.Summary = "not enrolled"
		t.sayText(t.c.Texts.AskCode)
		return nil
	}
	// The code is read first, so that a risk word in the same message is
	// answered — first — for the family it enrols into, not a stranger.
	outcomes := len(t.Outcomes)
	if err := t.link(ev); err != nil {
		return err
	}
	if m, ok := t.riskIn(ev.Text, nil); ok {
		// Someone in distress before (or while) enrolling gets help at
		// once, and supporters hear of it.
		linked := slices.Clone(t.Outcomes[outcomes:])
		t.Outcomes = t.Outcomes[:outcomes]
		summary := t.Summary
		if err := t.risk(m, ev.Text, nil); err != nil {
			return err
		}
		t.Outcomes = append(t.Outcomes, linked...)
		if summary != "" {
			t.Summary = summary + ", risk words"
		}
	}
	if t.Summary == "" {
		t.Summary = "asked for code"
		t.sayText(t.c.Texts.AskCode)
	}
	return nil
}

// link enrols the sender with the first valid invite code in their message,
// counting every wrong one, and starts the sign-up flow. It says nothing
// when the message holds no code.
func (t *turn) link(ev tsunagu.Inbound) error {
	codes := tsunagu.FindInviteCodes(ev.Text)
	if len(codes) == 0 {
		return nil
	}
	fails := t.f.EnrolFails()
	left := min(MaxEnrolFails-fails, MaxEnrolFailsAll-t.f.EnrolFailsAll())
	if left <= 0 {
		t.Summary = "enrolment locked"
		t.sayText(t.c.Texts.LockedOut)
		return nil
	}
	wrong := 0
	for _, code := range codes {
		if wrong == left {
			break // every code counts: a message of 500 codes tries no more than one of 5
		}
		inv, err := t.f.Invite(code)
		if err != nil {
			return err
		}
		if inv == nil || !t.now.Before(inv.ExpiresAt) {
			wrong++
			continue
		}
		if wrong > 0 {
			t.emit(EnrolFailed{Codes: wrong})
		}
		m := tsunagu.Member{ID: t.memberID, FamilyCode: inv.FamilyCode, Role: inv.Role, LineUserID: ev.UserID, LinkedAt: t.now, Lang: inv.Lang}
		t.member, t.fam = &m, nil // the family is the invite's now
		t.emit(MemberLinked{Member: m, Invite: code})
		t.Summary = "enrolled"
		t.sayText(t.c.Texts.Enrolled)
		return t.startTriggered(func(f *Flow) bool { return f.OnEnrol })
	}
	t.emit(EnrolFailed{Codes: wrong})
	t.Summary = "wrong code"
	if wrong >= left {
		t.sayText(t.c.Texts.LockedOut)
	} else {
		t.sayText(t.c.Texts.WrongCode)
	}
	return nil
}

// converse handles an enrolled member's text, tap or sticker.
func (t *turn) converse(ev tsunagu.Inbound) error {
	sess := t.f.Session()
	var flow *Flow
	if sess.Open() {
		var err error
		if flow, err = t.f.SessionFlow(); err != nil {
			return err
		}
	}

	if ev.Kind == tsunagu.InboundPostback {
		if handled, err := t.menu(ev.Data, flow); handled { // flows/menu.go
			return err
		}
	}

	var risky riskLevel
	if ev.Kind == tsunagu.InboundText {
		if m, ok := t.riskIn(ev.Text, flow); ok {
			risky = riskUrgent
			if m.Gentle {
				risky = riskGentle
			}
			if err := t.risk(m, ev.Text, flow); err != nil {
				return err
			}
		}
	}

	if ev.Kind == tsunagu.InboundText && !t.answers(flow, sess, ev.Text) {
		switch ControlWord(ev.Text) {
		case ControlStop:
			return t.stop(sess, flow)
		case ControlResume:
			return t.resume()
		}
	}

	if flow == nil {
		if sess.Open() {
			// The flow was removed while the member was in it: end the
			// session rather than leave them waiting forever.
			t.endGone(sess)
		}
		if declined(t.member) {
			return t.declined(ev)
		}
		return t.outsideFlow(ev, risky)
	}

	if ev.Kind == tsunagu.InboundMedia {
		// A sticker or a photo is no answer, but it is a reply: thank them
		// and ask again, without counting it as a wrong answer.
		t.Summary = "media in flow"
		t.sayText(t.c.Texts.MediaInFlow)
		t.prompt(flow, sess)
		return nil
	}
	in := Input{Text: ev.Text}
	if ev.Kind == tsunagu.InboundPostback {
		in = Input{Postback: ev.Data}
	}
	env, err := t.env(flow)
	if err != nil {
		return err
	}
	res, err := flow.Resume(sess, in, t.now, env)
	switch {
	case errors.Is(err, ErrStaleAnswer):
		// A tap on an old question's button: show the current question.
		t.Summary = "stale answer"
		t.prompt(flow, sess)
		return nil
	case errors.Is(err, ErrStepGone), errors.Is(err, ErrWrongFlow), errors.Is(err, ErrNotWaiting):
		// The session cannot go on (its version of the flow is gone): end
		// it rather than fail this event on every redelivery, and take the
		// input as if no check-in were open.
		t.endGone(sess)
		return t.outsideFlow(ev, risky)
	case err != nil:
		return err
	}
	switch {
	case res.Ended:
		t.Summary = "session ended"
	case res.Reasked:
		t.Summary = "re-asked"
	default:
		t.Summary = "answered"
	}
	return t.result(flow, res, env, EndMissed)
}

// answers reports whether text is one of the choices of the question the
// open session waits on: a button labelled やめる is an answer, not a stop.
func (t *turn) answers(flow *Flow, sess *tsunagu.Session, text string) bool {
	if flow == nil || !sess.Open() {
		return false
	}
	step := flow.Step(sess.Step)
	switch {
	case step == nil:
		return false
	case step.Text != nil:
		// A question asked in the member's own words takes their words as
		// the answer: 「やめて」 to 「なにがあった？」 may be what someone
		// says to them, and must reach a supporter, not pause check-ins.
		return true
	}
	return len(step.Choices) > 0 && readChoice(step, text, casual, flow.Lang(sess.Lang)).ok
}

// declined reports whether the member said no to the sign-up consent.
func declined(m *tsunagu.Member) bool {
	return m != nil && m.Consent != "" && !tsunagu.Consented(*m)
}

// declined answers a member who declined the sign-up consent and writes
// outside a check-in: nothing but the safety reply (already given), unless
// they ask to take part after all (参加する, or a keyword of the sign-up
// flow), which starts the sign-up flow again.
func (t *turn) declined(ev tsunagu.Inbound) error {
	if ev.Kind == tsunagu.InboundText {
		join := ControlWord(ev.Text) == ControlJoin
		started := len(t.Outcomes)
		if err := t.startTriggered(func(f *Flow) bool { return f.OnEnrol && (join || f.MatchKeyword(ev.Text)) }); err != nil {
			return err
		}
		if len(t.Outcomes) > started {
			t.Summary = "asked to join again"
			return nil
		}
	}
	if t.Summary == "" {
		t.Summary = "declined consent: not answered"
	}
	return nil
}

// stop pauses check-ins at the member's own word: an open session ends
// (neither answered nor missed, so no streak), the member is told how to
// resume, and supporters hear of it.
func (t *turn) stop(sess *tsunagu.Session, flow *Flow) error {
	t.Summary = "stopped"
	if sess.Open() {
		if flow == nil {
			t.endGone(sess)
		} else {
			env, err := t.env(flow)
			if err != nil {
				return err
			}
			r := flow.Expire(sess, t.now, env)
			r.Session.Status = tsunagu.SessionStopped
			for _, a := range r.Alerts {
				if err := t.alert(a); err != nil {
					return err
				}
			}
			t.emit(SessionEnded{Session: r.Session, Why: EndStopped})
		}
	}
	t.sayText(t.c.Texts.Stopped)
	if t.member.Stopped {
		return nil // said again: once is enough for supporters
	}
	m := *t.member
	m.Stopped = true
	t.setMember(m)
	return t.alert(tsunagu.Alert{Severity: tsunagu.SeverityInfo, Reason: "本人がLINEで「停止」と送り、チェックインをお休みしています（本人が「再開」と送ると戻ります）"})
}

// resume ends the member's own pause.
func (t *turn) resume() error {
	t.Summary = "resumed"
	t.sayText(t.c.Texts.Resumed)
	if !t.member.Stopped {
		return nil
	}
	m := *t.member
	m.Stopped = false
	t.setMember(m)
	return t.alert(tsunagu.Alert{Severity: tsunagu.SeverityInfo, Reason: "本人がLINEで「再開」と送り、チェックインがまた届くようになりました"})
}

// endGone ends a session whose flow is gone, as missed.
func (t *turn) endGone(sess *tsunagu.Session) {
	ended := cloneSession(sess)
	ended.Status, ended.Step, ended.UpdatedAt = tsunagu.SessionMissed, "", t.now
	t.emit(SessionEnded{Session: ended, Why: EndFlowGone})
}

// result takes what the engine decided for the open session; missedWhy is
// why it ended if it ended unfinished.
func (t *turn) result(flow *Flow, res Result, env Env, missedWhy EndReason) error {
	t.say(res.Messages...)
	for _, a := range res.Alerts {
		if err := t.alert(a); err != nil {
			return err
		}
	}
	if !res.Ended {
		t.emit(SessionChanged{Session: res.Session})
		return nil
	}
	why := missedWhy
	if res.Session.Status == tsunagu.SessionCompleted {
		why = EndCompleted
	}
	if err := t.ended(flow, res.Session, env, why); err != nil {
		return err
	}
	return t.next()
}

// ended records a session that just ended: the streak it leaves, the
// outreach alert when a miss completes the flow's streak, and the sign-up
// consent.
func (t *turn) ended(flow *Flow, s *tsunagu.Session, env Env, why EndReason) error {
	t.emit(SessionEnded{Session: s, Why: why})
	if s.Status != tsunagu.SessionMissed {
		t.emit(StreakChanged{FlowID: flow.ID})
	} else {
		n := env.StreakMissed + 1
		t.emit(StreakChanged{FlowID: flow.ID, Missed: n})
		if flow.Missed != nil && n == flow.Missed.Streak {
			if err := t.alert(t.streakAlert(flow, n)); err != nil {
				return err
			}
		}
	}
	if a, ok := s.Answers[ConsentStep]; ok && flow.OnEnrol && !a.Skipped && t.member != nil {
		m := *t.member
		m.Consent, m.ConsentLabel = a.Value, cmp.Or(a.Label, a.Value)
		t.member = &m
		t.emit(ConsentRecorded{Value: a.Value, Label: m.ConsentLabel})
	}
	if m, ok := languageChosen(flow, s, t.member); ok {
		t.member = &m
		t.emit(MemberChanged{Member: m})
	}
	return nil
}

// next starts the check-in that waited for the session that just ended:
// at once when the member is here (they just answered), else as a start
// of its own.
func (t *turn) next() error {
	waiting, err := t.f.Waiting()
	if err != nil || len(waiting) == 0 {
		return err
	}
	t.emit(WaitingTaken{})
	flow := t.c.Flows.Get(waiting[0].FlowID)
	if flow == nil {
		return nil // the flow was removed while it waited
	}
	if !t.immediate {
		// Not an answer from the member (an expiry, perhaps at night): the
		// waiting check-in starts as a push of its own, which quiet hours
		// hold back and which checks again who may get it.
		t.emit(StartLater{FlowID: flow.ID, Key: waiting[0].Key})
		return nil
	}
	return t.startIfAllowed(flow)
}

// streakAlert tells supporters a member has missed n check-ins of flow in
// a row: the outreach alert (誘い出し).
func (t *turn) streakAlert(flow *Flow, n int) tsunagu.Alert {
	last := "まだありません"
	if hist, err := t.f.History(); err == nil {
		if _, s := MissedRun(hist, flow.ID); s != nil {
			last = s.UpdatedAt.In(t.c.location()).Format("2006-01-02")
		}
	}
	return tsunagu.Alert{
		Severity:  flow.Missed.Severity,
		FlowID:    flow.ID,
		FlowTitle: flow.Title,
		Reason:    cmp.Or(flow.Missed.Note, "チェックインへの回答が続けてありません"),
		Answers: []tsunagu.QA{
			{Question: "続けて答えがなかった回数", Answer: strconv.Itoa(n) + "回"},
			{Question: "最後に答えてくれた日", Answer: last},
		},
	}
}

func (c *Conversation) location() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// startIfAllowed starts flow unless the member may not get it now.
func (t *turn) startIfAllowed(flow *Flow) error {
	fam, err := t.family()
	if err != nil {
		return err
	}
	if why := t.c.Exclusion(flow, *t.member, *fam); why != "" {
		t.Summary += ", not started: " + why
		return nil
	}
	return t.start(flow)
}

// start opens a session of flow with its first question, and its
// reminders and expiry.
func (t *turn) start(flow *Flow) error {
	env, err := t.env(flow)
	if err != nil {
		return err
	}
	res := flow.Start(t.c.NewID(), t.member.ID, t.now, env)
	t.emit(Started(flow, res.Session))
	t.say(res.Messages...)
	return nil
}

// Started is the SessionStarted of session s of flow, with the times of
// its reminders and expiry.
func Started(flow *Flow, s *tsunagu.Session) SessionStarted {
	st := SessionStarted{Session: s, Expires: s.StartedAt.Add(flow.ExpiresAfter)}
	for _, r := range flow.Reminders {
		st.Reminders = append(st.Reminders, s.StartedAt.Add(r.After))
	}
	return st
}

// startTriggered starts the first flow in force that trigger selects and
// whose audience includes the member.
func (t *turn) startTriggered(trigger func(*Flow) bool) error {
	fam, err := t.family()
	if err != nil {
		return err
	}
	for _, f := range t.c.Flows.All() {
		if trigger(f) && f.ForAudience(t.member.Role, fam.Tags) {
			t.Summary += ", started " + f.ID
			return t.start(f)
		}
	}
	return nil
}

// prompt asks the session's current question again.
func (t *turn) prompt(flow *Flow, sess *tsunagu.Session) {
	if m, ok := flow.Prompt(sess); ok {
		t.say(m)
	}
}

// outsideFlow answers a member who writes while no check-in is open: a
// keyword starts its flow; anything else is acknowledged and shown to
// supporters.
func (t *turn) outsideFlow(ev tsunagu.Inbound, risky riskLevel) error {
	switch ev.Kind {
	case tsunagu.InboundPostback:
		t.Summary = "no open question"
		t.sayText(t.c.Texts.NoQuestion)
		return nil
	case tsunagu.InboundMedia:
		t.Summary = "media"
		t.sayText(t.c.Texts.MediaAck)
		return t.alert(tsunagu.Alert{
			Severity: tsunagu.SeverityInfo,
			Reason:   "チェックインの外でスタンプや画像が届きました（内容はLINEの画面で確認できます）",
		})
	}
	if risky == riskNone {
		t.Summary = "free text"
	}
	started := len(t.Outcomes)
	if err := t.startTriggered(func(f *Flow) bool { return f.MatchKeyword(ev.Text) }); err != nil {
		return err
	}
	if len(t.Outcomes) > started {
		return nil // the keyword's flow takes it from here
	}
	if risky == riskUrgent {
		return nil // the safety message is the answer; the urgent alert carries the text
	}
	t.sayText(t.c.Texts.Ack)
	if risky == riskGentle {
		return nil // the warning alert carries the text
	}
	return t.alert(tsunagu.Alert{
		Severity: tsunagu.SeverityInfo,
		Reason:   "チェックインの外でメッセージが届きました",
		Answers:  []tsunagu.QA{{Question: "メッセージ", Answer: ev.Text}},
	})
}

// StrangerLabel is the label supporters see for someone not enrolled: six
// characters of their pseudonym, enough to tell strangers apart in a
// channel, nothing that leads back to a LINE account.
func StrangerLabel(memberID string) string {
	if len(memberID) > 6 {
		memberID = memberID[:6]
	}
	return "#" + memberID
}

// riskLevel is what the risk rules made of a text.
type riskLevel int

const (
	riskNone   riskLevel = iota
	riskUrgent           // a match: the safety reply, an urgent alert
	riskGentle           // a negated match (死にたくない): a warning alert only
)

// riskIn checks text with the programme's rules and, within a check-in,
// the flow's own words and patterns.
func (t *turn) riskIn(text string, flow *Flow) (risk.Match, bool) {
	if t.c.Risk == nil {
		return risk.Match{}, false
	}
	m, ok := t.c.Risk.Check(text)
	if (ok && !m.Gentle) || flow == nil {
		return m, ok
	}
	fr := flow.Risk()
	d := t.c.Risk.Detector()
	if d == nil || len(fr.Words)+len(fr.Patterns) == 0 {
		return m, ok
	}
	fd, err := d.With(fr.Words, fr.Patterns)
	if err != nil {
		return m, ok // checked when the flow was loaded
	}
	if fm, fok := fd.Check(text); fok && (!ok || !fm.Gentle) {
		return fm, true
	}
	return m, ok
}

// risk answers a risk match: at once, the safety reply for its category
// and the member's audience, and an urgent alert with the text, the
// category first; a negated match (死にたくない) is a warning alert only.
func (t *turn) risk(m risk.Match, text string, flow *Flow) error {
	t.Summary = "risk words"
	audience, role := risk.Child, tsunagu.Role("")
	if mem := t.member; mem != nil { // as this turn leaves them: enrolled by this very message too
		role = mem.Role
		if mem.Role == tsunagu.RoleGuardian {
			audience = risk.Guardian
		}
	}
	word := matchedWord(m)
	t.emit(RiskDetected{Word: word, Category: m.Category.Label(), Rule: m.Rule, Gentle: m.Gentle, Audience: role})
	a := tsunagu.Alert{
		Severity: tsunagu.SeverityUrgent,
		Category: m.Category.Label(),
		Reason:   RiskReason(m),
		Answers:  []tsunagu.QA{{Question: "メッセージ", Answer: text}},
	}
	if m.Gentle {
		t.Summary = "risk words (negated)"
		a.Severity = tsunagu.SeverityWarning
	} else {
		t.sayText(t.c.Safety.In(memberLang(t.member)).Message(m.Category, audience))
	}
	if t.member == nil && t.memberID != "" {
		// Someone who never enrolled: a label of their own, so that their
		// messages thread together and a flood of strangers can be capped.
		a.Stranger = StrangerLabel(t.memberID)
		a.Reason = "未登録の人（" + a.Stranger + "）: " + a.Reason
	}
	if s := t.f.Session(); flow != nil && s.Open() {
		// Within a check-in: the answers so far, and the question the text
		// answered, so the supporter reads it in its context.
		a.FlowID, a.FlowTitle = flow.ID, flow.Title
		q := "メッセージ"
		if step := flow.Step(s.Step); step != nil {
			q = render(step.Question(), s)
		}
		a.Answers = append(flow.QA(s), tsunagu.QA{Question: q, Answer: text})
	}
	return t.alert(a)
}

// alert addresses an alert raised for this member and adds it to the turn.
func (t *turn) alert(a tsunagu.Alert) error {
	fam, err := t.family()
	if err != nil {
		return err
	}
	a.ID = t.c.NewID()
	a.FamilyCode, a.Supporter = fam.Code, fam.Supporter
	a.State = tsunagu.AlertOpen
	if m := t.member; m != nil {
		a.Role, a.MemberID, a.Lang = m.Role, m.ID, m.Lang
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = t.now
	}
	t.emit(AlertRaised{Alert: a})
	return nil
}

// Unenrolled is the family code alerts show for someone not enrolled.
const Unenrolled = "未登録"

// family returns the member's family, or a stand-in before enrolment.
func (t *turn) family() (*tsunagu.Family, error) {
	if t.fam != nil {
		return t.fam, nil
	}
	code := Unenrolled
	if t.member != nil {
		code = t.member.FamilyCode
	}
	f, err := t.f.Family(code)
	if err != nil {
		return nil, err
	}
	if f == nil {
		f = &tsunagu.Family{Code: code}
	}
	t.fam = f
	return f, nil
}

// env is what the engine may know of the member for flow.
func (t *turn) env(flow *Flow) (Env, error) {
	fam, err := t.family()
	if err != nil {
		return Env{}, err
	}
	env := Env{Tags: fam.Tags}
	if t.member != nil {
		env.Role, env.Lang = t.member.Role, t.member.Lang
	}
	hist, err := t.f.History()
	if err != nil {
		return env, err
	}
	var last *tsunagu.Session
	env.StreakMissed, last = MissedRun(hist, flow.ID)
	if last != nil {
		env.Previous = last.Answers
	}
	return env, nil
}

// MissedRun reads a member's history (newest first) for one flow: the
// sessions missed since the last completed one, and that one (nil when
// there is none).
func MissedRun(hist []tsunagu.Session, flowID string) (missed int, last *tsunagu.Session) {
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

// Remind sends reminder i of the session ref names, if it still waits for
// the member and has not had it.
func (c *Conversation) Remind(f Facts, ref SessionRef, i int, now time.Time) (Turn, error) {
	t := c.turn(f, "", now)
	sess := f.Session()
	if !ref.matches(sess) || t.member == nil {
		t.Summary = "session moved on"
		return t.Turn, nil
	}
	flow, err := f.SessionFlow()
	switch {
	case err != nil:
		return t.Turn, err
	case flow == nil:
		t.Summary = "flow gone"
		return t.Turn, nil
	case sess.Reminded > i || t.member.Blocked || t.member.Stopped:
		t.Summary = "not needed"
		return t.Turn, nil
	}
	msgs, ok := flow.Reminder(sess, i)
	if !ok {
		t.Summary = "no such reminder"
		return t.Turn, nil
	}
	next := cloneSession(sess)
	next.Reminded = i + 1
	t.Summary = "reminded"
	t.emit(SessionChanged{Session: next})
	t.say(msgs...)
	return t.Turn, nil
}

// Expire ends the session ref names as missed, if it still waits: the
// answers so far are kept, the `end` alerts are evaluated on them, and the
// missed streak moves on.
func (c *Conversation) Expire(f Facts, ref SessionRef, now time.Time) (Turn, error) {
	t := c.turn(f, "", now)
	sess := f.Session()
	if !ref.matches(sess) || t.member == nil {
		t.Summary = "session moved on"
		return t.Turn, nil
	}
	flow, err := f.SessionFlow()
	if err != nil || flow == nil {
		t.Summary = "flow gone"
		return t.Turn, err
	}
	env, err := t.env(flow)
	if err != nil {
		return t.Turn, err
	}
	t.Summary = "expired"
	return t.Turn, t.result(flow, flow.Expire(sess, now, env), env, EndExpired)
}

// Begin starts flow for a member who is due to get it (a dispatch has
// checked Exclusion): at once when no session is open; when one of the
// same flow is open, after ending it as missed if replace (the next
// occurrence of a schedule: one session per member and flow), else not at
// all (a coordinator's send must not make a miss the member never had);
// or, when another flow's session is open, as a waiting check-in. key
// names what asked for it. Turn.Summary is one of the Began* words.
func (c *Conversation) Begin(f Facts, flow *Flow, key string, replace bool, now time.Time) (Turn, error) {
	t := c.turn(f, "", now)
	cur := f.Session()
	switch {
	case t.member == nil:
		t.Summary = BeganNoMember
		return t.Turn, nil
	case !cur.Open():
		t.Summary = BeganStarted
		return t.Turn, t.start(flow)
	case cur.FlowID != flow.ID:
		t.Summary = BeganWaiting
		return t.Turn, t.wait(flow, key)
	case !replace:
		t.Summary = BeganOpen
		return t.Turn, nil
	}
	old, err := f.SessionFlow()
	if err != nil {
		return t.Turn, err
	}
	if old == nil {
		old = flow
	}
	env, err := t.env(old)
	if err != nil {
		return t.Turn, err
	}
	r := old.Expire(cur, now, env)
	for _, a := range r.Alerts {
		if err := t.alert(a); err != nil {
			return t.Turn, err
		}
	}
	if err := t.ended(old, r.Session, env, EndSuperseded); err != nil {
		return t.Turn, err
	}
	t.Summary = BeganRestarted
	return t.Turn, t.start(flow)
}

// wait puts flow on the member's waiting list, once.
func (t *turn) wait(flow *Flow, key string) error {
	waiting, err := t.f.Waiting()
	if err != nil {
		return err
	}
	for _, w := range waiting {
		if w.FlowID == flow.ID {
			return nil // already waiting: once is enough
		}
	}
	t.emit(CheckInWaiting{FlowID: flow.ID, Key: key})
	return nil
}

// StartWaiting starts a check-in that waited for the member's previous one
// (StartLater), unless another session is open again — then it waits again
// — or the member may not get it now.
func (c *Conversation) StartWaiting(f Facts, flowID, key string, now time.Time) (Turn, error) {
	t := c.turn(f, "", now)
	flow := c.Flows.Get(flowID)
	switch {
	case t.member == nil || flow == nil:
		t.Summary = "nothing to start"
		return t.Turn, nil
	case f.Session().Open():
		t.Summary = "waiting again"
		return t.Turn, t.wait(flow, key)
	}
	t.Summary = "started " + flow.ID
	return t.Turn, t.startIfAllowed(flow)
}

// Opening is the start of flow for a member with no open session, as a
// dispatch's fast path makes it for many members at once: the session and
// its first question. The dispatch's reminders and expiry are set for all
// its members together.
func (c *Conversation) Opening(flow *Flow, m tsunagu.Member, fam tsunagu.Family, dispatch string, now time.Time) (*tsunagu.Session, []tsunagu.Message) {
	r := flow.Start(c.NewID(), m.ID, now, Env{Role: m.Role, Tags: fam.Tags, Lang: m.Lang})
	r.Session.Dispatch = dispatch
	return r.Session, r.Messages
}

// Exclusion says why member m of family fam gets no check-in of flow, or
// "" when they do: not in its audience, blocked, paused, or without the
// sign-up consent (once a sign-up flow asks for it, or they declined it).
func (c *Conversation) Exclusion(flow *Flow, m tsunagu.Member, fam tsunagu.Family) string {
	switch {
	case !flow.ForAudience(m.Role, fam.Tags):
		return NotInAudience
	case m.Blocked:
		return Blocked
	case fam.Paused:
		return Paused
	case m.Stopped:
		return Stopped
	case !flow.OnEnrol && (m.Consent != "" || c.ConsentRequired()) && !tsunagu.Consented(m):
		return NoConsent
	}
	return ""
}

// ConsentRequired reports whether a sign-up flow asks for consent, in
// which case only members who gave it get check-ins.
func (c *Conversation) ConsentRequired() bool {
	for _, f := range c.Flows.All() {
		if f.OnEnrol && f.Step(ConsentStep) != nil {
			return true
		}
	}
	return false
}
