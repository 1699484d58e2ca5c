package slack

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu"
)

// Bounds on a family summary. It is read in an ephemeral message or a
// command response, under Slack's 50 blocks; beyond these a supporter
// would open the thread or the report anyway.
const (
	maxSummaryMembers = 20
	maxSummaryAlerts  = 10
	maxSummaryAnswers = 5   // last answers shown per flow
	maxSummaryAnswer  = 100 // characters of each
)

const dateLayout = "2006-01-02"

// summaryBlocks renders a family at a glance for 詳細 and /tsunagu CODE:
// members by role with their check-ins, then open alerts with links. Like
// alerts, it shows the family code, roles, flows and answers, never a name
// or a LINE id; the summary type holds neither.
func summaryBlocks(s *tsunagu.FamilySummary, now time.Time, loc *time.Location) (blocks []slackapi.Block, fallback string) {
	f := s.Family
	blocks = append(blocks, slackapi.NewHeaderBlock(plain(truncate("👪 "+f.Code+" の様子", maxHeaderText))))

	var status []string
	if f.Supporter != "" {
		status = append(status, "*担当:* "+mention(f.Supporter))
	}
	if f.Paused {
		status = append(status, "⏸ 定期チェックインは一時停止中です")
	}
	if len(status) > 0 {
		blocks = append(blocks, mrkdwnSection("summary_status", strings.Join(status, "\n")))
	}

	members := slices.Clone(s.Members)
	slices.SortStableFunc(members, func(a, b tsunagu.MemberSummary) int { return cmp.Compare(roleOrder(a.Role), roleOrder(b.Role)) })
	if len(members) == 0 {
		blocks = append(blocks, mrkdwnSection("summary_members", "LINEで登録したメンバーはまだいません。"))
	}
	for i, m := range members {
		if i == maxSummaryMembers {
			note := fmt.Sprintf("ほか %d 人は省略しました。", len(members)-i)
			blocks = append(blocks, slackapi.NewContextBlock("summary_members_omitted", mrkdwn(note)))
			break
		}
		blocks = append(blocks, mrkdwnSection(fmt.Sprintf("summary_member_%d", i), memberText(m, now, loc)))
	}

	blocks = append(blocks, slackapi.NewDividerBlock(), mrkdwnSection("summary_alerts", openAlertsText(s.OpenAlerts, loc)))

	counts := map[tsunagu.Role]int{}
	for _, m := range members {
		counts[m.Role]++
	}
	var who []string
	for _, r := range tsunagu.Roles {
		if counts[r] > 0 {
			who = append(who, fmt.Sprintf("%s %d 人", roleLabel(r), counts[r]))
		}
	}
	fallback = fmt.Sprintf("%s の様子: %s、未対応のアラート %d 件", f.Code, cmp.Or(strings.Join(who, "・"), "メンバーなし"), len(s.OpenAlerts))
	return blocks, truncate(escape(fallback), maxFallback)
}

func roleOrder(r tsunagu.Role) int {
	if i := slices.Index(tsunagu.Roles, r); i >= 0 {
		return i
	}
	return len(tsunagu.Roles)
}

// consentText says whether the member consented, with the answer as they
// saw it (the button's label), not its value.
func consentText(m tsunagu.MemberSummary) string {
	if m.Consent == "" {
		return "同意は未回答"
	}
	said := "同意あり"
	if !tsunagu.Consented(tsunagu.Member{Consent: m.Consent}) {
		said = "同意なし"
	}
	return said + "（「" + escape(cmp.Or(m.ConsentLabel, m.Consent)) + "」）"
}

// memberText is one member: role, when linked, consent, and each flow's
// last completion, missed streak and last answers.
func memberText(m tsunagu.MemberSummary, now time.Time, loc *time.Location) string {
	var b strings.Builder
	b.WriteString("*" + escape(roleLabel(m.Role)) + "*")
	if !m.LinkedAt.IsZero() {
		b.WriteString(" · 登録 " + m.LinkedAt.In(loc).Format(dateLayout))
	}
	b.WriteString(" · " + consentText(m))
	if m.Blocked {
		b.WriteString(" · 🚫 ブロック中（LINEのメッセージは届きません）")
	}
	if m.Stopped {
		b.WriteString(" · ⏸ 本人の希望でチェックインを停止中（本人が「再開」と送ると戻ります）")
	}
	if len(m.Flows) == 0 {
		b.WriteString("\n• チェックインの記録はまだありません")
	}
	for _, fl := range m.Flows {
		b.WriteString("\n• *" + escape(cmp.Or(fl.Title, fl.FlowID)) + "*: ")
		var facts []string
		if fl.LastCompleted.IsZero() {
			facts = append(facts, "回答の記録なし")
		} else {
			facts = append(facts, "最終回答 "+fl.LastCompleted.In(loc).Format(dateLayout)+"（"+daysAgo(fl.LastCompleted, now, loc)+"）")
		}
		if fl.StreakMissed > 0 {
			facts = append(facts, fmt.Sprintf("⚠️ %d 回つづけて未回答", fl.StreakMissed))
		}
		if fl.Open {
			facts = append(facts, "💬 いま回答待ち")
		}
		b.WriteString(strings.Join(facts, " · "))
		for i, qa := range fl.LastAnswers {
			if i == maxSummaryAnswers {
				fmt.Fprintf(&b, "\n> ほか %d 問", len(fl.LastAnswers)-i)
				break
			}
			answer := strings.Join(strings.Fields(qa.Answer), " ") // one line each
			b.WriteString("\n> " + escape(truncate(qa.Question, maxSummaryAnswer)) + " → " + escape(truncate(cmp.Or(answer, "（回答なし）"), maxSummaryAnswer)))
		}
	}
	return truncate(b.String(), maxSectionText)
}

// openAlertsText lists open and claimed alerts, each linked to its message
// when we know where that is. Whole lines only: a cut link would show its
// markup.
func openAlertsText(alerts []tsunagu.Alert, loc *time.Location) string {
	if len(alerts) == 0 {
		return "*未対応・対応中のアラート*\nありません"
	}
	text := fmt.Sprintf("*未対応・対応中のアラート（%d 件）*", len(alerts))
	for i, a := range alerts {
		line := "\n" + alertLine(a, loc)
		if i == maxSummaryAlerts || units(text)+units(line) > maxSectionText-20 {
			return text + fmt.Sprintf("\nほか %d 件", len(alerts)-i)
		}
		text += line
	}
	return text
}

func alertLine(a tsunagu.Alert, loc *time.Location) string {
	what := escape(truncate(cmp.Or(a.Reason, a.FlowTitle, a.FlowID, "アラート"), 120))
	if link := permalink(a.Channel, a.TS); link != "" {
		what = "<" + link + "|" + what + ">"
	}
	line := "• " + severityLabel(a.Severity) + " " + what
	if role := roleLabel(a.Role); role != "" {
		line += "（" + escape(role) + "）"
	}
	if a.State == tsunagu.AlertClaimed {
		line += " — 🙋 対応中: " + mention(a.ClaimedBy)
	} else {
		line += " — ⚪ 未対応"
	}
	if !a.CreatedAt.IsZero() {
		line += " · " + a.CreatedAt.In(loc).Format(timeLayout)
	}
	return line
}

var (
	channelID = regexp.MustCompile(`^[CGD][A-Z0-9]+$`)
	messageTS = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
)

// permalink is the link form Slack itself uses for a message
// (https://slack.com/archives/C…/p…, the ts without its dot), which opens
// in whichever workspace the reader is signed in to. It saves a
// chat.getPermalink call per alert in a reply that must be quick.
func permalink(channel, ts string) string {
	if !channelID.MatchString(channel) || !messageTS.MatchString(ts) {
		return ""
	}
	return "https://slack.com/archives/" + channel + "/p" + strings.Replace(ts, ".", "", 1)
}

// daysAgo counts calendar days in loc: 今日, 昨日, 3日前.
func daysAgo(t, now time.Time, loc *time.Location) string {
	day := func(t time.Time) time.Time {
		y, m, d := t.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	switch n := int(day(now).Sub(day(t)).Hours() / 24); {
	case n <= 0:
		return "今日"
	case n == 1:
		return "昨日"
	default:
		return fmt.Sprintf("%d日前", n)
	}
}
