// Package flows is the flow language of tsunagu: the types of a check-in
// flow, loading them from YAML with positions for every mistake, and the
// engine that moves a session through a flow.
//
// The engine is pure: (flow, session, input, now, env) → (new session,
// messages to send, alerts to raise). It does no I/O and reads no clock, so
// the same code runs in `tsunagu serve`, `tsunagu simulate` and the tests.
package flows

import (
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/robfig/cron/v3"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows/risk"
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
	MaxMessages      = 5    // messages in one reply or push
	MaxSessionIDLen  = 64   // the longest session id a postback must fit
	DefaultMaxLength = 500  // characters of a free-text answer
)

// Defaults and bounds of the flow language.
const (
	DefaultExpiresAfter = 24 * time.Hour
	DefaultSkipLabel    = "スキップ"
	// MaxVisits is how often one session may enter the same step. Entering
	// it once more ends the session as missed with a loop-guard alert.
	MaxVisits = 10
)

// Flow is one check-in conversation, loaded from one YAML file.
type Flow struct {
	ID          string
	Title       string
	Roles       []tsunagu.Role // who it is for; never empty once loaded
	Tags        []string       // families with any of these tags; empty for all
	ExcludeTags []string       // families with any of these tags never get it
	Steps       []*Step        // the first one is where a session starts
	Alerts      []*AlertRule
	Done        string // sent when the member reaches the end; may hold placeholders
	// Languages are the languages the flow speaks, its default first;
	// never empty once loaded. Each text above and below is in the default;
	// its *In twin holds the others.
	Languages []string
	DoneIn    Localized
	Hash      string // sha256 hex of the source, stored with each session
	File      string

	Schedules    []Schedule    // when the scheduler starts it; none: on demand only
	ExpiresAfter time.Duration // an open session then ends as missed (default 24h)
	Reminders    []Reminder    // in order of After, each before ExpiresAfter
	Missed       *MissedRule   // nil: no alert for a streak of missed sessions
	OnEnrol      bool          // started when a member enrols
	Keywords     []string      // started when a member types one of these

	riskWords []string
	riskRules FlowRisk
	index     map[string]int // step id → position in Steps
	idAt      pos            // where the id is written, for duplicate ids across files
}

// Schedule is one `schedule:` entry: when the scheduler starts the flow.
type Schedule struct {
	Cron     string // as written: 5 fields or a descriptor such as @weekly
	Timezone string // "" for the configured default (TSUNAGU_TIMEZONE)
	// Spec is Cron parsed by robfig/cron v3's standard parser, in Timezone
	// when one is set. Without one its Location is time.Local, which
	// robfig/cron reads as "the location of the time given to Next", so a
	// cron.New(cron.WithLocation(defaultTZ)) runs it in the default zone.
	Spec cron.Schedule
}

// Next is the first time after t the schedule fires, reading a schedule
// without its own timezone in def.
func (s Schedule) Next(t time.Time, def *time.Location) time.Time {
	if s.Timezone == "" && def != nil {
		t = t.In(def)
	}
	return s.Spec.Next(t)
}

// Reminder is sent by push to a member who has not finished, After the
// session started, with the question they wait on.
type Reminder struct {
	After time.Duration
	Say   string // may hold placeholders
	SayIn Localized
}

// MissedRule raises an alert when a member has missed Streak sessions of
// the flow in a row.
type MissedRule struct {
	Streak   int
	Severity tsunagu.Severity
	Note     string
}

// Step is one question and the kind of answer it waits for. Exactly one of
// Choices (also set for scale and yesno steps), Number and Text is set.
type Step struct {
	ID       string
	Say      []string // one message each, at most MaxMessages; the last is the question
	Choices  []Choice
	Number   *NumberSpec
	Text     *TextSpec
	Scale    *ScaleSpec // set with Choices, one per point of the scale
	YesNo    bool       // Choices are yes and no
	Next     string     // a step id, End, or "" for Rules, then the following step
	Rules    []*NextRule
	Optional bool   // the member may skip it: Answer.Skipped
	Skip     string // the label of the skip button
	RetrySay string // said before the question when an answer does not fit

	SayIn      map[string][]string // Say in the flow's other languages
	SkipIn     Localized
	RetrySayIn Localized
}

// NextRule is one `next:` entry: go to Goto when If holds. A rule with no
// If always holds.
type NextRule struct {
	If   string
	Goto string

	program *vm.Program
}

// Kind names what a step waits for.
type Kind string

const (
	KindChoices Kind = "choices"
	KindNumber  Kind = "number"
	KindText    Kind = "text"
	KindScale   Kind = "scale"
	KindYesNo   Kind = "yesno"
)

// Kind says what the step waits for.
func (s *Step) Kind() Kind {
	switch {
	case s.Number != nil:
		return KindNumber
	case s.Text != nil:
		return KindText
	case s.Scale != nil:
		return KindScale
	case s.YesNo:
		return KindYesNo
	default:
		return KindChoices
	}
}

// numeric reports whether the step's answer is a number in conditions.
func (s *Step) numeric() bool { return s.Number != nil || s.Scale != nil }

// Question is the text the step's buttons hang on: the last of Say.
func (s *Step) Question() string {
	if len(s.Say) == 0 {
		return ""
	}
	return s.Say[len(s.Say)-1]
}

// Choice is one quick-reply button of a step.
type Choice struct {
	Label  string    // shown on the button and in the chat, in the flow's default language
	Labels Localized // Label in the flow's other languages
	Value  string    // recorded as the answer and compared in `if:`
	Next   string    // where this choice leads; "" for the step's next

	aliases []string // more words a member may type for it (a scale's end labels)
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

// ScaleSpec is a scale from Min to Max in whole steps, shown as one button
// per point. MinLabel and MaxLabel name the ends ("" for none).
type ScaleSpec struct {
	Min, Max           int
	MinLabel, MaxLabel string
}

// When an alert rule is evaluated.
const (
	WhenEnd      = "end"      // when the session ends: completed, expired or stopped
	WhenAnswered = "answered" // after every answer, firing at most once a session
)

// AlertRule raises an alert for supporters when its condition holds. The
// condition reads answers by step id; one that reads a step the member did
// not answer (or skipped) is false as a whole, so conditions across branches
// belong in separate rules rather than one `or`.
type AlertRule struct {
	If       string
	Severity tsunagu.Severity
	Note     string
	When     string // WhenEnd or WhenAnswered

	program *vm.Program
}

// ForRole reports whether the flow is meant for members with role r.
func (f *Flow) ForRole(r tsunagu.Role) bool {
	return slices.Contains(f.Roles, r)
}

// ForAudience reports whether the flow is meant for a member with role r in
// a family with the given tags: the role is one of `roles`, the family has
// one of `tags` (when the flow names any), and none of `exclude_tags`.
func (f *Flow) ForAudience(r tsunagu.Role, tags []string) bool {
	if !f.ForRole(r) {
		return false
	}
	for _, t := range tags {
		if slices.Contains(f.ExcludeTags, t) {
			return false
		}
	}
	if len(f.Tags) == 0 {
		return true
	}
	for _, t := range tags {
		if slices.Contains(f.Tags, t) {
			return true
		}
	}
	return false
}

// MatchKeyword reports whether text typed by a member holds one of the
// flow's `on: {keyword: [...]}` words, compared after Normalize and with
// spaces removed, so that ハナシタイ and "話し たい" count.
func (f *Flow) MatchKeyword(text string) bool {
	t := compact(text)
	if t == "" {
		return false
	}
	for _, k := range f.Keywords {
		if n := compact(k); n != "" && strings.Contains(t, n) {
			return true
		}
	}
	return false
}

// RiskWords are the flow's `risk_words_extra:`, to scan its members' free
// text with in addition to the global list.
func (f *Flow) RiskWords() []string { return slices.Clone(f.riskWords) }

// FlowRisk is what a flow adds to risk detection for its members' text.
type FlowRisk struct {
	Words    []risk.Word
	Patterns []risk.Pattern
}

// Risk is the flow's `risk_words_extra:` and `risk_patterns:`, parsed
// (a word or pattern may start with its category: "runaway: 家出").
// Detector.With(f.Risk().Words, f.Risk().Patterns) checks with them.
func (f *Flow) Risk() FlowRisk {
	return FlowRisk{Words: slices.Clone(f.riskRules.Words), Patterns: slices.Clone(f.riskRules.Patterns)}
}

// Step returns the step with the given id, or nil.
func (f *Flow) Step(id string) *Step {
	i, ok := f.index[id]
	if !ok {
		return nil
	}
	return f.Steps[i]
}

// following is the step written after s, or End.
func (f *Flow) following(s *Step) string {
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
