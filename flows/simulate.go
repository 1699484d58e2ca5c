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
	Risk          *RiskScanner // scans typed text as the bot does, with the flow's own words and patterns; nil for none
	SafetyMessage string       // sent on a risk match; "" for Safety's reply for the category and audience
	Safety        risk.Safety  // the programme's safety replies per category and audience (configuration `risk.safety`)
	JSON          bool         // write the transcript as JSON at the end instead of text as it goes
	Now           time.Time    // the simulated time, for reproducible alerts
	// Who is simulated: the member's role ("" for the flow's first) and
	// their family's tags, their last answers and missed streak.
	Role         tsunagu.Role
	Tags         []string
	Previous     map[string]tsunagu.Answer
	StreakMissed int
	Location     *time.Location // for the next time a schedule fires; nil for Asia/Tokyo
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
	EventRisk     = "risk"     // the member's text matched the risk rules
	EventAlert    = "alert"    // an alert was raised (Severity, Text is its note)
	EventBack     = "back"     // :back undid the answer to Step
	EventWait     = "wait"     // :wait moved the clock on (Text says how far, in all)
	EventReminder = "reminder" // a reminder went out (Text says when)
	EventMissed   = "missed"   // the session ended as missed
	EventNote     = "note"     // a remark of the simulator, not seen by the member
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
}

// Simulator commands, typed instead of an answer.
const (
	CmdBack   = ":back"   // undo the last answer
	CmdMissed = ":missed" // end the session as missed, as expiry would
	CmdWait   = ":wait"   // `:wait 24h`: move the clock on, sending reminders and expiring
	CmdHelp   = ":help"
)

// Simulate runs f with answers from in, writing to w what the member would
// see (or, with opt.JSON, the transcript as JSON at the end). It returns an
// *AudienceError when the flow is not for the simulated member.
func Simulate(w io.Writer, f *Flow, in Answerer, opt SimOptions) (Transcript, error) {
	if opt.Role == "" {
		opt.Role = f.Roles[0]
	}
	if !f.ForAudience(opt.Role, opt.Tags) {
		return Transcript{}, &AudienceError{Flow: f, Role: opt.Role, Tags: opt.Tags}
	}
	sim := &simulation{w: w, f: f, opt: opt, t: Transcript{
		FlowID: f.ID, Title: f.Title, Roles: f.Roles, Role: opt.Role, Tags: opt.Tags,
		Events: []SimEvent{}, Answers: []tsunagu.QA{}, Alerts: []SimAlert{},
	}, env: Env{Role: opt.Role, Tags: opt.Tags, Previous: opt.Previous, StreakMissed: opt.StreakMissed}}
	if opt.Risk != nil {
		sim.risk = opt.Risk
		if d := opt.Risk.Detector(); d != nil {
			fr := f.Risk()
			if fd, err := d.With(fr.Words, fr.Patterns); err == nil {
				sim.risk = RiskScannerFor(fd)
			}
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
	w       io.Writer
	f       *Flow
	opt     SimOptions
	env     Env
	t       Transcript
	last    *tsunagu.Session // the session after the latest answer
	elapsed time.Duration    // since the session started, moved on by :wait
	undo    []snapshot       // the state before each answer, for :back
	risk    *RiskScanner     // opt.Risk with the flow's own words and patterns
}

// snapshot is the simulation before an answer.
type snapshot struct {
	session *tsunagu.Session
	alerts  int
}

func (sim *simulation) now() time.Time { return sim.opt.Now.Add(sim.elapsed) }

func (sim *simulation) run(in Answerer) error {
	res := sim.f.Start("sim", "sim-member", sim.now(), sim.env)
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
		if cmd, arg, isCmd := command(text); isCmd {
			res = sim.command(res, cmd, arg)
			continue
		}
		input, tapped := sim.input(s, text)
		sim.emit(SimEvent{Kind: EventMember, Step: s.Step, Text: text, Tapped: tapped})
		if tapped == "" && sim.risk != nil {
			sim.checkRisk(s, text)
		}
		from := sim.f.Step(s.Step)
		before := snapshot{session: s, alerts: len(sim.t.Alerts)}
		res, err = sim.f.Resume(s, input, sim.now(), sim.env)
		if err != nil {
			return fmt.Errorf("resume at step %q: %w", s.Step, err)
		}
		sim.last = res.Session
		if res.Reasked {
			sim.emit(SimEvent{Kind: EventReask, Step: from.ID})
		} else {
			sim.undo = append(sim.undo, before)
			to := stepOrEnd(res.Session.Step)
			if res.Session.Status == tsunagu.SessionMissed {
				to = End
			}
			sim.emit(SimEvent{Kind: EventMove, Step: from.ID, To: to, Branch: to != sim.f.following(from)})
		}
		sim.said(res)
		for _, a := range res.Alerts {
			sim.raise(a)
		}
		if res.Ended && res.Session.Status == tsunagu.SessionMissed {
			sim.missed(res.Session, "ループ防止 (loop guard)")
			return nil
		}
	}
	sim.t.Completed = res.Session.Status == tsunagu.SessionCompleted
	return nil
}

// command reads a simulator command: one of the Cmd* words, then an
// argument. Anything else is an answer, even if it starts with ':'.
func command(text string) (cmd, arg string, ok bool) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return "", "", false
	}
	switch fields[0] {
	case CmdBack, CmdMissed, CmdWait, CmdHelp:
		return fields[0], strings.Join(fields[1:], " "), true
	}
	return "", "", false
}

// command carries out a simulator command on the session in res.
func (sim *simulation) command(res Result, cmd, arg string) Result {
	s := res.Session
	sim.emit(SimEvent{Kind: EventMember, Step: s.Step, Text: strings.TrimSpace(cmd + " " + arg)})
	switch cmd {
	case CmdHelp:
		sim.emit(SimEvent{Kind: EventNote, Text: simHelp})
	case CmdBack:
		if len(sim.undo) == 0 {
			sim.emit(SimEvent{Kind: EventNote, Text: "もどせる答えがありません (nothing to undo)"})
			return res
		}
		snap := sim.undo[len(sim.undo)-1]
		sim.undo = sim.undo[:len(sim.undo)-1]
		sim.t.Alerts = sim.t.Alerts[:snap.alerts]
		sim.last = snap.session
		sim.emit(SimEvent{Kind: EventBack, Step: snap.session.Step})
		res = Result{Session: snap.session}
		if q, ok := sim.f.Prompt(snap.session); ok {
			res.Messages = []tsunagu.Message{q}
		}
		sim.said(res)
	case CmdMissed:
		return sim.expire(res, "")
	case CmdWait:
		d, err := parseDuration(arg)
		if err != nil || d <= 0 {
			sim.emit(SimEvent{Kind: EventNote, Text: "時間の長さを書いてください（例: :wait 24h、:wait 3d）(e.g. :wait 24h)"})
			return res
		}
		sim.elapsed += d
		sim.emit(SimEvent{Kind: EventWait, Text: formatDuration(sim.elapsed)})
		next := cloneSession(s)
		for i := next.Reminded; i < len(sim.f.Reminders) && sim.f.Reminders[i].After <= sim.elapsed && sim.f.Reminders[i].After < sim.f.ExpiresAfter; i++ {
			msgs, ok := sim.f.Reminder(next, i)
			if !ok {
				break
			}
			next.Reminded = i + 1
			sim.emit(SimEvent{Kind: EventReminder, Step: next.Step, Text: formatDuration(sim.f.Reminders[i].After)})
			sim.said(Result{Session: next, Messages: msgs})
		}
		res.Session, sim.last = next, next
		if sim.elapsed >= sim.f.ExpiresAfter {
			return sim.expire(res, formatDuration(sim.f.ExpiresAfter))
		}
	}
	return res
}

const simHelp = `答えのかわりに打てるコマンド (commands):
  :back       ひとつ前の答えを取り消す (undo the last answer)
  :missed     答えないまま期限切れにする (end the session as missed)
  :wait 24h   時間を進める。リマインダーと期限切れが起きます (move the clock on)`

// expire ends the session as missed, after the given expiry ("" for
// :missed), and shows what the missed streak would do.
func (sim *simulation) expire(res Result, after string) Result {
	res = sim.f.Expire(res.Session, sim.now(), sim.env)
	sim.last = res.Session
	for _, a := range res.Alerts {
		sim.raise(a)
	}
	why := "未回答 (:missed)"
	if after != "" {
		why = "期限切れ (expires_after " + after + ")"
	}
	sim.missed(res.Session, why)
	return res
}

// missed records that the session ended as missed and says what the
// `missed:` rule would do about it.
func (sim *simulation) missed(s *tsunagu.Session, why string) {
	sim.t.Missed = true
	sim.emit(SimEvent{Kind: EventMissed, Text: why})
	m := sim.f.Missed
	if m == nil {
		return
	}
	streak := sim.opt.StreakMissed + 1
	if a, ok := sim.f.MissedAlert(s, streak, sim.now()); ok {
		sim.emit(SimEvent{Kind: EventNote, Text: fmt.Sprintf("%d回つづけて未回答なので missed のアラートが出ます (missed streak %d)", streak, streak)})
		sim.raise(a)
		return
	}
	if left := m.Streak - streak; left > 0 {
		sim.emit(SimEvent{Kind: EventNote, Text: fmt.Sprintf("未回答は%d回目。あと%d回つづくと [%s] %s のアラートが出ます (missed streak %d of %d)",
			streak, left, m.Severity, m.Note, streak, m.Streak)})
	}
}

// cmpStep names where a session stands: its step, or End once it is over.
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
	step := sim.f.Step(s.Step)
	if step == nil || len(step.Choices) == 0 || readChoice(step, text, casual).ok {
		return Input{Text: text}, ""
	}
	q, _ := sim.f.Prompt(s)
	buttons := q.QuickReplies
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
	sim.t.Alerts = append(sim.t.Alerts, SimAlert{Severity: a.Severity, Category: a.Category, Reason: a.Reason, Answers: a.Answers})
	sim.emit(SimEvent{Kind: EventAlert, Severity: a.Severity, Text: a.Reason})
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

// checkRisk does what the bot does with free text: on a match, the safety
// reply for the category and the member's role, and the alert (a Gentle
// match: a warning alert only).
func (sim *simulation) checkRisk(s *tsunagu.Session, text string) {
	m, ok := sim.risk.Check(text)
	if !ok {
		return
	}
	sim.emit(SimEvent{Kind: EventRisk, Step: s.Step, Word: matchedWord(m), Category: m.Category.Label(), Rule: m.Rule, Gentle: m.Gentle})
	if !m.Gentle {
		sim.emit(SimEvent{Kind: EventBot, Text: sim.safety(m.Category)})
	}
	sim.raise(sim.f.RiskMatchAlert(s, text, m, sim.now()))
}

// safety is the safety reply for category c to the simulated member.
func (sim *simulation) safety(c risk.Category) string {
	if sim.opt.SafetyMessage != "" {
		return sim.opt.SafetyMessage
	}
	a := risk.Child
	if sim.opt.Role == tsunagu.RoleGuardian {
		a = risk.Guardian
	}
	return sim.opt.Safety.Message(c, a)
}
