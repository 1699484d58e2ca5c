package desk

import "strings"

// mrkdwnEscaper escapes what Slack's mrkdwn reads as markup: a tag, title
// or reason such as "<!channel>" must not ping a channel or forge a link
// from the digest.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func mrkdwnText(s string) string { return mrkdwnEscaper.Replace(s) }

// csvCell keeps a spreadsheet from reading a cell as a formula: text that
// starts with = + - @ (or a tab or carriage return, which some
// spreadsheets skip before one) gets a leading apostrophe, which they show
// as text (OWASP's CSV injection advice).
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
