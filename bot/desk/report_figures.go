package desk

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/safecsv"
)

// duration says a response time as people read it: 12分, 3時間5分, 2日4時間.
func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "秒"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "分"
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return strconv.Itoa(h) + "時間"
		}
		return fmt.Sprintf("%d時間%d分", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return strconv.Itoa(days) + "日"
	}
	return fmt.Sprintf("%d日%d時間", days, h)
}

func minutesCSV(d time.Duration) string {
	if d < 0 {
		return ""
	}
	return strconv.FormatFloat(d.Minutes(), 'f', 1, 64)
}

var severityJa = map[tsunagu.Severity]string{
	tsunagu.SeverityUrgent: "緊急", tsunagu.SeverityWarning: "注意", tsunagu.SeverityInfo: "お知らせ",
}

func severityLabel(s tsunagu.Severity) string {
	if l, ok := severityJa[s]; ok {
		return l
	}
	return string(s)
}

// markdownFigures writes the sections that came with the charts: answers,
// indicators, alerts and supporters' response times.
func (r *Report) markdownFigures(w io.Writer, loc *time.Location) {
	if len(r.Questions) > 0 {
		fmt.Fprintln(w, "\n## 回答の分布 (answers)")
	}
	for _, q := range r.Questions {
		fmt.Fprintf(w, "\n### %s: %s\n\n| 期間 | %s |\n|---|%s\n", orText(q.Title, q.Flow), oneLine(q.Text), strings.Join(q.Labels, " | "), strings.Repeat("---|", len(q.Labels)))
		for i, b := range r.Buckets {
			cells := make([]string, len(q.Values))
			for v := range q.Values {
				cells[v] = strconv.Itoa(q.Counts[i][v])
			}
			fmt.Fprintf(w, "| %s | %s |\n", b.Label, strings.Join(cells, " | "))
		}
	}
	if len(r.Indicators) > 0 {
		fmt.Fprintln(w, "\n## 指標の推移 (indicators: mean by tag)")
	}
	for _, ind := range r.Indicators {
		fmt.Fprintf(w, "\n### %s: %s\n\n| タグ |", orText(ind.Title, ind.Flow), oneLine(ind.Text))
		for _, b := range r.Buckets {
			fmt.Fprintf(w, " %s |", b.Label)
		}
		fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(r.Buckets)))
		for t, tag := range ind.Tags {
			fmt.Fprintf(w, "| %s |", tagLabel(tag))
			for i := range r.Buckets {
				fmt.Fprintf(w, " %s |", mean(ind.Means[t][i], ind.N[t][i]))
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w, "\n## アラート (alerts of the period)")
	if len(r.Alerts) == 0 {
		fmt.Fprintln(w, "\nなし")
	} else {
		fmt.Fprintln(w, "\n| 重要度 | 分類 | 件数 |\n|---|---|---|")
	}
	for _, a := range r.Alerts {
		fmt.Fprintf(w, "| %s | %s | %d |\n", severityLabel(a.Severity), orText(a.Category, "-"), a.N)
	}
	fmt.Fprintln(w, "\n## 支援者の対応時間 (supporter response times)")
	if len(r.Response) == 0 {
		fmt.Fprintln(w, "\nなし")
		return
	}
	fmt.Fprintln(w, "\n| 重要度 | 団体 | 件数 | 対応開始 | 開始まで p50 | p90 | 対応済み | 完了まで p50 | p90 |\n|---|---|---|---|---|---|---|---|---|")
	for _, x := range r.Response {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s | %d | %s | %s |\n", severityLabel(x.Severity), x.Scope, x.Alerts, x.Claimed, duration(x.ClaimP50), duration(x.ClaimP90), x.Resolve, duration(x.ResolveP50), duration(x.ResolveP90))
	}
}

func mean(m float64, n int) string {
	if math.IsNaN(m) {
		return "-"
	}
	return fmt.Sprintf("%.1f (n=%d)", m, n)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// csvFigures writes the other tables after the check-ins, each after a
// blank line and with its own header, so a spreadsheet can take each.
func (r *Report) csvFigures(cw *safecsv.Writer) {
	_ = cw.Write(nil)
	_ = cw.Write([]string{"severity", "organisation", "alerts", "claimed", "claim_p50_min", "claim_p90_min", "resolved", "resolve_p50_min", "resolve_p90_min"})
	for _, x := range r.Response {
		_ = cw.Write([]string{string(x.Severity), csvCell(x.Scope), strconv.Itoa(x.Alerts), strconv.Itoa(x.Claimed), minutesCSV(x.ClaimP50), minutesCSV(x.ClaimP90), strconv.Itoa(x.Resolve), minutesCSV(x.ResolveP50), minutesCSV(x.ResolveP90)})
	}
	_ = cw.Write(nil)
	_ = cw.Write([]string{"unclaimed_alert", "severity", "family", "created_at", "waiting_min"})
	for _, a := range r.Unclaimed {
		_ = cw.Write([]string{a.ID, string(a.Severity), csvCell(a.FamilyCode), a.CreatedAt.UTC().Format(time.RFC3339), minutesCSV(r.At.Sub(a.CreatedAt))})
	}
	_ = cw.Write(nil)
	_ = cw.Write([]string{"alert_severity", "category", "alerts"})
	for _, a := range r.Alerts {
		_ = cw.Write([]string{string(a.Severity), csvCell(a.Category), strconv.Itoa(a.N)})
	}
	_ = cw.Write(nil)
	_ = cw.Write([]string{"missed_streak", "family", "role", "flow", "last_completed"})
	for _, s := range r.Streaks {
		last := ""
		if !s.LastCompleted.IsZero() {
			last = s.LastCompleted.UTC().Format(time.RFC3339)
		}
		_ = cw.Write([]string{strconv.Itoa(s.Streak), csvCell(s.Family), string(s.Role), csvCell(s.Flow), last})
	}
	_ = cw.Write(nil)
	_ = cw.Write([]string{"answers_flow", "step", "period", "value", "label", "count"})
	for _, q := range r.Questions {
		for i, b := range r.Buckets {
			for v := range q.Values {
				_ = cw.Write([]string{csvCell(q.Flow), csvCell(q.Step), b.Since.UTC().Format("2006-01-02"), csvCell(q.Values[v]), csvCell(q.Labels[v]), strconv.Itoa(q.Counts[i][v])})
			}
		}
	}
	_ = cw.Write(nil)
	_ = cw.Write([]string{"indicator_flow", "step", "tag", "period", "mean", "n"})
	for _, ind := range r.Indicators {
		for t, tag := range ind.Tags {
			for i, b := range r.Buckets {
				m := ""
				if !math.IsNaN(ind.Means[t][i]) {
					m = strconv.FormatFloat(ind.Means[t][i], 'f', 2, 64)
				}
				_ = cw.Write([]string{csvCell(ind.Flow), csvCell(ind.Step), csvCell(tag), b.Since.UTC().Format("2006-01-02"), m, strconv.Itoa(ind.N[t][i])})
			}
		}
	}
}

// slackResponse is the digest's lines on response times: overall per
// severity, and each organisation's urgent ones.
func (r *Report) slackResponse(b *strings.Builder) {
	if len(r.Response) == 0 {
		return
	}
	b.WriteString("*対応までの時間*（中央値 / 90%）\n")
	for _, x := range r.Response {
		if x.Scope != scopeAll && x.Severity != tsunagu.SeverityUrgent {
			continue
		}
		fmt.Fprintf(b, "• %s %s: %d件・対応開始まで %s / %s・完了まで %s / %s\n", severityLabel(x.Severity), mrkdwnText(x.Scope), x.Alerts, duration(x.ClaimP50), duration(x.ClaimP90), duration(x.ResolveP50), duration(x.ResolveP90))
	}
}

// maxListedStreaks bounds the names listed in md and html (csv has all):
// a page of family codes nobody reads helps no one.
const maxListedStreaks = 300

// Listed are the members the report names: those who missed twice or
// more in a row, longest first, at most maxListedStreaks; more says how
// many are left out.
func (r *Report) Listed() (rows []StreakRow, more int) {
	for _, s := range r.Streaks {
		if s.Streak < 2 {
			break // sorted longest first
		}
		if len(rows) == maxListedStreaks {
			more++
			continue
		}
		rows = append(rows, s)
	}
	return rows, more
}
