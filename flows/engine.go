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
	ErrLoop        = errors.New("flow passes too many steps without waiting")
)

// maxStepsPerResume bounds the steps one Resume may enter. Every kind of
// step waits for an answer today, so a Resume enters one; the bound is here
// so that steps which do not wait (a message-only step, a jump on a
// condition), when they come, cannot make a cycle spin the engine. One
// message per step entered keeps a Result within LINE's five a reply.
const maxStepsPerResume = 4

// Input is what the member sent: typed text or a quick-reply postback.
// Exactly one is set; if both are, the postback is read.
type Input struct {
	Text     string
	Postback string
}

// Result is what a Start or Resume decided. The caller commits Session and
// queues Messages and Alerts in one transaction, then delivers them.
type Result struct {
	Session  *tsunagu.Session // a new copy; Version is the caller's to bump
	Messages []tsunagu.Message
	Alerts   []tsunagu.Alert // the caller fills ID, FamilyCode, Role, Supporter, State
	Reasked  bool            // the answer did not fit and the question was asked again
	Ended    bool            // the member reached the end of the flow
}

// Start opens a session on the first step and asks its question.
func (f *Flow) Start(sessionID, memberID string, now time.Time) Result {
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
	first := f.Steps[0]
	s.Step = first.ID
	return Result{Session: s, Messages: []tsunagu.Message{f.question(s.ID, first)}}
}

// Resume hands the member's input to the step the session waits on. An
// answer that fits is recorded and the session moves on one step (or ends);
// one that does not is asked again, kindly, without moving.
func (f *Flow) Resume(s *tsunagu.Session, in Input, now time.Time) (Result, error) {
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
		res.Messages = []tsunagu.Message{{Text: a.why}, f.question(next.ID, step)}
		return res, nil
	}
	next.Answers[step.ID] = tsunagu.Answer{Value: a.value, Label: a.label, At: now}
	next.Order = append(slices.DeleteFunc(next.Order, func(id string) bool { return id == step.ID }), step.ID)
	if err := f.enter(&res, f.after(step, a.choice), now); err != nil {
		return Result{}, err
	}
	return res, nil
}

// enter moves the session in res to step id, or completes it at End, and
// adds what the member should see.
func (f *Flow) enter(res *Result, id string, now time.Time) error {
	s := res.Session
	for range maxStepsPerResume {
		if id == End {
			s.Status, s.Step, s.Reasks = tsunagu.SessionCompleted, "", 0
			res.Ended = true
			res.Messages = append(res.Messages, tsunagu.Message{Text: f.Done})
			res.Alerts = f.raise(s, now)
			return nil
		}
		step := f.Step(id)
		s.Step, s.Reasks = id, 0
		res.Messages = append(res.Messages, f.question(s.ID, step))
		if step.waits() {
			return nil
		}
		id = f.after(step, nil)
	}
	return fmt.Errorf("session %s: %w", s.ID, ErrLoop)
}

// waits reports whether the step stops for an answer; every kind does today.
func (s *Step) waits() bool { return true }

// Prompt is the question the open session s waits on, as the member saw it
// last, for asking again after an input that was no answer (a sticker, an
// old button). ok is false when s waits on nothing in this flow.
func (f *Flow) Prompt(s *tsunagu.Session) (m tsunagu.Message, ok bool) {
	if !s.Open() || s.FlowID != f.ID {
		return m, false
	}
	step := f.Step(s.Step)
	if step == nil {
		return m, false
	}
	return f.question(s.ID, step), true
}

// question is the step's message, with a quick-reply button per choice.
func (f *Flow) question(sessionID string, s *Step) tsunagu.Message {
	m := tsunagu.Message{Text: s.Say}
	for _, c := range s.Choices {
		m.QuickReplies = append(m.QuickReplies, tsunagu.QuickReply{
			Label: c.Label,
			Data:  encodePostback(sessionID, s.ID, c.Value),
		})
	}
	return m
}

// raise evaluates the flow's alert rules on a finished session.
func (f *Flow) raise(s *tsunagu.Session, now time.Time) []tsunagu.Alert {
	if len(f.Alerts) == 0 {
		return nil
	}
	vars := make(map[string]any, len(s.Answers))
	for id, a := range s.Answers {
		vars[id] = a.Value
		if step := f.Step(id); step != nil && step.Kind() == KindNumber {
			if v, err := strconv.ParseFloat(a.Value, 64); err == nil {
				vars[id] = v
			}
		}
	}
	var alerts []tsunagu.Alert
	for _, rule := range f.Alerts {
		if rule.holds(f, vars) {
			alerts = append(alerts, tsunagu.Alert{
				Severity:  rule.Severity,
				FlowID:    f.ID,
				FlowTitle: f.Title,
				Reason:    rule.Note,
				Answers:   f.QA(s),
				CreatedAt: now,
			})
		}
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
			q = step.Say
		}
		qa = append(qa, tsunagu.QA{Question: q, Answer: cmp.Or(a.Label, a.Value)})
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
	return &c
}
