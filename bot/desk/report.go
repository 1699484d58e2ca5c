package desk

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/internal/safecsv"
)

// Report is the support-status report (支援状況レポート): how check-ins
// went in a period against the one before, who keeps missing them, and
// what supporters still have open. It is built from the members' session
// history, which keeps each member's last 100 sessions.
type Report struct {
	Since, Until time.Time
	Rows         []ReportRow     // per flow, then per flow and tag
	Streaks      []StreakRow     // members in a missed streak now
	Open         []tsunagu.Alert // alerts not resolved, oldest first
	Unclaimed    []tsunagu.Alert // warnings and urgents open for more than a day
	QuotaLimit   int64           // -1 when unknown or unlimited
	QuotaUsed    int64
}

// ReportRow counts one flow's sessions started in the period.
type ReportRow struct {
	Flow, Title, Tag        string // Tag "" for all families
	Sent, Completed, Missed int
	Open                    int     // still waiting for an answer
	Rate, PreviousRate      float64 // completed ÷ ended; -1 when nothing ended
}

// StreakRow is a member who has missed a flow's check-ins in a row.
type StreakRow struct {
	Family        string
	Role          tsunagu.Role
	Flow          string
	Streak        int
	LastCompleted time.Time
}

// Report builds the report for [since, until).
func (d *Desk) Report(ctx context.Context, since, until time.Time) (*Report, error) {
	members, fams, err := d.Store.Audience(ctx, "")
	if err != nil {
		return nil, err
	}
	prevSince := since.Add(-until.Sub(since))
	type key struct{ flow, tag string }
	cur, prev := map[key]*ReportRow{}, map[key]*ReportRow{}
	row := func(m map[key]*ReportRow, k key) *ReportRow {
		if m[k] == nil {
			m[k] = &ReportRow{Flow: k.flow, Tag: k.tag}
		}
		return m[k]
	}
	rep := &Report{Since: since, Until: until, QuotaLimit: -1}
	for _, m := range members {
		hist, err := d.Store.History(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		open, err := d.Store.Session(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		sessions := hist
		if open != nil {
			sessions = append([]tsunagu.Session{*open}, hist...)
		}
		tags := append([]string{""}, fams[m.FamilyCode].Tags...)
		for _, s := range sessions {
			var into map[key]*ReportRow
			switch {
			case !s.StartedAt.Before(since) && s.StartedAt.Before(until):
				into = cur
			case !s.StartedAt.Before(prevSince) && s.StartedAt.Before(since):
				into = prev
			default:
				continue
			}
			for _, tag := range tags {
				r := row(into, key{s.FlowID, tag})
				r.Sent++
				switch s.Status {
				case tsunagu.SessionCompleted:
					r.Completed++
				case tsunagu.SessionMissed:
					r.Missed++
				default:
					r.Open++
				}
			}
		}
		rep.Streaks = append(rep.Streaks, streaks(m, hist)...)
	}
	for k, r := range cur {
		r.Rate, r.PreviousRate = responseRate(r), -1
		if p := prev[k]; p != nil {
			r.PreviousRate = responseRate(p)
		}
		if f := d.Flows.Get(k.flow); f != nil {
			r.Title = f.Title
		}
		rep.Rows = append(rep.Rows, *r)
	}
	slices.SortFunc(rep.Rows, func(a, b ReportRow) int {
		return strings.Compare(a.Flow+"\x00"+a.Tag, b.Flow+"\x00"+b.Tag)
	})
	slices.SortFunc(rep.Streaks, func(a, b StreakRow) int { return b.Streak - a.Streak })

	open, err := d.Store.OpenAlerts(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range open {
		rep.Open = append(rep.Open, a)
		if a.State == tsunagu.AlertOpen && a.Severity != tsunagu.SeverityInfo && until.Sub(a.CreatedAt) > 24*time.Hour {
			rep.Unclaimed = append(rep.Unclaimed, a)
		}
	}
	if d.Bot != nil && d.Bot.Quota != nil {
		if limit, used, err := d.Bot.Quota(ctx); err == nil {
			rep.QuotaLimit, rep.QuotaUsed = limit, used
		}
	}
	return rep, nil
}

func responseRate(r *ReportRow) float64 {
	if ended := r.Completed + r.Missed; ended > 0 {
		return float64(r.Completed) / float64(ended)
	}
	return -1
}

// streaks finds the flows a member has missed twice or more in a row.
func streaks(m tsunagu.Member, hist []tsunagu.Session) []StreakRow {
	var out []StreakRow
	seen := map[string]bool{}
	for _, h := range hist {
		if seen[h.FlowID] {
			continue
		}
		seen[h.FlowID] = true
		if n, last := flows.MissedRun(hist, h.FlowID); n >= 2 {
			row := StreakRow{Family: m.FamilyCode, Role: m.Role, Flow: h.FlowID, Streak: n}
			if last != nil {
				row.LastCompleted = last.UpdatedAt
			}
			out = append(out, row)
		}
	}
	return out
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
	fmt.Fprintln(w, "## チェックイン (check-ins)")
	fmt.Fprintln(w, "\n| フロー | タグ | 送信 | 回答 | 未回答 | 回答待ち | 回答率 | 前期 | |\n|---|---|---|---|---|---|---|---|---|")
	for _, row := range r.Rows {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %s | %s | %s |\n", orText(row.Title, row.Flow), tagLabel(row.Tag), row.Sent, row.Completed, row.Missed, row.Open, pct(row.Rate), pct(row.PreviousRate), trend(row))
	}
	fmt.Fprintln(w, "\n## 続けて未回答の人 (missed streaks)")
	if len(r.Streaks) == 0 {
		fmt.Fprintln(w, "\nなし")
	}
	for _, s := range r.Streaks {
		fmt.Fprintf(w, "- %s（%s）%s: %d回続けて未回答、最後の回答 %s\n", s.Family, roleLabel(s.Role), s.Flow, s.Streak, dateOr(s.LastCompleted, loc))
	}
	fmt.Fprintf(w, "\n## 対応中・未対応のアラート (open alerts): %d件\n", len(r.Open))
	if len(r.Unclaimed) > 0 {
		fmt.Fprintf(w, "\n1日以上だれも対応していないもの (unclaimed > 1 day): %d件\n\n", len(r.Unclaimed))
		for _, a := range r.Unclaimed {
			fmt.Fprintf(w, "- %s %s %s（%s〜）\n", a.Severity, a.FamilyCode, a.Reason, a.CreatedAt.In(loc).Format("01/02 15:04"))
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
	if len(r.Streaks) > 0 {
		fmt.Fprintf(&b, "*続けて未回答* %d人\n", len(r.Streaks))
		for _, s := range r.Streaks[:min(len(r.Streaks), 20)] {
			fmt.Fprintf(&b, "• %s（%s）%s %d回・最後の回答 %s\n", s.Family, mrkdwnText(roleLabel(s.Role)), mrkdwnText(s.Flow), s.Streak, dateOr(s.LastCompleted, loc))
		}
	}
	fmt.Fprintf(&b, "*未解決のアラート* %d件（1日以上未対応 %d件）\n", len(r.Open), len(r.Unclaimed))
	for _, a := range r.Unclaimed[:min(len(r.Unclaimed), 20)] {
		fmt.Fprintf(&b, "• %s %s（%s〜）\n", mrkdwnText(a.FamilyCode), mrkdwnText(a.Reason), a.CreatedAt.In(loc).Format("01/02 15:04"))
	}
	if r.QuotaLimit >= 0 {
		fmt.Fprintf(&b, "*LINE送信数* 今月 %d / %d 通\n", r.QuotaUsed, r.QuotaLimit)
	}
	return b.String()
}

// CSV writes the check-in rows for spreadsheets (the half-yearly review):
// UTF-8 with a BOM and formula cells escaped, safe to open in Excel.
func (r *Report) CSV(w io.Writer) error {
	cw := safecsv.NewWriter(w)
	_ = cw.Write([]string{"flow", "title", "tag", "sent", "completed", "missed", "open", "response_rate", "previous_rate"})
	for _, row := range r.Rows {
		_ = cw.Write([]string{csvCell(row.Flow), csvCell(row.Title), csvCell(row.Tag), strconv.Itoa(row.Sent), strconv.Itoa(row.Completed), strconv.Itoa(row.Missed), strconv.Itoa(row.Open), rateCSV(row.Rate), rateCSV(row.PreviousRate)})
	}
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
