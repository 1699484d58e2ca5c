package flows

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/tsunagu/tsunagu"
)

// Errors of Resume: a resume the session's wait does not accept. The caller
// decides what to do (ignore an old button, start a new session...), the
// engine never guesses.
var (
	ErrNotWaiting  = errors.New("session is not waiting for an answer")
	ErrStaleAnswer = errors.New("postback is for another session or step")
	ErrWrongFlow   = errors.New("session belongs to another flow")
	ErrStepGone    = errors.New("the step the session waits on is no longer in the flow")
)

// LoopGuardNote is the reason of the alert raised when a session enters a
// step more than MaxVisits times and is stopped.
const LoopGuardNote = "フローがループしています (loop guard)"

// Env is who the engine runs for and what it may know of their past. It is
// plain data; the caller fills it. Family codes are deliberately absent:
// nothing the engine writes to a member can show one.
type Env struct {
	Role tsunagu.Role
	Tags []string
	// Previous holds the member's answers in their last completed session
	// of this flow, by step id, for previous("step") in conditions.
	Previous map[string]tsunagu.Answer
	// StreakMissed is how many sessions of this flow the member missed in a
	// row before this one, for streak_missed in conditions.
	StreakMissed int
	// Lang is the language the member reads ("" for the programme's
	// default). A session starts in it when the flow speaks it, else in the
	// flow's default, and keeps that language to its end.
	Lang string
}

// Input is what the member sent: typed text or a quick-reply postback.
// Exactly one is set; if both are, the postback is read.
type Input struct {
	Text     string
	Postback string
}

// Result is what a Start, Resume or Expire decided. The caller commits
// Session and queues Messages and Alerts in one transaction, then delivers
// them.
type Result struct {
	Session  *tsunagu.Session // a new copy; Version is the caller's to bump
	Messages []tsunagu.Message
	Alerts   []tsunagu.Alert // the caller fills ID, FamilyCode, Role, Supporter, State
	Reasked  bool            // the answer did not fit and the question was asked again
	Ended    bool            // the session is over: Session.Status says completed or missed
}

// Start opens a session on the first step and sends its `say`.
func (f *Flow) Start(sessionID, memberID string, now time.Time, env Env) Result {
	s := &tsunagu.Session{
		ID:        sessionID,
		MemberID:  memberID,
		FlowID:    f.ID,
		FlowHash:  f.Hash,
		Answers:   map[string]tsunagu.Answer{},
		Status:    tsunagu.SessionWaiting,
		StartedAt: now,
		UpdatedAt: now,
	}
	if lang := f.Lang(env.Lang); lang != f.Lang("") {
		s.Lang = lang
	}
	res := Result{Session: s}
	f.enter(&res, f.Steps[0].ID, now, env)
	return res
}

// Resume hands the member's input to the step the session waits on. An
// answer that fits is recorded, `answered` alerts that now hold are raised,
// and the session moves on one step (or ends); one that does not fit is
// asked again, kindly, without moving.
func (f *Flow) Resume(s *tsunagu.Session, in Input, now time.Time, env Env) (Result, error) {
	switch {
	case !s.Open():
		return Result{}, ErrNotWaiting
	case s.FlowID != f.ID:
		return Result{}, fmt.Errorf("session %s is on flow %q, not %q: %w", s.ID, s.FlowID, f.ID, ErrWrongFlow)
	}
	step := f.Step(s.Step)
	if step == nil {
		return Result{}, fmt.Errorf("session %s waits on step %q: %w", s.ID, s.Step, ErrStepGone)
	}
	a, err := f.read(s, step, in)
	if err != nil {
		return Result{}, err
	}

	next := cloneSession(s)
	next.UpdatedAt = now
	res := Result{Session: next}
	if !a.ok {
		next.Reasks++
		res.Reasked = true
		why := a.why
		if step.RetrySay != "" && !a.tooLong {
			why = f.render(step.RetrySayIn.in(step.RetrySay, f.Lang(next.Lang)), next)
		}
		res.Messages = []tsunagu.Message{{Text: why}, f.question(next, step)}
		return res, nil
	}
	next.Answers[step.ID] = tsunagu.Answer{Value: a.value, Label: a.label, Skipped: a.skipped, At: now}
	next.Order = append(slices.DeleteFunc(next.Order, func(id string) bool { return id == step.ID }), step.ID)
	vars := f.vars(next, env, false)
	res.Alerts = f.raise(next, vars, WhenAnswered, now)
	f.enter(&res, f.after(step, a.choice, vars), now, env)
	return res, nil
}

// Expire ends an open session as missed: its answers are kept and the
// `end` alerts are evaluated on them (with `missed` true). Nothing is sent
// to the member. A session that is not open is returned unchanged, with
// Ended false.
func (f *Flow) Expire(s *tsunagu.Session, now time.Time, env Env) Result {
	next := cloneSession(s)
	if !s.Open() {
		return Result{Session: next}
	}
	next.UpdatedAt = now
	res := Result{Session: next}
	f.finish(&res, tsunagu.SessionMissed, now, env)
	return res
}

// Reminder is reminder i (0-based) of the flow for the open session s: its
// `say`, then the question s waits on again, with its buttons. ok is false
// when s is not open in this flow or the flow has no reminder i. Marking it
// sent (Session.Reminded) is the caller's.
func (f *Flow) Reminder(s *tsunagu.Session, i int) (msgs []tsunagu.Message, ok bool) {
	q, ok := f.Prompt(s)
	if !ok || i < 0 || i >= len(f.Reminders) {
		return nil, false
	}
	r := f.Reminders[i]
	return []tsunagu.Message{{Text: f.render(r.SayIn.in(r.Say, f.Lang(s.Lang)), s)}, q}, true
}

// Prompt is the question the open session s waits on, as the member saw it
// last, for asking again after an input that was no answer (a sticker, an
// old button). Only the question is repeated, not the texts before it. ok
// is false when s waits on nothing in this flow.
func (f *Flow) Prompt(s *tsunagu.Session) (m tsunagu.Message, ok bool) {
	if !s.Open() || s.FlowID != f.ID {
		return m, false
	}
	step := f.Step(s.Step)
	if step == nil {
		return m, false
	}
	return f.question(s, step), true
}

// after is the id of the step that follows s when the member picked choice
// c (nil for other kinds and skips): the choice's next, else the step's
// `next:` step, else its first `next:` rule that holds in vars, else the
// following step. It returns End past the last step.
func (f *Flow) after(s *Step, c *Choice, vars map[string]any) string {
	if c != nil && c.Next != "" {
		return c.Next
	}
	if s.Next != "" {
		return s.Next
	}
	for _, r := range s.Rules {
		if r.If == "" || holds(r.program, vars) {
			return r.Goto
		}
	}
	return f.following(s)
}

// enter moves the session in res to step id, or completes it at End, and
// adds what the member should see. Entering a step for the (MaxVisits+1)th
// time stops the session instead: a flow that goes round and round never
// keeps a member (or the engine) in it.
func (f *Flow) enter(res *Result, id string, now time.Time, env Env) {
	s := res.Session
	if id == End {
		f.finish(res, tsunagu.SessionCompleted, now, env)
		return
	}
	if s.Visits == nil {
		s.Visits = map[string]int{}
	}
	s.Visits[id]++
	if s.Visits[id] > MaxVisits {
		res.Messages = append(res.Messages, tsunagu.Message{Text: f.wordingIn(f.Lang(s.Lang)).loop})
		res.Alerts = append(res.Alerts, tsunagu.Alert{
			Severity:  tsunagu.SeverityWarning,
			FlowID:    f.ID,
			FlowTitle: f.Title,
			Reason:    fmt.Sprintf("%s: ステップ %q に%d回入ったので、セッションを止めました。フローの next: を見直してください", LoopGuardNote, id, s.Visits[id]),
			Answers:   f.QA(s),
			CreatedAt: now,
		})
		f.finish(res, tsunagu.SessionMissed, now, env)
		return
	}
	step := f.Step(id)
	s.Step, s.Reasks = id, 0
	res.Messages = append(res.Messages, f.messages(s, step)...)
}

// finish ends the session in res with status st: a completed session is
// thanked with `done`; either way the `end` alerts are evaluated.
func (f *Flow) finish(res *Result, st tsunagu.SessionStatus, now time.Time, env Env) {
	s := res.Session
	s.Status, s.Step, s.Reasks = st, "", 0
	res.Ended = true
	if st == tsunagu.SessionCompleted {
		lang := f.Lang(s.Lang)
		if a, ok := s.Answers[LanguageStep]; ok && f.Speaks(a.Value) {
			lang = a.Value // a member who just chose a language is thanked in it
		}
		res.Messages = append(res.Messages, tsunagu.Message{Text: f.render(f.DoneIn.in(f.Done, lang), s)})
	}
	res.Alerts = append(res.Alerts, f.raise(s, f.vars(s, env, st == tsunagu.SessionMissed), WhenEnd, now)...)
}

// messages are what entering step shows: each text of its `say`, the last
// with the buttons.
func (f *Flow) messages(s *tsunagu.Session, step *Step) []tsunagu.Message {
	say := step.sayIn(f.Lang(s.Lang))
	msgs := make([]tsunagu.Message, 0, len(say))
	for _, text := range say[:len(say)-1] {
		msgs = append(msgs, tsunagu.Message{Text: f.render(text, s)})
	}
	return append(msgs, f.question(s, step))
}

// question is the step's question, with a quick-reply button per choice
// and one to skip an optional step.
func (f *Flow) question(s *tsunagu.Session, step *Step) tsunagu.Message {
	lang := f.Lang(s.Lang)
	m := tsunagu.Message{Text: f.render(step.questionIn(lang), s)}
	for _, c := range step.Choices {
		m.QuickReplies = append(m.QuickReplies, tsunagu.QuickReply{
			Label: c.LabelIn(lang),
			Data:  encodePostback(s.ID, step.ID, c.Value),
		})
	}
	if step.Optional {
		m.QuickReplies = append(m.QuickReplies, tsunagu.QuickReply{
			Label: step.SkipIn.in(step.Skip, lang),
			Data:  encodePostback(s.ID, step.ID, skipValue),
		})
	}
	return m
}

// vars is what conditions see for session s.
func (f *Flow) vars(s *tsunagu.Session, env Env, missed bool) map[string]any {
	answers := make(map[string]any, len(s.Answers))
	for id, a := range s.Answers {
		if v, ok := f.value(id, a); ok {
			answers[id] = v
		}
	}
	vars := make(map[string]any, len(f.Steps)+6)
	for _, st := range f.Steps {
		vars[st.ID] = answers[st.ID] // nil when unanswered or skipped
	}
	vars[answersVar] = answers
	vars[familyVar] = familyVars{Tags: slices.Clone(env.Tags)}
	vars[memberVar] = memberVars{Role: string(env.Role)}
	vars[previousVar] = func(id string) any {
		if a, ok := env.Previous[id]; ok {
			if v, ok := f.value(id, a); ok {
				return v
			}
		}
		return nil
	}
	vars[streakVar] = env.StreakMissed
	vars[missedVar] = missed
	return vars
}

// value is an answer as conditions see it: a float64 for number and scale
// steps, else the string; ok is false for a skipped step.
func (f *Flow) value(id string, a tsunagu.Answer) (any, bool) {
	if a.Skipped {
		return nil, false
	}
	if step := f.Step(id); step != nil && step.numeric() {
		if v, err := strconv.ParseFloat(a.Value, 64); err == nil {
			return v, true
		}
	}
	return a.Value, true
}

// raise evaluates the alert rules of the given `when` that have not fired
// in this session, and records those that fire in s.Alerted.
func (f *Flow) raise(s *tsunagu.Session, vars map[string]any, when string, now time.Time) []tsunagu.Alert {
	var alerts []tsunagu.Alert
	for i, rule := range f.Alerts {
		if rule.When != when || slices.Contains(s.Alerted, i) || !holds(rule.program, vars) {
			continue
		}
		s.Alerted = append(s.Alerted, i)
		alerts = append(alerts, tsunagu.Alert{
			Severity:  rule.Severity,
			FlowID:    f.ID,
			FlowTitle: f.Title,
			Reason:    rule.Note,
			Answers:   f.QA(s),
			CreatedAt: now,
		})
	}
	return alerts
}

// QA lists a session's answers as supporters read them, in the order given:
// the question, and the choice's label or the number or text typed.
func (f *Flow) QA(s *tsunagu.Session) []tsunagu.QA {
	qa := make([]tsunagu.QA, 0, len(s.Order))
	for _, id := range s.Order {
		a, ok := s.Answers[id]
		if !ok {
			continue
		}
		q := id // a step removed by an edit still shows something
		if step := f.Step(id); step != nil {
			q = render(step.Question(), s)
		}
		answer := cmp.Or(a.Label, a.Value)
		if a.Skipped {
			answer = "（スキップ）"
		}
		qa = append(qa, tsunagu.QA{Question: q, Answer: answer})
	}
	return qa
}

func cloneSession(s *tsunagu.Session) *tsunagu.Session {
	c := *s
	c.Answers = maps.Clone(s.Answers)
	if c.Answers == nil {
		c.Answers = map[string]tsunagu.Answer{}
	}
	c.Order = slices.Clone(s.Order)
	c.Visits = maps.Clone(s.Visits)
	c.Alerted = slices.Clone(s.Alerted)
	return &c
}
