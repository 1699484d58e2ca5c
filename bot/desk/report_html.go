package desk

import (
	"embed"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"
)

//go:embed templates/*.html
var templates embed.FS

// pageTemplates are the HTML pages: self-contained (inline CSS and SVG,
// no script, nothing from the network), A4 when printed.
var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"pct":      pct,
	"trend":    trend,
	"tag":      tagLabel,
	"role":     roleLabel,
	"severity": severityLabel,
	"duration": duration,
	"mean":     mean,
	"orText":   orText,
	"oneLine":  oneLine,
	"inc":      func(i int) int { return i + 1 },
}).ParseFS(templates, "templates/*.html"))

// figure is a chart as the page shows it: the SVG, its legend as text
// with a drawn key for each entry, and a caption.
type figure struct {
	SVG     template.HTML // drawn by svgOf: its text is escaped
	Legend  []legendHTML
	Caption string
}

type legendHTML struct {
	Key   template.HTML // a small SVG drawn here from numbers only
	Label string
}

func figureOf(c *chart, h vg.Length, caption string) figure {
	b, err := svgOf(c.p, chartWidth, h)
	if err != nil {
		return figure{Caption: caption + "（図を描けませんでした）"}
	}
	f := figure{SVG: template.HTML(b), Caption: caption}
	for _, it := range c.items {
		f.Legend = append(f.Legend, legendHTML{Key: template.HTML(legendKey(it)), Label: it.Label})
	}
	return f
}

// legendKey draws an entry's key: a filled box for a bar, a stretch of
// line with its dashes and marker for a line.
func legendKey(it legendItem) string {
	col := hexColor(it.Color)
	if it.Bar {
		return `<svg width="18" height="14" aria-hidden="true"><rect x="1" y="2" width="16" height="10" fill="` + col + `" stroke="#000" stroke-width="0.8"/></svg>`
	}
	dash := ""
	if len(it.Dashes) > 0 {
		var parts []string
		for _, d := range it.Dashes {
			parts = append(parts, strconv.FormatFloat(d.Points(), 'f', 1, 64))
		}
		dash = ` stroke-dasharray="` + strings.Join(parts, " ") + `"`
	}
	return `<svg width="40" height="14" aria-hidden="true"><line x1="1" y1="7" x2="39" y2="7" stroke="` + col + `" stroke-width="2"` + dash + `/>` + markerSVG(it.Marker, col) + `</svg>`
}

func markerSVG(m int, col string) string {
	switch m {
	case 0:
		return `<circle cx="20" cy="7" r="4" fill="` + col + `"/>`
	case 1:
		return `<rect x="16" y="3" width="8" height="8" fill="` + col + `"/>`
	case 2:
		return `<polygon points="20,2 25,11 15,11" fill="` + col + `"/>`
	case 3:
		return `<path d="M16 3 L24 11 M24 3 L16 11" stroke="` + col + `" stroke-width="2"/>`
	case 4:
		return `<circle cx="20" cy="7" r="4" fill="#fff" stroke="` + col + `" stroke-width="1.5"/>`
	case 5:
		return `<path d="M20 2 L20 12 M15 7 L25 7" stroke="` + col + `" stroke-width="2"/>`
	}
	return ""
}

func hexColor(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}

// HTML writes the report as one self-contained page.
func (r *Report) HTML(w io.Writer, loc *time.Location, now time.Time) error {
	type questionFig struct {
		Q   Question
		Fig figure
	}
	type indicatorFig struct {
		I   Indicator
		Fig figure
	}
	data := struct {
		R          *Report
		From, To   string
		Generated  string
		Rates      figure
		HasRates   bool
		Questions  []questionFig
		Indicators []indicatorFig
		Streaks    figure
		Response   figure
		Buckets    []Bucket
		Loc        *time.Location
		Listed     []StreakRow
		More       int
	}{
		R: r, From: r.Since.In(loc).Format("2006年1月2日"), To: r.Until.In(loc).Add(-time.Second).Format("2006年1月2日"),
		Generated: now.In(loc).Format("2006-01-02 15:04"), Buckets: r.Buckets, Loc: loc,
		HasRates: len(r.Rates) > 0,
	}
	data.Listed, data.More = r.Listed()
	data.Rates = figureOf(rateChart(r.Rates, r.Weeks, loc, true), chartHeight, "フローごとの回答率（週ごと）。実線が今期、破線が同じ長さの前期。")
	for _, q := range r.Questions {
		data.Questions = append(data.Questions, questionFig{q, figureOf(answerChart(q, r.Buckets), chartHeight, "各区切りの数字は「選択肢の番号:人数」。")})
	}
	for _, ind := range r.Indicators {
		data.Indicators = append(data.Indicators, indicatorFig{ind, figureOf(indicatorChart(ind, r.Buckets), chartHeight, "タグごとの平均。線の種類と印でタグを見分けられます。")})
	}
	data.Streaks = figureOf(streakChart(r.StreakCounts), 6*vg.Centimeter, "いま続けて未回答の人数（メンバーとフローごと）。")
	data.Response = figureOf(responseChart(r.Response, true), 7*vg.Centimeter, "アラートが出てから支援者が「対応します」を押すまで。")
	return pageTemplates.ExecuteTemplate(w, "report.html", data)
}

// fmtDate and friends are for the templates.
func (r *Report) Date(t time.Time, loc *time.Location) string { return dateOr(t, loc) }

// When formats a time for a list in the page.
func (r *Report) When(t time.Time, loc *time.Location) string { return t.In(loc).Format("01/02 15:04") }

// Waiting is how long an open alert has waited by the end of the period.
func (r *Report) Waiting(a time.Time) string { return duration(r.At.Sub(a)) }
