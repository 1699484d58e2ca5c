package slack

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf16"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackutilsx"

	"github.com/tsunagu/tsunagu"
)

// Action ids of the alert buttons; the interactions handler dispatches on
// them, so they are part of the messages already posted: never rename.
const (
	ActionClaim    = "claim"    // value: alert id
	ActionResolve  = "resolve"  // value: alert id; opens the note modal
	ActionUnclaim  = "unclaim"  // value: alert id
	ActionReassign = "reassign" // value: alert id; opens the users modal
	ActionReply    = "reply"    // value: alertRef; opens the reply modal
	ActionDetail   = "detail"   // value: alertRef; answers with the family summary
)

// Block Kit limits (docs.slack.dev/reference/block-kit). Slack rejects a
// whole message with invalid_blocks when one is exceeded, so we truncate.
const (
	maxSectionText = 3000
	maxFieldText   = 2000
	maxHeaderText  = 150
	maxFallback    = 300 // not Slack's limit: the notification only shows a line

	// maxAnswerText bounds the answers shown in one alert. Slack echoes the
	// whole message, blocks included, in every button click it sends us, so
	// the message size sets how large a request Interactions must accept;
	// and no supporter reads more than this in a channel anyway.
	maxAnswerText = 12000
	minAnswerRoom = 200 // below this, a cut-off answer says too little

	maxHistory = 5 // events shown under an alert; the thread has the rest
)

const timeLayout = "2006-01-02 15:04"

var severityLabels = map[tsunagu.Severity]string{
	tsunagu.SeverityUrgent:  "🔴 緊急",
	tsunagu.SeverityWarning: "🟠 要注意",
	tsunagu.SeverityInfo:    "🔵 お知らせ",
}

var roleLabels = map[tsunagu.Role]string{
	tsunagu.RoleChild:    "子ども",
	tsunagu.RoleGuardian: "保護者",
}

// maxGrouped bounds the alerts shown in one message (Slack allows 50
// blocks); a burst longer than this is counted, not shown.
const maxGrouped = 5

// topSeverity is the most severe of an alert and those grouped with it:
// what the message's header says.
func topSeverity(a *tsunagu.Alert) tsunagu.Severity {
	top := a.Severity
	for _, g := range a.Grouped {
		if tsunagu.SeverityRank(g.Severity) > tsunagu.SeverityRank(top) {
			top = g.Severity
		}
	}
	return top
}

// alertMessage renders a as Block Kit plus the plain-text fallback Slack
// shows in notifications. Everything comes from the alert alone, which by
// design holds no name and no LINE id (guarantee 6). Text that people typed
// or configured is escaped, so an answer like "<!channel>" cannot ping the
// channel or forge a link.
func alertMessage(a *tsunagu.Alert, loc *time.Location) (blocks []slackapi.Block, fallback string) {
	severity := severityLabel(topSeverity(a))
	title := severity + " | " + a.FamilyCode
	if a.Category != "" {
		// A risk alert says what it is about before it is opened.
		title += " | " + a.Category
	}
	header := slackapi.NewHeaderBlock(plain(truncate(title, maxHeaderText)))
	blocks = append(blocks, header, mrkdwnSection("alert_state", stateLine(a, loc)))
	if t := a.Thread; t != nil {
		// The family thread's newest, on its first message.
		line := fmt.Sprintf("🧵 スレッドに続きが %d件　最新 %s %s: %s", t.Count, t.At.In(loc).Format("01/02 15:04"), severityLabel(t.Severity), escape(t.Reason))
		blocks = append(blocks, slackapi.NewContextBlock("alert_thread", mrkdwn(truncate(line, maxFieldText))))
	}
	if a.State == tsunagu.AlertResolved && strings.TrimSpace(a.Note) != "" {
		blocks = append(blocks, mrkdwnSection("alert_note", truncate("*対応の内容*\n"+quote(escape(a.Note)), maxSectionText)))
	}

	fields := []*slackapi.TextBlockObject{mrkdwn(field("家族", a.FamilyCode))}
	if a.Category != "" {
		fields = append(fields, mrkdwn(field("カテゴリ", a.Category)))
	}
	if role := roleLabel(a.Role); role != "" {
		fields = append(fields, mrkdwn(field("対象", role)))
	}
	if lang := langLabel(a.Lang); lang != "" {
		fields = append(fields, mrkdwn(field("言語", lang)))
	}
	if flow := cmp.Or(a.FlowTitle, a.FlowID); flow != "" {
		fields = append(fields, mrkdwn(field("フロー", flow)))
	}
	if !a.CreatedAt.IsZero() {
		fields = append(fields, mrkdwn(field("発生", a.CreatedAt.In(loc).Format(timeLayout))))
	}
	if a.Supporter != "" {
		fields = append(fields, mrkdwn("*担当*\n"+mention(a.Supporter)))
	}
	blocks = append(blocks, slackapi.NewSectionBlock(nil, fields, nil, slackapi.SectionBlockOptionBlockID("alert_fields")))

	if a.Reason != "" {
		blocks = append(blocks, mrkdwnSection("alert_reason", truncate("*理由*\n"+escape(a.Reason), maxSectionText)))
	}

	blocks = append(blocks, answerBlocks(a.Answers)...)
	for i, g := range a.Grouped {
		if i == maxGrouped {
			blocks = append(blocks, mrkdwnSection("alert_grouped_more", fmt.Sprintf("ほか %d件の続きのアラートは省略しました", len(a.Grouped)-i)))
			break
		}
		text := fmt.Sprintf("*続けて届いたアラート* %s %s\n%s", g.CreatedAt.In(loc).Format("15:04"), severityLabel(g.Severity), escape(g.Reason))
		blocks = append(blocks, slackapi.NewDividerBlock(), mrkdwnSection(fmt.Sprintf("alert_grouped_%d", i), truncate(text, maxSectionText)))
		blocks = append(blocks, answerBlocksAs(fmt.Sprintf("grouped_%d_answers", i), g.Answers)...)
	}
	if h := historyLine(a.History, loc); h != "" {
		blocks = append(blocks, slackapi.NewContextBlock("alert_history", mrkdwn(h)))
	}
	blocks = append(blocks, slackapi.NewContextBlock("alert_id", mrkdwn("アラート ID: "+escape(a.ID))))
	if actions := actionsBlock(a); actions != nil {
		blocks = append(blocks, actions)
	}

	fallback = fmt.Sprintf("%s%s %s", statePrefix(a.State), severity, a.FamilyCode)
	if a.Category != "" {
		fallback += " 【" + a.Category + "】"
	}
	if role := roleLabel(a.Role); role != "" {
		fallback += "（" + role + "）"
	}
	if flow := cmp.Or(a.FlowTitle, a.FlowID); flow != "" {
		fallback += " " + flow
	}
	if a.Reason != "" {
		fallback += ": " + a.Reason
	}
	return blocks, truncate(escape(fallback), maxFallback)
}

// stateLine is the first thing a supporter reads: who has the alert now.
func stateLine(a *tsunagu.Alert, loc *time.Location) string {
	switch a.State {
	case tsunagu.AlertClaimed:
		return "*状態:* 🙋 対応中: " + mention(a.ClaimedBy) + at(a.ClaimedAt, loc)
	case tsunagu.AlertResolved:
		return "*状態:* ✅ 対応済み: " + mention(a.ResolvedBy) + at(a.ResolvedAt, loc)
	default:
		line := "*状態:* ⚪ 未対応"
		if a.Escalated > 0 {
			line += fmt.Sprintf("（⏰ 呼び出し %d 回）", a.Escalated)
		}
		return line
	}
}

// historyWords say what each AlertEvent.What was, in the history line.
var historyWords = map[string]string{
	"claimed":    "対応開始",
	"unclaimed":  "対応をやめる",
	"reassigned": "担当変更",
	"resolved":   "対応済み",
	"replied":    "LINEで返信",
	"reopened":   "再開",
}

// historyLine is the short record under an alert — who claimed, handed
// over, replied, and when — newest last, the latest maxHistory events.
func historyLine(events []tsunagu.AlertEvent, loc *time.Location) string {
	if len(events) == 0 {
		return ""
	}
	var parts []string
	if skipped := len(events) - maxHistory; skipped > 0 {
		parts = append(parts, fmt.Sprintf("ほか %d 件", skipped))
		events = events[skipped:]
	}
	for _, e := range events {
		what := historyWords[e.What]
		if what == "" {
			what = escape(e.What)
		}
		p := e.At.In(loc).Format("01-02 15:04") + " " + mention(e.By)
		if e.To != "" {
			p += " → " + mention(e.To)
		}
		parts = append(parts, p+" "+what)
	}
	return truncate("🕘 "+strings.Join(parts, " · "), maxSectionText)
}

func statePrefix(s tsunagu.AlertState) string {
	switch s {
	case tsunagu.AlertClaimed:
		return "[対応中] "
	case tsunagu.AlertResolved:
		return "[対応済み] "
	}
	return ""
}

func at(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return "（" + t.In(loc).Format(timeLayout) + "）"
}

// actionsBlock offers what can be done next. Open: claim, resolve,
// reassign, reply, detail. Claimed: resolve, unclaim, reassign, reply,
// detail. Resolved: detail only. Reply appears only when the alert is about
// a member who can be written to; the member stays unnamed.
func actionsBlock(a *tsunagu.Alert) *slackapi.ActionBlock {
	button := func(id, value, label string) *slackapi.ButtonBlockElement {
		return slackapi.NewButtonBlockElement(id, value, plain(label))
	}
	ref := alertRef{Alert: a.ID, Family: a.FamilyCode, Role: a.Role}.value()
	detail := button(ActionDetail, ref, "詳細")
	var elems []slackapi.BlockElement
	switch a.State {
	case tsunagu.AlertResolved:
		return slackapi.NewActionBlock("alert_actions", detail)
	case tsunagu.AlertClaimed:
		elems = append(elems,
			button(ActionResolve, a.ID, "対応済み").WithStyle(slackapi.StylePrimary),
			button(ActionUnclaim, a.ID, "対応をやめる"))
	default:
		elems = append(elems,
			button(ActionClaim, a.ID, "対応します").WithStyle(slackapi.StylePrimary),
			button(ActionResolve, a.ID, "対応済み"))
	}
	elems = append(elems, button(ActionReassign, a.ID, "担当変更"))
	if a.MemberID != "" {
		elems = append(elems, button(ActionReply, ref, "返信する"))
	}
	elems = append(elems, detail)
	return slackapi.NewActionBlock("alert_actions", elems...)
}

// alertRef is what the reply and detail buttons carry: enough to open the
// reply modal or find the family without a store lookup. Never the member:
// the bot finds whom to write to from the alert id.
type alertRef struct {
	Alert  string       `json:"alert"`
	Family string       `json:"family,omitempty"`
	Role   tsunagu.Role `json:"role,omitempty"`
}

func (r alertRef) value() string {
	b, _ := json.Marshal(r) // strings only: cannot fail
	return string(b)
}

// parseRef reads a button value: an alertRef, or a bare alert id as the
// claim and resolve buttons have always carried.
func parseRef(v string) alertRef {
	var r alertRef
	if strings.HasPrefix(v, "{") && json.Unmarshal([]byte(v), &r) == nil {
		return r
	}
	return alertRef{Alert: v}
}

// answerBlocks packs the questions and answers into as few sections as fit
// Slack's per-section limit and maxAnswerText in all; answers that do not
// fit are counted in a closing note rather than silently dropped. Greedy
// packing makes any two neighbouring sections hold more than a section's
// worth, so this is at most 2*maxAnswerText/maxSectionText+2 blocks, far
// under Slack's 50 with the rest of the message.
func answerBlocks(qas []tsunagu.QA) []slackapi.Block { return answerBlocksAs("answers", qas) }

// answerBlocksAs is answerBlocks with block ids under prefix, which must
// be unique within a message (Slack refuses a repeated block id).
func answerBlocksAs(prefix string, qas []tsunagu.QA) []slackapi.Block {
	var texts []string // one per section
	total, shown := 0, 0
	for _, qa := range qas {
		room := min(maxSectionText, maxAnswerText-total)
		if room < minAnswerRoom {
			break
		}
		item := truncate(renderQA(qa), room)
		total += units(item)
		shown++
		if last := len(texts) - 1; last >= 0 && units(texts[last])+2+units(item) <= maxSectionText {
			texts[last] += "\n\n" + item
		} else {
			texts = append(texts, item)
		}
	}
	var blocks []slackapi.Block
	for i, t := range texts {
		blocks = append(blocks, mrkdwnSection(fmt.Sprintf("%s_%d", prefix, i), t))
	}
	if omitted := len(qas) - shown; omitted > 0 {
		note := fmt.Sprintf("ほか %d 件の回答は長すぎるため省略しました。", omitted)
		blocks = append(blocks, slackapi.NewContextBlock(prefix+"_omitted", mrkdwn(note)))
	}
	return blocks
}

// renderQA shows the question in bold and the answer quoted, line by line
// since a mrkdwn quote ends at a newline.
func renderQA(qa tsunagu.QA) string {
	answer := escape(qa.Answer)
	if strings.TrimSpace(answer) == "" {
		answer = "（回答なし）"
	}
	return "*" + escape(qa.Question) + "*\n" + quote(answer)
}

// quote marks every line of s as a mrkdwn quote.
func quote(s string) string { return "> " + strings.ReplaceAll(s, "\n", "\n> ") }

func severityLabel(s tsunagu.Severity) string {
	if l, ok := severityLabels[s]; ok {
		return l
	}
	return "❔ " + string(s)
}

func roleLabel(r tsunagu.Role) string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return string(r)
}

// slackID matches Slack user ids. Anything else (a typo in the roster, a
// handle) is shown as text, because "<@...>" around it would render oddly.
var slackID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

func mention(id string) string {
	if slackID.MatchString(id) {
		return "<@" + id + ">"
	}
	return escape(id)
}

func field(label, value string) string {
	return truncate("*"+label+"*\n"+escape(value), maxFieldText)
}

func mrkdwnSection(blockID, text string) *slackapi.SectionBlock {
	return slackapi.NewSectionBlock(mrkdwn(text), nil, nil, slackapi.SectionBlockOptionBlockID(blockID))
}

func mrkdwn(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, s, false, false)
}

func plain(s string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, true, false)
}

func escape(s string) string { return slackutilsx.EscapeMessage(s) }

// Escape makes text that people typed (a member's reply, a note) safe to
// put into mrkdwn for PostInThread: "&", "<" and ">" are escaped, so it
// cannot mention anyone, link anywhere or break the message.
func Escape(s string) string { return escape(s) }

// units counts UTF-16 code units, which is at least the number of
// characters however Slack counts them, so staying under it is safe.
func units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncate shortens s to at most limit UTF-16 units, ending in "…", without
// cutting an escape like "&amp;" in half.
func truncate(s string, limit int) string {
	if units(s) <= limit {
		return s
	}
	n, cut := 0, 0
	for i, r := range s {
		if n+utf16.RuneLen(r) > limit-1 {
			cut = i
			break
		}
		n += utf16.RuneLen(r)
	}
	s = s[:cut]
	if amp := strings.LastIndexByte(s, '&'); amp >= 0 && !strings.Contains(s[amp:], ";") {
		s = s[:amp]
	}
	return s + "…"
}

// langNames are the languages families most often read, as supporters
// name them.
var langNames = map[string]string{
	"en": "英語", "pt": "ポルトガル語", "vi": "ベトナム語", "zh": "中国語", "tl": "タガログ語",
	"ne": "ネパール語", "es": "スペイン語", "ko": "韓国語", "id": "インドネシア語",
}

// langLabel notes the language the member answered in when it is not
// Japanese: the buttons they tapped are shown in Japanese, what they wrote
// is in their words.
func langLabel(lang string) string {
	if lang == "" || lang == "ja" {
		return ""
	}
	name := langNames[lang]
	if name == "" {
		name = lang
	} else {
		name += " (" + lang + ")"
	}
	return name + "。選択肢は日本語で表示、自由記述は本人のことばのまま"
}
