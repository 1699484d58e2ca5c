package flows

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tsunagu/tsunagu"
)

// The simulator plays a flow in the terminal as a family member would see
// it on LINE, through the same engine `tsunagu serve` uses, so a coordinator
// can try a flow (`tsunagu simulate`) before any family does.

// Answerer supplies what the member types, one answer at a time.
type Answerer interface {
	// Answer returns the next answer, or ok false when there are no more.
	Answer() (text string, ok bool, err error)
}

// ScriptedAnswers answers from a script of answers separated by '|', as in
// `--answers "2|ねむれてる|7"`.
func ScriptedAnswers(script string) Answerer {
	s := &scripted{}
	if script != "" {
		s.answers = strings.Split(script, "|")
	}
	return s
}

type scripted struct{ answers []string }

func (s *scripted) Answer() (string, bool, error) {
	if len(s.answers) == 0 {
		return "", false, nil
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a, true, nil
}

// InteractiveAnswers reads one answer per line from r, writing the prompt
// "> " to prompt before each. End of input ends the answers.
func InteractiveAnswers(r io.Reader, prompt io.Writer) Answerer {
	return &interactive{in: bufio.NewScanner(r), prompt: prompt}
}

type interactive struct {
	in     *bufio.Scanner
	prompt io.Writer
}

func (a *interactive) Answer() (string, bool, error) {
	fmt.Fprint(a.prompt, "> ")
	if !a.in.Scan() {
		fmt.Fprintln(a.prompt)
		return "", false, a.in.Err()
	}
	return a.in.Text(), true, nil
}

// SimOptions tune a simulation.
type SimOptions struct {
	Risk          *RiskScanner // scans typed text as the bot does; nil for none
	SafetyMessage string       // sent on a risk word; "" for the default for the flow's audience
	JSON          bool         // write the transcript as JSON at the end instead of text as it goes
	Now           time.Time    // the simulated time, for reproducible alerts
}

// Transcript is what happened in a simulation.
type Transcript struct {
	FlowID    string         `json:"flow"`
	Title     string         `json:"title"`
	Roles     []tsunagu.Role `json:"roles"`
	Events    []SimEvent     `json:"events"`
	Completed bool           `json:"completed"`
	RanOut    bool           `json:"ran_out,omitempty"` // the answers ended before the flow did
	Answers   []tsunagu.QA   `json:"answers"`           // as supporters would read them
	Alerts    []SimAlert     `json:"alerts"`
}

// Kinds of SimEvent.
const (
	EventBot    = "bot"     // a message from the bot
	EventMember = "member"  // what the member typed or tapped
	EventReask  = "reask"   // the answer did not fit; the question comes again
	EventMove   = "move"    // the session moved from Step to To
	EventRisk   = "risk"    // the member's text held a risk word
	EventRanOut = "ran_out" // no more answers
)

// SimEvent is one line of a transcript.
type SimEvent struct {
	Kind    string   `json:"kind"`
	Step    string   `json:"step,omitempty"`
	Text    string   `json:"text,omitempty"`
	Buttons []string `json:"buttons,omitempty"` // bot: quick replies, numbered from 1 on screen
	Tapped  string   `json:"tapped,omitempty"`  // member: the label of the button picked by its number
	To      string   `json:"to,omitempty"`      // move: the next step, or "end"
	Branch  bool     `json:"branch,omitempty"`  // move: not simply the following step
	Word    string   `json:"word,omitempty"`    // risk: the word found
}

// SimAlert is an alert the simulation would raise.
type SimAlert struct {
	Severity tsunagu.Severity `json:"severity"`
	Reason   string           `json:"reason"`
	Answers  []tsunagu.QA     `json:"answers"`
}

// Simulate runs f with answers from in, writing to w what the member would
// see (or, with opt.JSON, the transcript as JSON at the end).
func Simulate(w io.Writer, f *Flow, in Answerer, opt SimOptions) (Transcript, error) {
	sim := &simulation{w: w, f: f, opt: opt, t: Transcript{
		FlowID: f.ID, Title: f.Title, Roles: f.Roles, Events: []SimEvent{}, Answers: []tsunagu.QA{}, Alerts: []SimAlert{},
	}}
	if opt.SafetyMessage == "" {
		sim.opt.SafetyMessage = DefaultGuardianSafetyMessage
		if f.ForRole(tsunagu.RoleChild) {
			sim.opt.SafetyMessage = DefaultSafetyMessage
		}
	}
	if !opt.JSON {
		sim.header()
	}
	err := sim.run(in)
	if sim.last != nil {
		sim.t.Answers = append(sim.t.Answers, f.QA(sim.last)...)
	}
	if err == nil {
		if opt.JSON {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			err = enc.Encode(sim.t)
		} else {
			sim.footer()
		}
	}
	return sim.t, err
}

type simulation struct {
	w    io.Writer
	f    *Flow
	opt  SimOptions
	t    Transcript
	last *tsunagu.Session // the session after the latest answer
}

func (sim *simulation) run(in Answerer) error {
	res := sim.f.Start("sim", "sim-member", sim.opt.Now)
	sim.said(res)
	sim.last = res.Session
	for !res.Ended {
		s := res.Session
		text, ok, err := in.Answer()
		if err != nil {
			return fmt.Errorf("read answer: %w", err)
		}
		if !ok {
			sim.t.RanOut = true
			sim.emit(SimEvent{Kind: EventRanOut, Step: s.Step})
			return nil
		}
		input, tapped := sim.input(s, res.Messages, text)
		sim.emit(SimEvent{Kind: EventMember, Step: s.Step, Text: text, Tapped: tapped})
		if tapped == "" && sim.opt.Risk != nil {
			if word, ok := sim.opt.Risk.Match(text); ok {
				sim.emit(SimEvent{Kind: EventRisk, Step: s.Step, Word: word})
				sim.emit(SimEvent{Kind: EventBot, Text: sim.opt.SafetyMessage})
				sim.raise(sim.f.RiskAlert(s, text, word, sim.opt.Now))
			}
		}
		from := sim.f.Step(s.Step)
		res, err = sim.f.Resume(s, input, sim.opt.Now)
		if err != nil {
			return fmt.Errorf("resume at step %q: %w", s.Step, err)
		}
		sim.last = res.Session
		if res.Reasked {
			sim.emit(SimEvent{Kind: EventReask, Step: from.ID})
		} else {
			to := stepOrEnd(res.Session.Step)
			sim.emit(SimEvent{Kind: EventMove, Step: from.ID, To: to, Branch: to != sim.following(from)})
		}
		sim.said(res)
		for _, a := range res.Alerts {
			sim.raise(a)
		}
	}
	sim.t.Completed = true
	return nil
}

// cmpStep names where a session stands: its step, or End once it is over.
func stepOrEnd(step string) string {
	if step == "" {
		return End
	}
	return step
}

// following is the step written after s in the file, or End: a move
// anywhere else is a branch.
func (sim *simulation) following(s *Step) string {
	if i := sim.f.index[s.ID] + 1; i < len(sim.f.Steps) {
		return sim.f.Steps[i].ID
	}
	return End
}

// input turns what the member typed into what LINE would send: a number
// that is no choice's own label or value taps that button; anything else is
// typed text.
func (sim *simulation) input(s *tsunagu.Session, shown []tsunagu.Message, text string) (Input, string) {
	step := sim.f.Step(s.Step)
	if step == nil || step.Kind() != KindChoices || len(shown) == 0 || readChoice(step, text, casual).ok {
		return Input{Text: text}, ""
	}
	buttons := shown[len(shown)-1].QuickReplies
	if n, err := strconv.Atoi(Normalize(text)); err == nil && n >= 1 && n <= len(buttons) {
		return Input{Postback: buttons[n-1].Data}, buttons[n-1].Label
	}
	return Input{Text: text}, ""
}

func (sim *simulation) said(res Result) {
	for _, m := range res.Messages {
		ev := SimEvent{Kind: EventBot, Step: res.Session.Step, Text: m.Text}
		for _, q := range m.QuickReplies {
			ev.Buttons = append(ev.Buttons, q.Label)
		}
		sim.emit(ev)
	}
}

func (sim *simulation) raise(a tsunagu.Alert) {
	sim.t.Alerts = append(sim.t.Alerts, SimAlert{Severity: a.Severity, Reason: a.Reason, Answers: a.Answers})
}

func (sim *simulation) emit(ev SimEvent) {
	sim.t.Events = append(sim.t.Events, ev)
	if !sim.opt.JSON {
		sim.print(ev)
	}
}

// Text output, for a coordinator at a terminal.

func (sim *simulation) header() {
	roles := make([]string, len(sim.f.Roles))
	for i, r := range sim.f.Roles {
		roles[i] = roleName(r)
	}
	fmt.Fprintf(sim.w, "━━ %s（%s）\n", sim.f.Title, sim.f.ID)
	fmt.Fprintf(sim.w, "   対象 (audience): %s\n", strings.Join(roles, "・"))
	fmt.Fprintf(sim.w, "   ボタンは番号でも選べます（[2] なら 2 と入力）\n\n")
}

func roleName(r tsunagu.Role) string {
	switch r {
	case tsunagu.RoleChild:
		return "こども (child)"
	case tsunagu.RoleGuardian:
		return "保護者 (guardian)"
	}
	return string(r)
}

func (sim *simulation) print(ev SimEvent) {
	w := sim.w
	switch ev.Kind {
	case EventBot:
		fmt.Fprintln(w, "ボット (bot):")
		for _, line := range strings.Split(ev.Text, "\n") {
			fmt.Fprintln(w, strings.TrimRight("  "+line, " "))
		}
		if len(ev.Buttons) > 0 {
			buttons := make([]string, len(ev.Buttons))
			for i, b := range ev.Buttons {
				buttons[i] = fmt.Sprintf("[%d] %s", i+1, b)
			}
			fmt.Fprintln(w, "  "+strings.Join(buttons, "  "))
		}
		fmt.Fprintln(w)
	case EventMember:
		if ev.Tapped != "" {
			fmt.Fprintf(w, "あなた (you): %s  ← [%s] をタップ (tap)\n\n", ev.Tapped, ev.Text)
		} else {
			fmt.Fprintf(w, "あなた (you): %s\n\n", ev.Text)
		}
	case EventReask:
		fmt.Fprintf(w, "  ↺ 受け取れない答えなので、もう一度ききます (re-ask: %s)\n\n", ev.Step)
	case EventMove:
		if ev.Branch {
			fmt.Fprintf(w, "  ↪ 分岐 (branch): %s → %s\n\n", ev.Step, ev.To)
		}
	case EventRisk:
		fmt.Fprintf(w, "  ⚠ 気になることば「%s」: すぐに urgent アラートを出し、次の安心メッセージを送ります\n\n", ev.Word)
	case EventRanOut:
		fmt.Fprintf(w, "（用意した答えがここで終わりました。まだ %s の答えを待っています — the answers ran out before the end）\n\n", ev.Step)
	}
}

func (sim *simulation) footer() {
	w := sim.w
	if sim.t.Completed {
		fmt.Fprintln(w, "━━ おわり (completed)")
	} else {
		fmt.Fprintln(w, "━━ とちゅうまで (not completed)")
	}
	if len(sim.t.Alerts) == 0 {
		fmt.Fprintln(w, "アラート (alerts): なし (none)")
		return
	}
	// Alerts carry the answers; show them once, and an alert's own only
	// when they differ (a risk word raises its alert mid-way).
	fmt.Fprintf(w, "アラート (alerts): %d件\n", len(sim.t.Alerts))
	for _, a := range sim.t.Alerts {
		fmt.Fprintf(w, "  ● [%s] %s\n", a.Severity, a.Reason)
		if !slices.Equal(a.Answers, sim.t.Answers) {
			printQA(w, "      ", a.Answers)
		}
	}
	fmt.Fprintln(w, "サポーターが見る答え (answers in the alerts):")
	printQA(w, "  ", sim.t.Answers)
}

func printQA(w io.Writer, indent string, qa []tsunagu.QA) {
	for _, x := range qa {
		fmt.Fprintf(w, "%s%s → %s\n", indent, oneLine(x.Question), oneLine(x.Answer))
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
