package desk

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/tsunagu/tsunagu"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// sparkline draws a series small, axes hidden, each answer a dot, with the
// scale's ends as the vertical range.
func sparkline(s CaseSeries) template.HTML {
	c := newPlot("", "")
	p := c.p
	p.HideAxes()
	var pts plotter.XYs
	for _, pt := range s.Points {
		pts = append(pts, plotter.XY{X: float64(pt.At.Unix()), Y: pt.Value})
	}
	if len(pts) == 0 {
		return ""
	}
	line, scatter, err := plotter.NewLinePoints(pts)
	if err != nil {
		return ""
	}
	line.Color, scatter.Color, line.Width = shades[0], shades[0], vg.Points(1.5)
	scatter.Radius = vg.Points(2.5)
	p.Add(line, scatter)
	pad := (s.Max - s.Min) * 0.1
	p.Y.Min, p.Y.Max = s.Min-pad-0.01, s.Max+pad+0.01
	b, err := svgOf(p, 6*vg.Centimeter, 1.4*vg.Centimeter)
	if err != nil {
		return ""
	}
	return template.HTML(b)
}

func (pack *CasePack) data(loc *time.Location, now time.Time) any {
	type seriesFig struct {
		S      CaseSeries
		Spark  template.HTML
		Values string
	}
	type member struct {
		M      CaseMember
		Series []seriesFig
	}
	var ms []member
	for _, m := range pack.Members {
		mm := member{M: m}
		for _, s := range m.Series {
			mm.Series = append(mm.Series, seriesFig{S: s, Spark: sparkline(s), Values: seriesValues(s, loc)})
		}
		ms = append(ms, mm)
	}
	return struct {
		P         *CasePack
		Members   []member
		From, To  string
		Generated string
		Loc       *time.Location
	}{pack, ms, pack.Since.In(loc).Format("2006年1月2日"), pack.Until.In(loc).Format("2006年1月2日"), now.In(loc).Format("2006-01-02 15:04"), loc}
}

// seriesValues lists a series' answers with their dates: 4/7 3 → 4/14 4.
func seriesValues(s CaseSeries, loc *time.Location) string {
	var parts []string
	for _, p := range s.Points {
		parts = append(parts, p.At.In(loc).Format("1/2")+" "+trimFloat(p.Value))
	}
	return strings.Join(parts, " → ")
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

// HTML writes the pack as one self-contained page.
func (pack *CasePack) HTML(w io.Writer, loc *time.Location, now time.Time) error {
	return pageTemplates.ExecuteTemplate(w, "case.html", pack.data(loc, now))
}

// Markdown writes the pack as Markdown.
func (pack *CasePack) Markdown(w io.Writer, loc *time.Location, now time.Time) error {
	f := pack.Family
	fmt.Fprintf(w, "# ケース会議資料 %s\n\n期間: %s〜%s　団体: %s　作成: %s\n\n", f.Code, pack.Since.In(loc).Format("2006-01-02"), pack.Until.In(loc).Format("2006-01-02"), pack.Organisation, now.In(loc).Format("2006-01-02 15:04"))
	fmt.Fprintf(w, "タグ: %s　担当: %s　%s\n", orText(strings.Join(f.Tags, ", "), "なし"), orText(f.Supporter, "なし"), pausedText(f.Paused))
	if !pack.WithText {
		fmt.Fprintln(w, "\n自由記述の回答は表示していません。")
	}
	fmt.Fprintln(w, "\n## メンバー")
	if len(pack.Members) == 0 {
		fmt.Fprintln(w, "\nLINEで登録したメンバーはまだいません。")
	}
	for _, m := range pack.Members {
		fmt.Fprintf(w, "\n### %s（登録 %s、%s%s）\n", roleLabel(m.Role), dateOr(m.LinkedAt, loc), consentLine(m.Consent, m.ConsentLabel), blockedText(m.Blocked))
		for _, s := range m.Series {
			fmt.Fprintf(w, "\n- 推移 %s: %s（%s〜%s）\n", oneLine(s.Question), seriesValues(s, loc), trimFloat(s.Min), trimFloat(s.Max))
		}
		fmt.Fprintln(w, "\n| 日付 | フロー | 結果 | 回答 |\n|---|---|---|---|")
		for _, s := range m.Sessions {
			var qa []string
			for _, a := range s.Answers {
				qa = append(qa, oneLine(a.Question)+" → "+answerText(a))
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", s.StartedAt.In(loc).Format("2006-01-02"), mdCell(orText(s.Title, s.Flow)), s.Status, mdCell(strings.Join(qa, "<br>")))
		}
	}
	fmt.Fprintln(w, "\n## アラート")
	if len(pack.Alerts) == 0 {
		fmt.Fprintln(w, "\nなし")
	}
	for _, a := range pack.Alerts {
		fmt.Fprintf(w, "\n- %s %s %s（%s）: %s\n", a.CreatedAt.In(loc).Format("2006-01-02 15:04"), severityLabel(a.Severity), mdCell(a.Reason), roleLabel(a.Role), alertWork(a, loc))
		if a.Note != "" {
			fmt.Fprintf(w, "  - 対応メモ: %s\n", mdCell(oneLine(a.Note)))
		}
	}
	fmt.Fprintln(w, "\n## 記録（一時停止・再開・返信）")
	if len(pack.Events) == 0 {
		fmt.Fprintln(w, "\nなし")
	}
	for _, e := range pack.Events {
		fmt.Fprintf(w, "- %s %s: %s\n", e.At.In(loc).Format("2006-01-02 15:04"), e.By, e.What)
	}
	return nil
}

func answerText(a CaseAnswer) string {
	if a.Hidden {
		return "（自由記述・非表示）"
	}
	return oneLine(a.Answer)
}

// mdCell keeps a cell in its table row.
func mdCell(s string) string { return strings.ReplaceAll(s, "|", "｜") }

func pausedText(p bool) string {
	if p {
		return "⏸ 定期チェックイン一時停止中"
	}
	return ""
}

func blockedText(b bool) string {
	if b {
		return "、ブロック中"
	}
	return ""
}

func consentLine(consent, label string) string {
	switch consent {
	case "":
		return "同意は未回答"
	case "yes", "agree":
		return "同意あり（「" + orText(label, consent) + "」）"
	}
	return "同意なし（「" + orText(label, consent) + "」）"
}

// alertWork says who took an alert up and finished it, and when.
func alertWork(a tsunagu.Alert, loc *time.Location) string {
	var parts []string
	for _, h := range a.History {
		label, ok := map[string]string{"claimed": "対応開始", "unclaimed": "対応をやめる", "reassigned": "担当変更", "resolved": "対応済み", "replied": "返信"}[h.What]
		if !ok {
			continue
		}
		who := h.By
		if h.What == "reassigned" && h.To != "" {
			who += "→" + h.To
		}
		parts = append(parts, fmt.Sprintf("%s %s %s（%s後）", label, who, h.At.In(loc).Format("01/02 15:04"), duration(h.At.Sub(a.CreatedAt))))
	}
	if len(parts) == 0 {
		return "未対応"
	}
	return strings.Join(parts, "、")
}

// AlertWork is alertWork for the page.
func (pack *CasePack) AlertWork(a tsunagu.Alert, loc *time.Location) string { return alertWork(a, loc) }

// Consent is consentLine for the page.
func (pack *CasePack) Consent(m CaseMember) string { return consentLine(m.Consent, m.ConsentLabel) }

// Date, Day and When format times for the page.
func (pack *CasePack) Date(t time.Time, loc *time.Location) string { return dateOr(t, loc) }

func (pack *CasePack) Day(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02")
}

func (pack *CasePack) When(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04")
}
