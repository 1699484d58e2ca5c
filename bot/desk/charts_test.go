package desk

import (
	"bytes"
	"flag"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the current output")

// checkGolden compares got with the golden file at path, or rewrites the
// file when the test runs with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./bot/desk -run Chart -update` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept)", path)
	}
}

var tokyo = time.FixedZone("JST", 9*3600)

// exampleReport is a half-year of a small programme, fixed, for the
// golden charts and the example page in docs/.
func exampleReport() *Report {
	since := time.Date(2026, 4, 1, 0, 0, 0, 0, tokyo)
	until := time.Date(2026, 10, 1, 0, 0, 0, 0, tokyo)
	r := &Report{Since: since, Until: until, At: until, QuotaLimit: 5000, QuotaUsed: 1234}
	for w := since; w.Before(until); w = w.AddDate(0, 0, 7) {
		r.Weeks = append(r.Weeks, w)
	}
	r.Buckets = buckets(since, until, tokyo)
	child, guardian := FlowRates{Flow: "weekly-child", Title: "毎週のチェックイン"}, FlowRates{Flow: "monthly-guardian", Title: "保護者の月1回"}
	for i := range r.Weeks {
		child.Rate = append(child.Rate, 0.55+0.25*math.Sin(float64(i)/4))
		child.Previous = append(child.Previous, 0.5+0.1*math.Cos(float64(i)/3))
		g, gp := -1.0, -1.0
		if i%4 == 0 {
			g, gp = 0.6+0.05*float64(i%3), 0.5
		}
		guardian.Rate, guardian.Previous = append(guardian.Rate, g), append(guardian.Previous, gp)
	}
	r.Rates = []FlowRates{guardian, child}
	r.Rows = []ReportRow{
		{Flow: "monthly-guardian", Title: "保護者の月1回", Sent: 240, Completed: 150, Missed: 80, Open: 10, Rate: 0.652, PreviousRate: 0.5},
		{Flow: "weekly-child", Title: "毎週のチェックイン", Sent: 2600, Completed: 1700, Missed: 850, Open: 50, Rate: 0.667, PreviousRate: 0.7},
		{Flow: "weekly-child", Title: "毎週のチェックイン", Tag: "niihama", Sent: 1000, Completed: 600, Missed: 380, Open: 20, Rate: 0.612, PreviousRate: 0.66},
		{Flow: "weekly-child", Title: "毎週のチェックイン", Tag: "uwajima", Sent: 1600, Completed: 1100, Missed: 470, Open: 30, Rate: 0.701, PreviousRate: 0.72},
	}
	q := Question{Flow: "weekly-child", Title: "毎週のチェックイン", Step: "mood", Text: "今週は、どんな気分だった？",
		Values: []string{"good", "ok", "bad"}, Labels: []string{"いい", "ふつう", "よくない"}}
	for i := range r.Buckets {
		q.Counts = append(q.Counts, []int{120 + 10*i, 90 - 3*i, 40 - 4*i})
	}
	r.Questions = []Question{q}
	ind := Indicator{Flow: "half-yearly", Title: "半年ごとのふりかえり", Step: "spirit", Text: "気持ちの元気さは、どれくらいですか？", Tags: []string{"", "niihama", "uwajima"}}
	for t := range ind.Tags {
		means, ns := make([]float64, len(r.Buckets)), make([]int, len(r.Buckets))
		for i := range means {
			means[i] = math.NaN()
		}
		means[0], ns[0] = 3.1+0.2*float64(t), 40
		means[len(means)-1], ns[len(means)-1] = 3.4+0.3*float64(t), 38
		ind.Means, ind.N = append(ind.Means, means), append(ind.N, ns)
	}
	r.Indicators = []Indicator{ind}
	r.StreakCounts = [3]int{14, 6, 3}
	r.Streaks = []StreakRow{
		{Family: "F-0031", Role: tsunagu.RoleChild, Flow: "weekly-child", Streak: 5, LastCompleted: since.AddDate(0, 4, 2)},
		{Family: "F-0007", Role: tsunagu.RoleGuardian, Flow: "monthly-guardian", Streak: 3},
		{Family: "F-0102", Role: tsunagu.RoleChild, Flow: "weekly-child", Streak: 2, LastCompleted: since.AddDate(0, 5, 10)},
	}
	r.Alerts = []AlertCount{{Severity: tsunagu.SeverityUrgent, N: 4}, {Severity: tsunagu.SeverityWarning, N: 37}, {Severity: tsunagu.SeverityInfo, N: 120}}
	r.Response = []ResponseRow{
		{Severity: tsunagu.SeverityUrgent, Scope: scopeAll, Alerts: 4, Claimed: 4, Resolve: 4, ClaimP50: 6 * time.Minute, ClaimP90: 21 * time.Minute, ResolveP50: 3 * time.Hour, ResolveP90: 26 * time.Hour},
		{Severity: tsunagu.SeverityUrgent, Scope: "niihama-city", Alerts: 1, Claimed: 1, Resolve: 1, ClaimP50: 21 * time.Minute, ClaimP90: 21 * time.Minute, ResolveP50: 26 * time.Hour, ResolveP90: 26 * time.Hour},
		{Severity: tsunagu.SeverityUrgent, Scope: "uwajima-npo", Alerts: 3, Claimed: 3, Resolve: 3, ClaimP50: 5 * time.Minute, ClaimP90: 8 * time.Minute, ResolveP50: 2 * time.Hour, ResolveP90: 3 * time.Hour},
		{Severity: tsunagu.SeverityWarning, Scope: scopeAll, Alerts: 37, Claimed: 35, Resolve: 33, ClaimP50: 95 * time.Minute, ClaimP90: 20 * time.Hour, ResolveP50: 30 * time.Hour, ResolveP90: 4 * 24 * time.Hour},
		{Severity: tsunagu.SeverityInfo, Scope: scopeAll, Alerts: 120, Claimed: 80, Resolve: 70, ClaimP50: 5 * time.Hour, ClaimP90: 40 * time.Hour, ResolveP50: 2 * 24 * time.Hour, ResolveP90: 6 * 24 * time.Hour},
	}
	r.Unclaimed = []tsunagu.Alert{{ID: "a1", Severity: tsunagu.SeverityWarning, FamilyCode: "F-0044", Reason: "「よくない」が2週つづきました", State: tsunagu.AlertOpen, CreatedAt: until.Add(-50 * time.Hour)}}
	r.Open = r.Unclaimed
	return r
}

// TestChartsGolden: each chart of the example report draws the same SVG
// as last time it was looked at (docs/report-example.png).
func TestChartsGolden(t *testing.T) {
	r := exampleReport()
	for name, svg := range map[string]func() ([]byte, error){
		"rates": func() ([]byte, error) {
			return svgOf(rateChart(r.Rates, r.Weeks, tokyo, true).p, chartWidth, chartHeight)
		},
		"answers": func() ([]byte, error) {
			return svgOf(answerChart(r.Questions[0], r.Buckets).p, chartWidth, chartHeight)
		},
		"indicator": func() ([]byte, error) {
			return svgOf(indicatorChart(r.Indicators[0], r.Buckets).p, chartWidth, chartHeight)
		},
		"streaks":  func() ([]byte, error) { return svgOf(streakChart(r.StreakCounts).p, chartWidth, chartHeight) },
		"response": func() ([]byte, error) { return svgOf(responseChart(r.Response, true).p, chartWidth, chartHeight) },
	} {
		t.Run(name, func(t *testing.T) {
			b, err := svg()
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "chart-"+name+".svg"), b)
		})
	}
}

// TestChartsMatchData: the charts show their numbers as text, so what a
// reader sees can be checked against the data.
func TestChartsMatchData(t *testing.T) {
	r := exampleReport()
	b, _ := svgOf(streakChart(r.StreakCounts).p, chartWidth, chartHeight)
	for _, want := range []string{">14人<", ">6人<", ">3人<", ">3回以上<"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("streak chart lacks %q", want)
		}
	}
	b, _ = svgOf(responseChart(r.Response, true).p, chartWidth, chartHeight)
	for _, want := range []string{">6分<", ">21分<", ">1時間35分<", ">20時間<", ">緊急<"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("response chart lacks %q", want)
		}
	}
	b, _ = svgOf(answerChart(r.Questions[0], r.Buckets).p, chartWidth, chartHeight)
	for i := range r.Buckets {
		for v := range r.Questions[0].Values {
			if want := ">" + strconv.Itoa(v+1) + ":" + strconv.Itoa(r.Questions[0].Counts[i][v]) + "<"; !bytes.Contains(b, []byte(want)) {
				t.Errorf("answer chart lacks segment label %q", want)
			}
		}
	}
}

// TestReportHTML: the page is self-contained — no script, nothing fetched
// — escapes what coordinators wrote, and is kept as an example.
func TestReportHTML(t *testing.T) {
	r := exampleReport()
	r.Unclaimed[0].Reason = "<script>alert(1)</script>"
	var b bytes.Buffer
	if err := r.HTML(&b, tokyo, r.Until); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "http://", "https://", "@import", "url("} {
		if strings.Contains(strings.ReplaceAll(page, "http://www.w3.org/", ""), bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	for _, want := range []string{"支援状況レポート", "F-0031", "&lt;script&gt;", "<svg", "6分", "1回 14人"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	r = exampleReport()
	b.Reset()
	_ = r.HTML(&b, tokyo, r.Until)
	checkGolden(t, filepath.Join("testdata", "report-example.html"), b.Bytes())
}

// TestDigestImage: the digest's chart is a PNG large enough to read,
// drawn whether or not a Japanese font is installed.
func TestDigestImage(t *testing.T) {
	r := exampleReport()
	trend := &Report{Since: r.Since, Until: r.Since.AddDate(0, 0, 56), Weeks: r.Weeks[:8]}
	for _, fr := range r.Rates {
		trend.Rates = append(trend.Rates, FlowRates{Flow: fr.Flow, Title: fr.Title, Rate: fr.Rate[:8], Previous: fr.Previous[:8]})
	}
	b, err := DigestImage(trend, r, tokyo)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w < 900 {
		t.Errorf("image %d px wide; too small to read", w)
	}
	if out := os.Getenv("TSUNAGU_DIGEST_PNG"); out != "" {
		_ = os.WriteFile(out, b, 0o644) // to look at it
	}
}
