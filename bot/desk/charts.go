package desk

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"golang.org/x/image/font/opentype"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/tsunagu/tsunagu"
)

// Charts are drawn with gonum.org/v1/plot: pure Go, maintained, and one
// plot renders both as SVG (inline in the HTML report, its text set by
// the browser) and as PNG (the digest's image in Slack, its text drawn
// here, which needs a font with Japanese glyphs: LoadChartFont).
//
// Every chart reads without colour: lines differ by dash and marker,
// bars carry their numbers, and stacked segments their counts, in shades
// of grey-blue that also differ in lightness.

// chartFont is the font of chart text: Liberation Sans (in gonum/plot)
// unless LoadChartFont found a Japanese one.
var (
	chartFontMu sync.Mutex
	chartFont   = font.Font{Typeface: "Liberation", Variant: "Sans"}
	chartJa     bool
)

// jaTypeface names a loaded Japanese font in gonum/plot's font cache.
const jaTypeface = "tsunagu-ja"

// LoadChartFont makes the charts' text use the TrueType or OpenType font
// at path (e.g. IPAGothic from Debian's fonts-ipafont-gothic), so PNG
// images can show Japanese. Without one, PNG images are labelled in
// ASCII; SVG text is always drawn by the browser.
func LoadChartFont(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := opentype.Parse(b)
	if err != nil {
		return fmt.Errorf("chart font %s: %w", path, err)
	}
	chartFontMu.Lock()
	defer chartFontMu.Unlock()
	fnt := font.Font{Typeface: jaTypeface}
	font.DefaultCache.Add([]font.Face{{Font: fnt, Face: f}})
	chartFont, chartJa = fnt, true
	return nil
}

// ChartFontCandidates are where LoadChartFont is tried when no font is
// configured: Debian's IPA and Noto CJK fonts.
var ChartFontCandidates = []string{
	"/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
	"/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
	"/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
}

// japaneseText reports whether charts can draw Japanese in PNG images.
func japaneseText() bool {
	chartFontMu.Lock()
	defer chartFontMu.Unlock()
	return chartJa
}

func currentFont() font.Font {
	chartFontMu.Lock()
	defer chartFontMu.Unlock()
	return chartFont
}

// Sizes: a chart fills the width of an A4 page's text (17 cm) and its
// text is 10 pt or more when printed.
const (
	chartWidth  = 17 * vg.Centimeter
	chartHeight = 8 * vg.Centimeter
	textSize    = 10
)

// The palette: dark to light, so that it survives grey-scale printing.
var shades = []color.Color{
	color.RGBA{R: 0x1f, G: 0x3a, B: 0x5f, A: 0xff},
	color.RGBA{R: 0x5b, G: 0x84, B: 0xb1, A: 0xff},
	color.RGBA{R: 0xa9, G: 0xc4, B: 0xe0, A: 0xff},
	color.RGBA{R: 0xe2, G: 0xb0, B: 0x4a, A: 0xff},
	color.RGBA{R: 0x8c, G: 0x5a, B: 0x2b, A: 0xff},
	color.RGBA{R: 0xde, G: 0xde, B: 0xde, A: 0xff},
	color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff},
}

var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}}

var markers = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{}, draw.PlusGlyph{}}

// chart is a plot and its legend, kept apart: the HTML page writes the
// legend as text under the SVG (the browser measures Japanese right),
// the PNG image draws it inside the plot.
type chart struct {
	p     *plot.Plot
	title string
	items []legendItem
}

// legendItem is one entry of a chart's legend.
type legendItem struct {
	Label  string
	Color  color.Color
	Dashes []vg.Length
	Marker int // index in markers, -1 for none
	Bar    bool
	thumbs []plot.Thumbnailer
}

func (c *chart) add(label string, col color.Color, dash []vg.Length, marker int, bar bool, thumbs ...plot.Thumbnailer) {
	c.items = append(c.items, legendItem{Label: label, Color: col, Dashes: dash, Marker: marker, Bar: bar, thumbs: thumbs})
}

// withLegend puts the title and legend in the plot itself (for PNG).
func (c *chart) withLegend() *plot.Plot {
	c.p.Title.Text = c.title
	for _, it := range c.items {
		c.p.Legend.Add(it.Label, it.thumbs...)
	}
	// Room above the data for the legend, a line per entry.
	c.p.Y.Max += (c.p.Y.Max - c.p.Y.Min) * 0.1 * float64(len(c.items))
	return c.p
}

// newPlot is a plot with the house style.
func newPlot(title, ylabel string) *chart {
	p := plot.New()
	fnt := currentFont()
	for _, s := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font, &p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		size := s.Size
		*s = fnt
		s.Size = max(size, textSize)
	}
	p.Title.TextStyle.Font.Size = 12
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	return &chart{p: p, title: title}
}

// weekTicks labels the x axis with the start dates of weeks.
type labelTicks []string

func (t labelTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	step := 1 + len(t)/12 // at most a dozen labels
	for i, l := range t {
		if i%step != 0 {
			l = ""
		}
		out = append(out, plot.Tick{Value: float64(i), Label: l})
	}
	return out
}

// intTicks are the default ticks without decimals, for counts of people.
type intTicks struct{}

func (intTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	out := ts[:0]
	for _, t := range ts {
		if t.Value != math.Trunc(t.Value) {
			continue
		}
		if t.Label != "" {
			t.Label = strconv.Itoa(int(t.Value))
		}
		out = append(out, t)
	}
	return out
}

// rateChart is the response rate per flow week by week, this period
// (solid) against the one before (dashed, same marker).
func rateChart(rates []FlowRates, weeks []time.Time, loc *time.Location, ja bool) *chart {
	c := newPlot(pick(ja, "回答率（週ごと）: 実線＝今期、破線＝前期", "Response rate by week (solid: this period, dashed: previous)"), pick(ja, "回答率 %", "rate %"))
	p := c.p
	labels := make(labelTicks, len(weeks))
	for i, w := range weeks {
		labels[i] = w.In(loc).Format("1/2")
	}
	p.X.Tick.Marker = labels
	p.X.Min, p.X.Max = -0.3, math.Max(float64(len(weeks))-0.7, 0.7)
	p.Y.Min, p.Y.Max = 0, 105
	p.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 25, Label: "25"}, {Value: 50, Label: "50"}, {Value: 75, Label: "75"}, {Value: 100, Label: "100"}}
	for i, fr := range rates {
		name := orText(fr.Title, fr.Flow)
		if !ja {
			name = fr.Flow
		}
		c.addLine(fr.Rate, i, false, name+pick(ja, "（今期）", " (this)"))
		c.addLine(fr.Previous, i, true, name+pick(ja, "（前期）", " (previous)"))
	}
	return c
}

// addLine draws a series of rates (-1 for none) as percentages.
func (c *chart) addLine(vals []float64, i int, previous bool, legend string) {
	var pts plotter.XYs
	for x, v := range vals {
		if v >= 0 {
			pts = append(pts, plotter.XY{X: float64(x), Y: v * 100})
		}
	}
	if len(pts) == 0 {
		return
	}
	line, scatter, err := plotter.NewLinePoints(pts)
	if err != nil {
		return
	}
	line.Color = shades[(i*2)%len(shades)]
	line.Width = vg.Points(2)
	scatter.Shape = markers[i%len(markers)]
	scatter.Color = line.Color
	scatter.Radius = vg.Points(3.5)
	if previous {
		line.Dashes = dashes[1]
		line.Width = vg.Points(1.2)
		scatter.Radius = vg.Points(2.5)
	}
	c.p.Add(line, scatter)
	c.add(legend, line.Color, line.Dashes, i%len(markers), false, line, scatter)
}

// answerChart is how a question's answers were spread, one stacked bar
// per bucket, each segment labelled "choice number:count".
func answerChart(q Question, bks []Bucket) *chart {
	c := newPlot(orText(q.Title, q.Flow)+": "+truncateRunes(oneLine(q.Text), 40), "人数")
	p := c.p
	names := make([]string, len(bks))
	for i, b := range bks {
		names[i] = b.Label
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(bks))-0.4
	p.Y.Tick.Marker = intTicks{}
	var below *plotter.BarChart
	var labels plotter.XYLabels
	base := make([]float64, len(bks))
	for v := range q.Values {
		vals := make(plotter.Values, len(bks))
		for i := range bks {
			vals[i] = float64(q.Counts[i][v])
		}
		bar, err := plotter.NewBarChart(vals, vg.Points(min(48, 360/float64(max(1, len(bks))))))
		if err != nil {
			continue
		}
		bar.Color = shades[v%len(shades)]
		bar.LineStyle.Width = vg.Points(0.8)
		if below != nil {
			bar.StackOn(below)
		}
		below = bar
		p.Add(bar)
		c.add(fmt.Sprintf("%d. %s", v+1, truncateRunes(q.Labels[v], 12)), bar.Color, nil, -1, true, bar)
		for i, n := range vals {
			if n > 0 {
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: base[i] + n/2})
				labels.Labels = append(labels.Labels, fmt.Sprintf("%d:%d", v+1, int(n)))
			}
			base[i] += n
		}
	}
	if l, err := plotter.NewLabels(labels); err == nil && len(labels.Labels) > 0 {
		for i := range l.TextStyle {
			l.TextStyle[i].Font = currentFont()
			l.TextStyle[i].Font.Size = 8
			l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
			l.TextStyle[i].Color = labelColor(i, labels.Labels, q)
		}
		p.Add(l)
	}
	top := 1.0
	for _, b := range base {
		top = math.Max(top, b)
	}
	p.Y.Max = top * 1.05
	return c
}

// labelColor keeps a segment's label readable: white on the dark shades.
func labelColor(i int, labels []string, q Question) color.Color {
	var v int
	fmt.Sscanf(labels[i], "%d:", &v)
	if (v-1)%len(shades) <= 1 || (v-1)%len(shades) == 4 || (v-1)%len(shades) == 6 {
		return color.White
	}
	return color.Black
}

// indicatorChart is the mean answer to a number or scale question by tag,
// bucket by bucket.
func indicatorChart(ind Indicator, bks []Bucket) *chart {
	c := newPlot(orText(ind.Title, ind.Flow)+": "+truncateRunes(oneLine(ind.Text), 40), "平均")
	p := c.p
	names := make(labelTicks, len(bks))
	for i, b := range bks {
		names[i] = b.Label
	}
	p.X.Tick.Marker = names
	p.X.Min, p.X.Max = -0.3, math.Max(float64(len(bks))-0.7, 0.7)
	for t, tag := range ind.Tags {
		var pts plotter.XYs
		for i, m := range ind.Means[t] {
			if !math.IsNaN(m) {
				pts = append(pts, plotter.XY{X: float64(i), Y: m})
			}
		}
		if len(pts) == 0 {
			continue
		}
		line, scatter, err := plotter.NewLinePoints(pts)
		if err != nil {
			continue
		}
		line.Color, scatter.Color = shades[(t*2)%len(shades)], shades[(t*2)%len(shades)]
		line.Width, line.Dashes = vg.Points(1.8), dashes[t%len(dashes)]
		scatter.Shape, scatter.Radius = markers[t%len(markers)], vg.Points(3.5)
		p.Add(line, scatter)
		c.add(tagLabel(tag), line.Color, line.Dashes, t%len(markers), false, line, scatter)
	}
	return c
}

// streakChart is how many members missed 1, 2 or 3+ check-ins in a row.
func streakChart(counts [3]int) *chart {
	c := newPlot("続けて未回答の人数", "人数")
	p := c.p
	p.NominalX("1回", "2回", "3回以上")
	p.X.Min, p.X.Max = -0.6, 2.6
	p.Y.Tick.Marker = intTicks{}
	vals := plotter.Values{float64(counts[0]), float64(counts[1]), float64(counts[2])}
	bar, _ := plotter.NewBarChart(vals, vg.Points(60))
	bar.Color = shades[1]
	p.Add(bar)
	addBarLabels(p, vals, 0, func(v float64) string { return strconv.Itoa(int(v)) + "人" })
	p.Y.Max = math.Max(1, math.Max(vals[0], math.Max(vals[1], vals[2]))*1.2)
	return c
}

// responseChart is time to claim, p50 and p90, of urgent alerts and
// warnings (every organisation), each bar labelled with its time. Info
// alerts are left out: they wait for office hours by design, and would
// flatten the rest.
func responseChart(rows []ResponseRow, ja bool) *chart {
	c := newPlot(pick(ja, "対応開始までの時間（全体）: 濃＝中央値、淡＝90%", "Time to claim, all organisations (dark: p50, light: p90)"), "")
	p := c.p
	var names []string
	var p50, p90 plotter.Values
	for _, r := range rows {
		if r.Scope != scopeAll || r.Severity == tsunagu.SeverityInfo {
			continue
		}
		names = append(names, pick(ja, severityLabel(r.Severity), string(r.Severity)))
		p50 = append(p50, math.Max(0, r.ClaimP50.Minutes()))
		p90 = append(p90, math.Max(0, r.ClaimP90.Minutes()))
	}
	if len(names) == 0 {
		names, p50, p90 = []string{pick(ja, "アラートなし", "no alerts")}, plotter.Values{0}, plotter.Values{0}
	}
	top := 1.0
	for _, v := range p90 {
		top = math.Max(top, v)
	}
	unit, per := pick(ja, "分", "minutes"), 1.0
	if top > 180 {
		unit, per = pick(ja, "時間", "hours"), 60
	}
	p.Y.Label.Text = unit
	p.Y.Tick.Marker = intTicks{}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	w := vg.Points(44)
	for i, set := range []plotter.Values{p50, p90} {
		scaled := make(plotter.Values, len(set))
		for j, v := range set {
			scaled[j] = v / per
		}
		bar, err := plotter.NewBarChart(scaled, w)
		if err != nil {
			continue
		}
		bar.Color = shades[i*2]
		bar.Offset = w * vg.Length(float64(i)-0.5)
		p.Add(bar)
		c.add(pick(ja, []string{"中央値 (p50)", "90% (p90)"}[i], []string{"p50", "p90"}[i]), bar.Color, nil, -1, true, bar)
		addBarLabels(p, scaled, bar.Offset, func(v float64) string {
			m := v * per
			return pick(ja, duration(time.Duration(m*float64(time.Minute))), strconv.Itoa(int(m+0.5))+"m")
		})
	}
	p.Y.Min, p.Y.Max = 0, top/per*1.2
	return c
}

// addBarLabels writes each bar's value above it; shift moves the label by
// bar widths (for bars side by side).
func addBarLabels(p *plot.Plot, vals plotter.Values, shift vg.Length, say func(float64) string) {
	var xy plotter.XYLabels
	for i, v := range vals {
		xy.XYs = append(xy.XYs, plotter.XY{X: float64(i), Y: v})
		xy.Labels = append(xy.Labels, say(v))
	}
	l, err := plotter.NewLabels(xy)
	if err != nil {
		return
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font = currentFont()
		l.TextStyle[i].Font.Size = 9
		l.TextStyle[i].XAlign = draw.XCenter
	}
	l.Offset = vg.Point{X: shift, Y: vg.Points(3)}
	p.Add(l)
}

func pick(ja bool, jaText, ascii string) string {
	if ja {
		return jaText
	}
	return ascii
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// fontFamily is what SVG text asks the browser for: a Japanese sans-serif
// that is there, whichever font measured it here.
const fontFamily = `font-family:'IPAPGothic','IPAGothic','IPAexGothic','Noto Sans CJK JP','Hiragino Sans','Yu Gothic','Meiryo',sans-serif`

var svgFont = regexp.MustCompile(`font-family:[^;"]*`)

// svgOf draws a plot as SVG for the HTML report.
func svgOf(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	out := svgFont.ReplaceAll(b.Bytes(), []byte(fontFamily))
	// Inline in HTML: no XML declaration.
	if i := bytes.Index(out, []byte("<svg")); i > 0 {
		out = out[i:]
	}
	return out, nil
}

// encodePNG writes a drawn canvas as PNG.
func encodePNG(c *vgimg.Canvas) ([]byte, error) {
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
