package flows

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows/risk"
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

func (s *scripted) More() bool { return len(s.answers) > 0 }

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
	Risk   *RiskScanner // the programme's risk rules, as serve has them; nil for none
	Safety risk.Safety  // the programme's safety replies per category and audience, as serve has them
	Texts  Texts        // what the bot says outside the flow, as serve has it; zero for the defaults
	JSON   bool         // write the transcript as JSON at the end instead of text as it goes
	Now    time.Time    // the simulated time, for reproducible alerts
	// Who is simulated: the member's role ("" for the flow's first) and
	// their family's tags, their last answers and missed streak.
	Role         tsunagu.Role
	Tags         []string
	Previous     map[string]tsunagu.Answer
	StreakMissed int
	Lang         string         // the member's language ("" for the programme's default): `simulate --lang pt`
	Location     *time.Location // for the next time a schedule fires and the dates alerts show; nil for Asia/Tokyo
	// Flows are the other flows in force, for keywords typed after the
	// check-in ends; nil for the simulated flow alone.
	Flows Catalog
	// Trace, when set, is called with every turn the conversation decides,
	// before it is rendered: what serve would commit.
	Trace func(Turn)
}

// AudienceError is returned by Simulate when the flow is not for the
// simulated member: no such member would ever get it.
type AudienceError struct {
	Flow *Flow
	Role tsunagu.Role
	Tags []string
}

func (e *AudienceError) Error() string {
	f := e.Flow
	var why []string
	if !f.ForRole(e.Role) {
		why = append(why, fmt.Sprintf("役割 (role) %s は対象外です（roles: %s）", e.Role, joinRoles(f.Roles)))
	}
	if len(f.Tags) > 0 && !slices.ContainsFunc(e.Tags, func(t string) bool { return slices.Contains(f.Tags, t) }) {
		why = append(why, fmt.Sprintf("タグ (tags) %s のどれもありません（tags: %s）", orNone(e.Tags), strings.Join(f.Tags, ", ")))
	}
	for _, t := range e.Tags {
		if slices.Contains(f.ExcludeTags, t) {
			why = append(why, fmt.Sprintf("タグ %s は除外されています（exclude_tags: %s）", t, strings.Join(f.ExcludeTags, ", ")))
		}
	}
	return fmt.Sprintf("flow %q is not for this member: このメンバーにはフロー「%s」は届きません: %s", f.ID, f.Title, strings.Join(why, "。"))
}

func joinRoles(rs []tsunagu.Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "（なし）"
	}
	return strings.Join(ss, ", ")
}

// Transcript is what happened in a simulation.
type Transcript struct {
	FlowID    string         `json:"flow"`
	Title     string         `json:"title"`
	Roles     []tsunagu.Role `json:"roles"`
	Role      tsunagu.Role   `json:"role"`           // who was simulated
	Tags      []string       `json:"tags,omitempty"` // their family's tags
	Events    []SimEvent     `json:"events"`
	Completed bool           `json:"completed"`
	Missed    bool           `json:"missed,omitempty"`  // ended as missed (:missed, :wait past expiry, the loop guard)
	RanOut    bool           `json:"ran_out,omitempty"` // the answers ended before the flow did
	Answers   []tsunagu.QA   `json:"answers"`           // as supporters would read them
	Alerts    []SimAlert     `json:"alerts"`
}

// Kinds of SimEvent.
const (
	EventBot      = "bot"      // a message from the bot
	EventMember   = "member"   // what the member typed or tapped
	EventReask    = "reask"    // the answer did not fit; the question comes again
	EventMove     = "move"     // the session moved from Step to To
	EventRisk     = "risk"     // the member's text held a risk word
	EventAlert    = "alert"    // an alert was raised (Severity, Text is its note)
	EventBack     = "back"     // :back undid the answer to Step
	EventWait     = "wait"     // :wait moved the clock on (Text says how far, in all)
	EventReminder = "reminder" // a reminder went out (Text says when)
	EventMissed   = "missed"   // the session ended as missed
	EventNote     = "note"     // a remark of the simulator, not seen by the member
	EventConsent  = "consent"  // the sign-up consent was recorded (Text is the label)
	EventRanOut   = "ran_out"  // no more answers
)

// SimEvent is one line of a transcript.
type SimEvent struct {
	Kind     string           `json:"kind"`
	Step     string           `json:"step,omitempty"`
	Text     string           `json:"text,omitempty"`
	Buttons  []string         `json:"buttons,omitempty"`  // bot: quick replies, numbered from 1 on screen
	Tapped   string           `json:"tapped,omitempty"`   // member: the label of the button picked by its number
	To       string           `json:"to,omitempty"`       // move: the next step, or "end"
	Branch   bool             `json:"branch,omitempty"`   // move: not simply the following step
	Word     string           `json:"word,omitempty"`     // risk: the word found
	Category string           `json:"category,omitempty"` // risk: its category (希死念慮…)
	Rule     string           `json:"rule,omitempty"`     // risk: the rule that matched
	Gentle   bool             `json:"gentle,omitempty"`   // risk: negated (死にたくない): a warning, no safety reply
	Severity tsunagu.Severity `json:"severity,omitempty"` // alert
}

// SimAlert is an alert the simulation would raise.
type SimAlert struct {
	Severity tsunagu.Severity `json:"severity"`
	Category string           `json:"category,omitempty"`
	Reason   string           `json:"reason"`
	Answers  []tsunagu.QA     `json:"answers"`
	// Cites are the answers its rule's condition reads; nil for an alert
	// raised by no rule (a risk word, a missed streak, the loop guard).
	Cites []tsunagu.QA `json:"cites,omitempty"`
}

// Simulator commands, typed instead of an answer.
const (
	CmdBack   = ":back"   // undo the last answer
	CmdMissed = ":missed" // end the session as missed, as expiry would
	CmdWait   = ":wait"   // `:wait 24h`: move the clock on, sending reminders and expiring
	CmdSend   = ":send"   // the next check-in of the flow arrives now, as the schedule's next occurrence (or `send --replace`) would bring it
	CmdHelp   = ":help"
)

// Simulate runs f with answers from in, writing to w what the member would
// see (or, with opt.JSON, the transcript as JSON at the end). Every turn
// goes through the same Conversation `serve` uses, so the messages,
// re-asks, safety replies, alerts and streaks are the ones production
// would send. It returns an *AudienceError when the flow is not for the
// simulated member.
func Simulate(w io.Writer, f *Flow, in Answerer, opt SimOptions) (Transcript, error) {
	if opt.Role == "" {
		opt.Role = f.Roles[0]
	}
	if !f.ForAudience(opt.Role, opt.Tags) {
		return Transcript{}, &AudienceError{Flow: f, Role: opt.Role, Tags: opt.Tags}
	}
	if opt.Texts.Welcome == "" && opt.Texts.ByLang == nil {
		opt.Texts = WithLanguages(DefaultTexts)
	}
	if opt.Risk == nil {
		opt.Risk = NewRiskScanner(nil)
	}
	if opt.Location == nil {
		opt.Location = tokyo()
	}
	ids := 0
	sim := &simulation{w: w, f: f, opt: opt, t: Transcript{
		FlowID: f.ID, Title: f.Title, Roles: f.Roles, Role: opt.Role, Tags: opt.Tags,
		Events: []SimEvent{}, Answers: []tsunagu.QA{}, Alerts: []SimAlert{},
	}}
	catalog := opt.Flows
	if catalog == nil {
		catalog = oneFlow{f}
	}
	sim.conv = &Conversation{Flows: withFlow{catalog, f}, Risk: opt.Risk, Safety: opt.Safety, Texts: opt.Texts, Location: opt.Location,
		NewID: func() string { ids++; return "sim-" + strconv.Itoa(ids) }}
	sim.facts = newSimFacts(f, opt)
	sim.facts.flows = sim.conv.Flows
	if !opt.JSON {
		sim.header()
	}
	err := sim.run(in)
	if sim.last != nil {
		sim.t.Answers = append(sim.t.Answers, sim.flowOf(sim.last).QA(sim.last)...)
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

// withFlow is a catalog in which f, the flow tried, is in force whatever
// version the catalog holds.
type withFlow struct {
	Catalog
	f *Flow
}

func (c withFlow) Get(id string) *Flow {
	if id == c.f.ID {
		return c.f
	}
	return c.Catalog.Get(id)
}

func (c withFlow) All() []*Flow {
	all := []*Flow{c.f}
	for _, g := range c.Catalog.All() {
		if g.ID != c.f.ID {
			all = append(all, g)
		}
	}
	return all
}

// oneFlow is the catalog of a simulation of one flow alone.
type oneFlow struct{ f *Flow }

func (c oneFlow) Get(id string) *Flow {
	if id == c.f.ID {
		return c.f
	}
	return nil
}

func (c oneFlow) All() []*Flow { return []*Flow{c.f} }

// simFacts is the simulated member, kept in memory.
type simFacts struct {
	flows   Catalog
	member  tsunagu.Member
	family  tsunagu.Family
	session *tsunagu.Session
	history []tsunagu.Session // newest first
}

var _ Facts = (*simFacts)(nil)

// newSimFacts is a member with the options' past: their missed streak, and
// before it the completed session with their previous answers.
func newSimFacts(f *Flow, opt SimOptions) *simFacts {
	sf := &simFacts{
		flows:  oneFlow{f},
		member: tsunagu.Member{ID: "sim-member", FamilyCode: "SIM-0001", Role: opt.Role, Consent: "yes", Lang: opt.Lang},
		family: tsunagu.Family{Code: "SIM-0001", Tags: opt.Tags},
	}
	week := 7 * 24 * time.Hour
	for i := range opt.StreakMissed {
		at := opt.Now.Add(-time.Duration(i+1) * week)
		sf.history = append(sf.history, tsunagu.Session{FlowID: f.ID, Status: tsunagu.SessionMissed, StartedAt: at, UpdatedAt: at})
	}
	if opt.Previous != nil {
		at := opt.Now.Add(-time.Duration(opt.StreakMissed+1) * week)
		sf.history = append(sf.history, tsunagu.Session{FlowID: f.ID, Status: tsunagu.SessionCompleted, Answers: opt.Previous, StartedAt: at, UpdatedAt: at})
	}
	return sf
}

func (sf *simFacts) Member() *tsunagu.Member                { return &sf.member }
func (sf *simFacts) Family(string) (*tsunagu.Family, error) { return &sf.family, nil }
func (sf *simFacts) Session() *tsunagu.Session              { return sf.session }
func (sf *simFacts) History() ([]tsunagu.Session, error)    { return sf.history, nil }
func (sf *simFacts) Waiting() ([]Waiting, error)            { return nil, nil }
func (sf *simFacts) EnrolFails() int                        { return 0 }
func (sf *simFacts) EnrolFailsAll() int                     { return 0 }
func (sf *simFacts) Invite(string) (*tsunagu.Invite, error) { return nil, nil }
func (sf *simFacts) SessionFlow() (*Flow, error) {
	if !sf.session.Open() {
		return nil, nil
	}
	return sf.flows.Get(sf.session.FlowID), nil
}

type simulation struct {
	w       io.Writer
	f       *Flow
	opt     SimOptions
	conv    *Conversation
	facts   *simFacts
	t       Transcript
	last    *tsunagu.Session // the session after the latest turn
	elapsed time.Duration    // since the simulation started, moved on by :wait
	started time.Time        // when the latest session started
	undo    []snapshot       // the state before each answer, for :back
	ended   bool
}

// snapshot is the simulation before an answer.
type snapshot struct {
	session *tsunagu.Session
	alerts  int
}

func (sim *simulation) now() time.Time { return sim.opt.Now.Add(sim.elapsed) }

func (sim *simulation) run(in Answerer) error {
	turn, err := sim.conv.Begin(sim.facts, sim.f, "sim", true, sim.now())
	if err != nil {
		return err
	}
	sim.render(turn, "")
	// Scripted answers go on after the check-in ends, as messages outside
	// it (or `:send` for the next one); typed ones stop with it.
	for !sim.ended || more(in) {
		s := sim.facts.session
		text, ok, err := in.Answer()
		if err != nil {
			return fmt.Errorf("read answer: %w", err)
		}
		if !ok {
			if s.Open() {
				sim.t.RanOut = true
				// Ctrl-D is how one leaves a typed simulation: it ends
				// quietly. Scripted answers that stop short are worth a word.
				if _, scripted := in.(interface{ More() bool }); scripted {
					sim.emit(SimEvent{Kind: EventRanOut, Step: s.Step})
				}
			}
			break
		}
		if cmd, arg, isCmd := command(text); isCmd {
			if err := sim.command(cmd, arg); err != nil {
				return err
			}
			continue
		}
		input, tapped := sim.input(s, text)
		sim.emit(SimEvent{Kind: EventMember, Step: stepOf(s), Text: text, Tapped: tapped})
		ev := tsunagu.Inbound{Kind: tsunagu.InboundText, Text: input.Text, ReplyToken: "sim", At: sim.now()}
		if input.Postback != "" {
			ev = tsunagu.Inbound{Kind: tsunagu.InboundPostback, Data: input.Postback, ReplyToken: "sim", At: sim.now()}
		}
		before := snapshot{session: s, alerts: len(sim.t.Alerts)}
		turn, err := sim.conv.Event(sim.facts, sim.facts.member.ID, ev, sim.now())
		if err != nil {
			return fmt.Errorf("answer at step %q: %w", stepOf(s), err)
		}
		if !sim.render(turn, "ループ防止 (loop guard)") && s.Open() {
			sim.undo = append(sim.undo, before)
		}
	}
	sim.t.Completed = sim.last != nil && sim.last.Status == tsunagu.SessionCompleted
	return nil
}

// more reports whether a scripted Answerer has answers left.
func more(in Answerer) bool {
	m, ok := in.(interface{ More() bool })
	return ok && m.More()
}

func stepOf(s *tsunagu.Session) string {
	if s.Open() {
		return s.Step
	}
	return ""
}

// flowOf is the flow of session s, or the simulated one.
func (sim *simulation) flowOf(s *tsunagu.Session) *Flow {
	if s != nil {
		if f := sim.conv.Flows.Get(s.FlowID); f != nil {
			return f
		}
	}
	return sim.f
}

// render shows a turn's outcomes as the member and the supporters would
// see them, and keeps the simulated member's state as storage would.
// missedWhy says why a session that ends unfinished ended. It reports
// whether the answer was asked again.
func (sim *simulation) render(turn Turn, missedWhy string) (reasked bool) {
	if sim.opt.Trace != nil {
		sim.opt.Trace(turn)
	}
	from := sim.facts.session
	var after *tsunagu.Session // nil when the turn leaves the session as it was
	for _, o := range turn.Outcomes {
		switch o := o.(type) {
		case SessionStarted:
			after = o.Session
		case SessionChanged:
			after = o.Session
		case SessionEnded:
			after = o.Session
		}
	}
	// Where the answer took the session is shown before what it brings,
	// after the safety reply and its alert when the text held a risk word.
	transition := sim.transition(from, after)
	reasked = transition != nil && transition.Kind == EventReask
	riskLeft := 0
	for _, o := range turn.Outcomes {
		switch r := o.(type) {
		case RiskDetected:
			riskLeft = 2 // its safety message and its alert
			if r.Gentle {
				riskLeft = 1 // its warning alert only
			}
		default:
			if riskLeft > 0 {
				riskLeft--
			} else if transition != nil {
				sim.emit(*transition)
				transition = nil
			}
		}
		sim.outcome(o, after, missedWhy)
	}
	if transition != nil {
		sim.emit(*transition)
	}
	return reasked
}

// transition is the re-ask or the move from one state of the session to
// the next, or nil for neither.
func (sim *simulation) transition(from, after *tsunagu.Session) *SimEvent {
	if !from.Open() || after == nil || after.ID != from.ID {
		return nil
	}
	switch {
	case after.Open() && after.Step == from.Step && after.Reasks > from.Reasks:
		return &SimEvent{Kind: EventReask, Step: from.Step}
	case after.Open() && after.Reminded != from.Reminded:
		return nil
	case !after.Open() && after.Status != tsunagu.SessionCompleted && len(after.Answers) == len(from.Answers):
		return nil // ended by time or by the member's 停止, not by an answer
	}
	to := stepOrEnd(after.Step)
	if !after.Open() {
		to = End
	}
	f := sim.flowOf(from)
	return &SimEvent{Kind: EventMove, Step: from.Step, To: to, Branch: to != f.following(f.Step(from.Step))}
}

// outcome renders one outcome; after is the session as the turn leaves it.
func (sim *simulation) outcome(o Outcome, after *tsunagu.Session, missedWhy string) {
	switch o := o.(type) {
	case Said:
		step := ""
		if s := cmp.Or(after, sim.facts.session); s.Open() {
			step = s.Step
		}
		for _, m := range o.Messages {
			ev := SimEvent{Kind: EventBot, Step: step, Text: m.Text}
			for _, q := range m.QuickReplies {
				ev.Buttons = append(ev.Buttons, q.Label)
			}
			sim.emit(ev)
		}
	case RiskDetected:
		sim.emit(SimEvent{Kind: EventRisk, Step: stepOf(sim.facts.session), Word: o.Word, Category: o.Category, Rule: o.Rule, Gentle: o.Gentle})
	case AlertRaised:
		sim.raise(o.Alert, cmp.Or(after, sim.facts.session))
	case SessionStarted:
		sim.facts.session, sim.last, sim.ended = o.Session, o.Session, false
		sim.started = sim.now()
	case SessionChanged:
		sim.facts.session, sim.last = o.Session, o.Session
	case SessionEnded:
		sim.facts.session, sim.last, sim.ended = nil, o.Session, true
		sim.facts.history = append([]tsunagu.Session{*o.Session}, sim.facts.history...)
		switch {
		case o.Why == EndStopped:
			sim.emit(SimEvent{Kind: EventNote, Text: "本人の希望でチェックインを止めました。「再開」と送るまで届きません (stopped by the member)"})
		case o.Session.Status == tsunagu.SessionMissed:
			sim.t.Missed = true
			sim.emit(SimEvent{Kind: EventMissed, Text: missedWhy})
		}
	case StreakChanged:
		sim.streak(sim.conv.Flows.Get(o.FlowID), o.Missed)
	case MemberChanged:
		sim.facts.member = o.Member
	case ConsentRecorded:
		sim.facts.member.Consent = o.Value
		sim.emit(SimEvent{Kind: EventConsent, Text: o.Label})
	}
}

// streak says what the flow's `missed:` rule makes of a run of n misses.
func (sim *simulation) streak(f *Flow, n int) {
	if f == nil || f.Missed == nil || n == 0 {
		return
	}
	m := f.Missed
	if n == m.Streak {
		sim.emit(SimEvent{Kind: EventNote, Text: fmt.Sprintf("%d回つづけて未回答なので missed のアラートが出ます (missed streak %d)", n, n)})
		return
	}
	if left := m.Streak - n; left > 0 {
		sim.emit(SimEvent{Kind: EventNote, Text: fmt.Sprintf("未回答は%d回目。あと%d回つづくと [%s] %s のアラートが出ます (missed streak %d of %d)",
			n, left, m.Severity, m.Note, n, m.Streak)})
	}
}

// command reads a simulator command: one of the Cmd* words, then an
// argument. Anything else is an answer, even if it starts with ':'.
func command(text string) (cmd, arg string, ok bool) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return "", "", false
	}
	switch fields[0] {
	case CmdBack, CmdMissed, CmdWait, CmdSend, CmdHelp:
		return fields[0], strings.Join(fields[1:], " "), true
	}
	return "", "", false
}

// command carries out a simulator command.
func (sim *simulation) command(cmd, arg string) error {
	s := sim.facts.session
	sim.emit(SimEvent{Kind: EventMember, Step: stepOf(s), Text: strings.TrimSpace(cmd + " " + arg)})
	var ref SessionRef
	if s != nil {
		ref.SessionID = s.ID
	}
	switch cmd {
	case CmdHelp:
		sim.emit(SimEvent{Kind: EventNote, Text: simHelp})
	case CmdBack:
		if len(sim.undo) == 0 || !s.Open() {
			sim.emit(SimEvent{Kind: EventNote, Text: "もどせる答えがありません (nothing to undo)"})
			return nil
		}
		snap := sim.undo[len(sim.undo)-1]
		sim.undo = sim.undo[:len(sim.undo)-1]
		sim.t.Alerts = sim.t.Alerts[:snap.alerts]
		sim.facts.session, sim.last = snap.session, snap.session
		sim.emit(SimEvent{Kind: EventBack, Step: snap.session.Step})
		if q, ok := sim.flowOf(snap.session).Prompt(snap.session); ok {
			sim.render(Turn{Outcomes: []Outcome{Said{Messages: []tsunagu.Message{q}}}}, "")
		}
	case CmdMissed:
		if !s.Open() {
			sim.emit(SimEvent{Kind: EventNote, Text: "いま開いているチェックインはありません (no check-in is open)"})
			return nil
		}
		return sim.expire(ref, sim.now(), "未回答 (:missed)")
	case CmdSend:
		sim.undo = nil
		if why := sim.conv.Exclusion(sim.f, sim.facts.member, sim.facts.family); why != "" {
			sim.emit(SimEvent{Kind: EventNote, Text: "このメンバーには届きません (not sent: " + why + ")"})
			return nil
		}
		turn, err := sim.conv.Begin(sim.facts, sim.f, "sim-send", true, sim.now())
		if err != nil {
			return err
		}
		sim.render(turn, "次のチェックインが届いた (superseded)")
	case CmdWait:
		d, err := parseDuration(arg)
		if err != nil || d <= 0 {
			sim.emit(SimEvent{Kind: EventNote, Text: "時間の長さを書いてください（例: :wait 24h、:wait 3d）(e.g. :wait 24h)"})
			return nil
		}
		sim.elapsed += d
		sim.emit(SimEvent{Kind: EventWait, Text: formatDuration(sim.elapsed)})
		if !s.Open() {
			return nil
		}
		return sim.wait(ref, s)
	}
	return nil
}

// wait plays the reminders and the expiry of the open session s that came
// due by now, at the times their timers would fire.
func (sim *simulation) wait(ref SessionRef, s *tsunagu.Session) error {
	f := sim.flowOf(s)
	since := sim.now().Sub(sim.started)
	for i, r := range f.Reminders {
		if r.After > since || r.After >= f.ExpiresAfter || i < sim.facts.session.Reminded {
			continue
		}
		turn, err := sim.conv.Remind(sim.facts, ref, i, sim.started.Add(r.After))
		if err != nil {
			return err
		}
		if len(turn.Messages()) > 0 {
			sim.emit(SimEvent{Kind: EventReminder, Step: s.Step, Text: formatDuration(r.After)})
		}
		sim.render(turn, "")
	}
	if since >= f.ExpiresAfter {
		return sim.expire(ref, sim.started.Add(f.ExpiresAfter), "期限切れ (expires_after "+formatDuration(f.ExpiresAfter)+")")
	}
	return nil
}

const simHelp = `答えのかわりに打てるコマンド (commands):
  :back       ひとつ前の答えを取り消す (undo the last answer)
  :missed     答えないまま期限切れにする (end the session as missed)
  :wait 24h   時間を進める。リマインダーと期限切れが起きます (move the clock on)
  :send       次のチェックインが届く。開いているものは未回答で終わります (the next check-in arrives)`

// expire ends the session as missed at time at, as its expiry timer would.
func (sim *simulation) expire(ref SessionRef, at time.Time, why string) error {
	turn, err := sim.conv.Expire(sim.facts, ref, at)
	if err != nil {
		return err
	}
	sim.render(turn, why)
	return nil
}

// stepOrEnd names where a session stands: its step, or End once it is over.
func stepOrEnd(step string) string {
	if step == "" {
		return End
	}
	return step
}

// input turns what the member typed into what LINE would send: on a step
// with buttons, a number that is no button's own label or value taps that
// button; anything else is typed text.
func (sim *simulation) input(s *tsunagu.Session, text string) (Input, string) {
	if !s.Open() {
		return Input{Text: text}, ""
	}
	f := sim.flowOf(s)
	step := f.Step(s.Step)
	if step == nil || len(step.Choices) == 0 || readChoice(step, text, casual, f.Lang(s.Lang)).ok {
		return Input{Text: text}, ""
	}
	q, _ := f.Prompt(s)
	buttons := q.QuickReplies
	if n, err := strconv.Atoi(Normalize(text)); err == nil && n >= 1 && n <= len(buttons) {
		return Input{Postback: buttons[n-1].Data}, buttons[n-1].Label
	}
	return Input{Text: text}, ""
}

func (sim *simulation) raise(a tsunagu.Alert, s *tsunagu.Session) {
	sim.t.Alerts = append(sim.t.Alerts, SimAlert{Severity: a.Severity, Category: a.Category, Reason: a.Reason, Answers: a.Answers, Cites: sim.cites(a, s)})
	sim.emit(SimEvent{Kind: EventAlert, Severity: a.Severity, Text: a.Reason})
}

// cites is the answers the rule that raised a reads in its condition, as
// supporters see them; nil for an alert of no rule (a risk word, a streak).
func (sim *simulation) cites(a tsunagu.Alert, s *tsunagu.Session) []tsunagu.QA {
	f := sim.conv.Flows.Get(a.FlowID)
	if f == nil || s == nil {
		return nil
	}
	for _, rule := range f.Alerts {
		if rule.Note != a.Reason || rule.Severity != a.Severity {
			continue
		}
		cites := []tsunagu.QA{}
		for _, id := range f.stepsRead(rule.If) {
			step := f.Step(id)
			q := render(step.Question(), s)
			for _, qa := range a.Answers {
				if qa.Question == q {
					cites = append(cites, qa)
				}
			}
		}
		return cites
	}
	return nil
}

func (sim *simulation) emit(ev SimEvent) {
	sim.t.Events = append(sim.t.Events, ev)
	if !sim.opt.JSON {
		sim.print(ev)
	}
}

// Text output, for a coordinator at a terminal.

func (sim *simulation) header() {
	w, f := sim.w, sim.f
	roles := make([]string, len(f.Roles))
	for i, r := range f.Roles {
		roles[i] = roleName(r)
	}
	fmt.Fprintf(w, "━━ %s（%s）\n", f.Title, f.ID)
	audience := strings.Join(roles, "・")
	if len(f.Tags) > 0 {
		audience += "／タグ (tags): " + strings.Join(f.Tags, ", ")
	}
	if len(f.ExcludeTags) > 0 {
		audience += "／除外 (exclude_tags): " + strings.Join(f.ExcludeTags, ", ")
	}
	fmt.Fprintf(w, "   対象 (audience): %s\n", audience)
	for _, line := range sim.when() {
		fmt.Fprintf(w, "   %s\n", line)
	}
	fmt.Fprintf(w, "   期限 (expires_after): %s たつと未回答 (missed) で終わります\n", formatDuration(f.ExpiresAfter))
	for _, r := range f.Reminders {
		fmt.Fprintf(w, "   リマインダー (reminder) %s後: %s\n", formatDuration(r.After), oneLine(truncate(r.Say, 40)))
	}
	if m := f.Missed; m != nil {
		fmt.Fprintf(w, "   %d回つづけて未回答なら (missed): [%s] %s\n", m.Streak, m.Severity, m.Note)
	}
	who := roleName(sim.opt.Role)
	if len(sim.opt.Tags) > 0 {
		who += "、タグ (tags): " + strings.Join(sim.opt.Tags, ", ")
	}
	fmt.Fprintf(w, "   シミュレーションの相手 (simulated member): %s\n", who)
	if len(f.Languages) > 1 || sim.opt.Lang != "" {
		fmt.Fprintf(w, "   言語 (languages): %s　このシミュレーションは (simulating in) %s\n", strings.Join(f.Languages, ", "), f.Lang(sim.opt.Lang))
	}
	fmt.Fprintf(w, "   ボタンは番号でも選べます（[2] なら 2 と入力）。:back 1つ戻る　:missed 未回答で終える　:wait 24h 時間を進める\n\n")
}

// when says what starts the flow.
func (sim *simulation) when() []string {
	f := sim.f
	var lines []string
	loc := sim.opt.Location
	if loc == nil {
		loc = tokyo()
	}
	for _, s := range f.Schedules {
		tz := s.Timezone
		if tz == "" {
			tz = loc.String()
		}
		line := fmt.Sprintf("スケジュール (schedule): cron %q（%s）", s.Cron, tz)
		if next := s.Next(sim.opt.Now, loc); !next.IsZero() && !sim.opt.Now.IsZero() {
			// In the schedule's own zone: cron gives the time in the zone
			// of the time it was asked about, and 17:00 in Tokyo read as
			// 08:00 says the wrong thing to a coordinator in Tokyo.
			next = next.In(zoneOf(s, loc))
			line += "　次は (next) " + next.Format("2006-01-02 15:04") + " " + weekday(next)
		}
		lines = append(lines, line)
	}
	if f.OnEnrol {
		lines = append(lines, "登録したときに始まります (on: enrol)")
	}
	if len(f.Keywords) > 0 {
		lines = append(lines, "このことばが届いたら始まります (on: keyword): "+strings.Join(f.Keywords, "、"))
	}
	if len(lines) == 0 {
		lines = append(lines, "スケジュールなし: tsunagu send で送ったときだけ始まります (on demand)")
	}
	return lines
}

// zoneOf is the time zone schedule s runs in: its own, or def.
func zoneOf(s Schedule, def *time.Location) *time.Location {
	if s.Timezone != "" {
		if loc, err := time.LoadLocation(s.Timezone); err == nil {
			return loc
		}
	}
	return def
}

func weekday(t time.Time) string {
	return "(" + []string{"日", "月", "火", "水", "木", "金", "土"}[t.Weekday()] + ")"
}

func tokyo() *time.Location {
	if loc, err := time.LoadLocation("Asia/Tokyo"); err == nil {
		return loc
	}
	return time.FixedZone("Asia/Tokyo", 9*60*60)
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
		if ev.Gentle {
			fmt.Fprintf(w, "  ☁ %s（打ち消し）「%s」(%s): 念のため warning アラートを出します。安心メッセージは送りません\n\n", ev.Category, ev.Word, ev.Rule)
		} else {
			fmt.Fprintf(w, "  ⚠ %s「%s」(%s): すぐに urgent アラートを出し、次の安心メッセージを送ります\n\n", ev.Category, ev.Word, ev.Rule)
		}
	case EventAlert:
		fmt.Fprintf(w, "  ● アラート (alert) [%s] %s\n\n", ev.Severity, ev.Text)
	case EventBack:
		fmt.Fprintf(w, "  ⤺ ひとつ戻ります (back to %s)\n\n", ev.Step)
	case EventWait:
		fmt.Fprintf(w, "  ⏱ 時間を進めました: 始まってから %s (elapsed)\n\n", ev.Text)
	case EventReminder:
		fmt.Fprintf(w, "  ⏰ リマインダー (reminder, after %s)\n\n", ev.Text)
	case EventMissed:
		fmt.Fprintf(w, "  ✕ セッションは未回答 (missed) で終わりました: %s\n\n", ev.Text)
	case EventConsent:
		fmt.Fprintf(w, "  ✓ 同意の答えを記録します (consent): %s\n\n", ev.Text)
	case EventNote:
		for _, line := range strings.Split(ev.Text, "\n") {
			fmt.Fprintf(w, "  ℹ %s\n", line)
		}
		fmt.Fprintln(w)
	case EventRanOut:
		fmt.Fprintf(w, "（用意した答えがここで終わりました。まだ %s の答えを待っています — the answers ran out before the end）\n\n", ev.Step)
	}
}

func (sim *simulation) footer() {
	w := sim.w
	switch {
	case sim.t.Completed:
		fmt.Fprintln(w, "━━ おわり (completed)")
	case sim.t.Missed:
		fmt.Fprintln(w, "━━ 未回答で終了 (missed)")
	default:
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
		switch {
		case len(a.Cites) > 0:
			fmt.Fprintln(w, "      もとになった答え (answers it cites):")
			printQA(w, "        ", a.Cites)
		case !slices.Equal(a.Answers, sim.t.Answers):
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
