package slack

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/tsunagu/tsunagu"
)

var (
	usergroupID = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	mentionSep  = regexp.MustCompile(`[\s,、]+`)
)

// Mentions renders an on-call setting as Slack mentions: a user group id
// (S…) becomes <!subteam^S…>, user ids (U… or W…) become <@U…>, and "here"
// or "channel" become <!here> or <!channel>. Tokens are separated by spaces
// or commas; a leading "@" is allowed. It returns what it could render and
// an error naming the first token that is no Slack id, for configuration
// checks at start-up.
func Mentions(spec string) (string, error) {
	var out []string
	var bad error
	for _, tok := range mentionSep.Split(strings.TrimSpace(spec), -1) {
		tok = strings.TrimPrefix(tok, "@")
		switch {
		case tok == "":
		case tok == "here" || tok == "channel":
			out = append(out, "<!"+tok+">")
		case usergroupID.MatchString(tok):
			out = append(out, "<!subteam^"+tok+">")
		case slackID.MatchString(tok):
			out = append(out, "<@"+tok+">")
		default:
			if bad == nil {
				bad = tsunagu.Errorf(tsunagu.EINVALID,
					"%q is not a Slack user group id (S…) or user id (U…); find it in the group's or member's profile under \"Copy ID\"", tok)
			}
		}
	}
	return strings.Join(out, " "), bad
}

// escalationText is the reminder Escalate posts: how long the alert has
// waited, about whom (code and role only) and why, and what to do.
func escalationText(a *tsunagu.Alert, level int, mentions string, now time.Time) string {
	var b strings.Builder
	b.WriteString(strings.Repeat("⏰", min(max(level, 1), 3)))
	if mentions != "" {
		b.WriteString(" " + mentions)
	}
	if level > 1 {
		fmt.Fprintf(&b, " 【%d回目】", level)
	} else {
		b.WriteString(" ")
	}
	kind := "アラート"
	if a.Severity == tsunagu.SeverityUrgent {
		kind = "緊急アラート"
	}
	if a.CreatedAt.IsZero() || !now.After(a.CreatedAt) {
		b.WriteString(kind + "がまだ未対応です")
	} else {
		b.WriteString(kind + "が" + waited(now.Sub(a.CreatedAt)) + "未対応です")
	}
	about := escape(a.FamilyCode)
	if role := roleLabel(a.Role); role != "" {
		about += "（" + escape(role) + "）"
	}
	if flow := cmp.Or(a.FlowTitle, a.FlowID); flow != "" {
		about += " " + escape(flow)
	}
	if a.Reason != "" {
		about += ": " + escape(a.Reason)
	}
	b.WriteString("\n" + truncate(about, 500))
	b.WriteString("\n対応できる方はアラートの「対応します」を押してください。")
	return b.String()
}

// waited says a duration the way a colleague would: 15分, 1時間30分, 2日.
func waited(d time.Duration) string {
	m := int(d / time.Minute)
	switch {
	case m < 60:
		return fmt.Sprintf("%d分間", max(m, 1))
	case m < 24*60:
		if m%60 == 0 {
			return fmt.Sprintf("%d時間", m/60)
		}
		return fmt.Sprintf("%d時間%d分", m/60, m%60)
	default:
		return fmt.Sprintf("%d日間", m/(24*60))
	}
}
