package desk

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tsunagu/tsunagu/internal/safecsv"
)

func responseRate(r *ReportRow) float64 {
	if ended := r.Completed + r.Missed; ended > 0 {
		return float64(r.Completed) / float64(ended)
	}
	return -1
}

func pct(r float64) string {
	if r < 0 {
		return "-"
	}
	return strconv.Itoa(int(r*100+0.5)) + "%"
}

func trend(r ReportRow) string {
	if r.Rate < 0 || r.PreviousRate < 0 {
		return ""
	}
	switch d := int((r.Rate - r.PreviousRate) * 100); {
	case d > 0:
		return fmt.Sprintf("↑%dpt", d)
	case d < 0:
		return fmt.Sprintf("↓%dpt", -d)
	}
	return "→"
}

func tagLabel(t string) string {
	if t == "" {
		return "全体"
	}
	return t
}

// Markdown writes the report for staff meetings (tsunagu report).
func (r *Report) Markdown(w io.Writer, loc *time.Location) {
	fmt.Fprintf(w, "# 支援状況レポート %s〜%s\n\n", r.Since.In(loc).Format("2006-01-02"), r.Until.In(loc).Add(-time.Second).Format("2006-01-02"))
	if r.Filter != "" {
		fmt.Fprintf(w, "対象: %s\n\n", r.Filter)
	}
	fmt.Fprintln(w, "## チェックイン (check-ins)")
	fmt.Fprintln(w, "\n| フロー | タグ | 送信 | 回答 | 未回答 | 回答待ち | 回答率 | 前期 | |\n|---|---|---|---|---|---|---|---|---|")
	for _, row := range r.Rows {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %s | %s | %s |\n", orText(row.Title, row.Flow), tagLabel(row.Tag), row.Sent, row.Completed, row.Missed, row.Open, pct(row.Rate), pct(row.PreviousRate), trend(row))
	}
	fmt.Fprintln(w, "\n## 続けて未回答の人 (missed streaks)")
	fmt.Fprintf(w, "\n1回 %d人・2回 %d人・3回以上 %d人\n\n", r.StreakCounts[0], r.StreakCounts[1], r.StreakCounts[2])
	listed, more := r.Listed()
	if len(listed) == 0 {
		fmt.Fprintln(w, "2回以上続けて未回答の人はいません。")
	}
	for _, s := range listed {
		fmt.Fprintf(w, "- %s（%s）%s: %d回続けて未回答、最後の回答 %s\n", s.Family, roleLabel(s.Role), s.Flow, s.Streak, dateOr(s.LastCompleted, loc))
	}
	if more > 0 {
		fmt.Fprintf(w, "- ほか %d人（全員は --format csv に）\n", more)
	}
	r.markdownFigures(w, loc)
	fmt.Fprintf(w, "\n## 対応中・未対応のアラート (open alerts): %d件\n", len(r.Open))
	if len(r.Unclaimed) > 0 {
		fmt.Fprintf(w, "\n長く だれも対応していないもの (unclaimed too long: urgent past escalation, warning > 1 day): %d件\n\n", len(r.Unclaimed))
		for _, a := range r.Unclaimed {
			fmt.Fprintf(w, "- %s %s %s（%s〜、%s）\n", a.Severity, a.FamilyCode, a.Reason, a.CreatedAt.In(loc).Format("01/02 15:04"), duration(r.At.Sub(a.CreatedAt)))
		}
	}
	if r.QuotaLimit >= 0 {
		fmt.Fprintf(w, "\n## LINE送信数 (quota)\n\n今月 %d / %d 通\n", r.QuotaUsed, r.QuotaLimit)
	}
}

// Slack renders the report as a Slack message (mrkdwn has no tables).
func (r *Report) Slack(loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*📊 支援状況レポート* %s〜%s\n", r.Since.In(loc).Format("01/02"), r.Until.In(loc).Add(-time.Second).Format("01/02"))
	for _, row := range r.Rows {
		if row.Tag != "" {
			continue
		}
		fmt.Fprintf(&b, "• %s: 送信 %d・回答 %d・未回答 %d（回答率 %s %s）\n", mrkdwnText(orText(row.Title, row.Flow)), row.Sent, row.Completed, row.Missed, pct(row.Rate), trend(row))
		for _, t := range r.Rows {
			if t.Flow == row.Flow && t.Tag != "" {
				fmt.Fprintf(&b, "    ◦ %s: 送信 %d・回答 %d（%s）\n", mrkdwnText(t.Tag), t.Sent, t.Completed, pct(t.Rate))
			}
		}
	}
	if listed, more := r.Listed(); len(listed) > 0 {
		fmt.Fprintf(&b, "*2回以上続けて未回答* %d人\n", len(listed)+more)
		if r.CountsOnly {
			listed = nil
		}
		for _, s := range listed[:min(len(listed), 20)] {
			fmt.Fprintf(&b, "• %s（%s）%s %d回・最後の回答 %s\n", s.Family, mrkdwnText(roleLabel(s.Role)), mrkdwnText(s.Flow), s.Streak, dateOr(s.LastCompleted, loc))
		}
	}
	r.slackResponse(&b)
	fmt.Fprintf(&b, "*未解決のアラート* %d件（長く未対応 %d件）\n", len(r.Open), len(r.Unclaimed))
	unclaimed := r.Unclaimed
	if r.CountsOnly {
		unclaimed = nil
		b.WriteString("（家族ごとの内訳は、各団体のチャンネルのレポートにあります）\n")
	}
	for _, a := range unclaimed[:min(len(unclaimed), 20)] {
		fmt.Fprintf(&b, "• %s %s（%s〜）\n", mrkdwnText(a.FamilyCode), mrkdwnText(a.Reason), a.CreatedAt.In(loc).Format("01/02 15:04"))
	}
	if r.QuotaLimit >= 0 {
		fmt.Fprintf(&b, "*LINE送信数* 今月 %d / %d 通\n", r.QuotaUsed, r.QuotaLimit)
	}
	return b.String()
}

// CSV writes the report for spreadsheets (the half-yearly review): UTF-8
// with a BOM and formula cells escaped, safe to open in Excel; each table
// after a blank line, with its own header.
func (r *Report) CSV(w io.Writer) error {
	cw := safecsv.NewWriter(w)
	_ = cw.Write([]string{"flow", "title", "tag", "sent", "completed", "missed", "open", "response_rate", "previous_rate"})
	for _, row := range r.Rows {
		_ = cw.Write([]string{csvCell(row.Flow), csvCell(row.Title), csvCell(row.Tag), strconv.Itoa(row.Sent), strconv.Itoa(row.Completed), strconv.Itoa(row.Missed), strconv.Itoa(row.Open), rateCSV(row.Rate), rateCSV(row.PreviousRate)})
	}
	r.csvFigures(cw)
	cw.Flush()
	return cw.Error()
}

func rateCSV(r float64) string {
	if r < 0 {
		return ""
	}
	return strconv.FormatFloat(r, 'f', 3, 64)
}

func dateOr(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "なし"
	}
	return t.In(loc).Format("2006-01-02")
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
