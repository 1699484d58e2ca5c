// Package flows is the flow language of tsunagu: the types of a check-in
// flow, loading them from YAML with positions for every mistake, and the
// engine that moves a session through a flow.
//
// The engine is pure: (flow, session, input, now) → (new session, messages to
// send, alerts to raise). It does no I/O and reads no clock, so the same code
// runs in `tsunagu serve`, `tsunagu simulate` and the tests.
package flows

import (
	"github.com/expr-lang/expr/vm"

	"github.com/tsunagu/tsunagu"
)

// End is the `next` that finishes a flow.
const End = "end"

// DefaultDone is sent when a flow a child may get ends and its `done` is
// empty; guardian-only flows thank more formally.
const DefaultDone = "こたえてくれて、ありがとう！"

// LINE's limits, checked when a flow loads so that they never fail at send
// time (see DESIGN.md, "Facts about the services").
const (
	MaxChoices       = 13   // quick-reply items per message
	MaxLabelLen      = 20   // characters in a quick-reply label
	MaxPostbackLen   = 300  // characters of postback data
	MaxMessageLen    = 5000 // UTF-16 units of a text message
	MaxSessionIDLen  = 64   // the longest session id a postback must fit
	DefaultMaxLength = 500  // characters of a free-text answer
)

// Flow is one check-in conversation, loaded from one YAML file.
type Flow struct {
	ID     string
	Title  string
	Roles  []tsunagu.Role // who it is for; never empty once loaded
	Steps  []*Step        // the first one is where a session starts
	Alerts []*AlertRule
	Done   string // sent when the member reaches the end
	Hash   string // sha256 hex of the source, stored with each session
	File   string

	index map[string]int // step id → position in Steps
	idAt  pos            // where the id is written, for duplicate ids across files
}

// Step is one question and the kind of answer it waits for. Exactly one of
// Choices, Number and Text is set.
type Step struct {
	ID      string
	Say     string
	Choices []Choice
	Number  *NumberSpec
	Text    *TextSpec
	Next    string // a step id, End, or "" for the following step
}

// Kind names what a step waits for.
type Kind string

const (
	KindChoices Kind = "choices"
	KindNumber  Kind = "number"
	KindText    Kind = "text"
)

// Kind says what the step waits for.
func (s *Step) Kind() Kind {
	switch {
	case s.Number != nil:
		return KindNumber
	case s.Text != nil:
		return KindText
	default:
		return KindChoices
	}
}

// Choice is one quick-reply button of a step.
type Choice struct {
	Label string // shown on the button and in the chat
	Value string // recorded as the answer and compared in `if:`
	Next  string // where this choice leads; "" for the step's next
}

// NumberSpec is what a number step accepts. Min and Max are nil when the
// flow does not bound them.
type NumberSpec struct {
	Min, Max *float64
	Integer  bool
}

// TextSpec is what a free-text step accepts.
type TextSpec struct {
	MaxLength int // in characters
}

// AlertRule raises an alert for supporters when its condition holds at the
// end of a session. The condition reads answers by step id; one that reads
// a step the member did not answer is false as a whole, so conditions across
// branches belong in separate rules rather than one `or`.
type AlertRule struct {
	If       string
	Severity tsunagu.Severity
	Note     string

	program *vm.Program
}

// ForRole reports whether the flow is meant for members with role r.
func (f *Flow) ForRole(r tsunagu.Role) bool {
	for _, fr := range f.Roles {
		if fr == r {
			return true
		}
	}
	return false
}

// Step returns the step with the given id, or nil.
func (f *Flow) Step(id string) *Step {
	i, ok := f.index[id]
	if !ok {
		return nil
	}
	return f.Steps[i]
}

// after returns the id of the step that follows s when the member picked
// choice c (nil for number and text steps): the choice's next, else the
// step's next, else the following step. It returns End past the last step.
func (f *Flow) after(s *Step, c *Choice) string {
	if c != nil && c.Next != "" {
		return c.Next
	}
	if s.Next != "" {
		return s.Next
	}
	if i := f.index[s.ID] + 1; i < len(f.Steps) {
		return f.Steps[i].ID
	}
	return End
}

// choice returns the choice of s with the given value, or nil.
func (s *Step) choice(value string) *Choice {
	for i := range s.Choices {
		if s.Choices[i].Value == value {
			return &s.Choices[i]
		}
	}
	return nil
}
