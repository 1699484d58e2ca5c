package desk

import (
	"context"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/tsunagu/tsunagu/storage"
)

// digestTrendWeeks is how many weeks the digest image's response rates
// go back: one week is a point, not a trend.
const digestTrendWeeks = 8

// Digest is the job of the weekly support-status report
// (scheduler.JobDigest): the week before the occurrence, posted to Slack
// as text, with one chart image (response rates and time to claim) when
// Files is set.
//
// With organisations, each organisation's channel gets the report of its
// own families, and the shared channel the totals only: no family code
// reaches a channel of another organisation.
func (d *Desk) Digest(ctx context.Context, tm storage.Timer) error {
	since := tm.Occurs.Add(-7 * 24 * time.Hour)
	rep, err := d.Report(ctx, since, tm.Occurs)
	if err != nil {
		return err
	}
	jobs := []storage.SlackJob{}
	for _, o := range d.Orgs {
		if o.Channel == "" {
			continue
		}
		own, err := d.ReportFor(ctx, since, tm.Occurs, ReportOptions{Tags: o.Tags, Filter: "団体 " + o.ID})
		if err != nil {
			return err
		}
		jobs = append(jobs, storage.SlackJob{Op: storage.SlackThread, Channel: o.Channel, Text: own.Slack(d.location())})
	}
	rep.CountsOnly = len(d.Orgs) > 0
	jobs = append(jobs, storage.SlackJob{Op: storage.SlackThread, Text: rep.Slack(d.location())})
	if err := d.Store.QueueSlack(ctx, jobs...); err != nil {
		return err
	}
	// After the text is queued: the job may run again when this fails, and
	// the text must not come twice. The image is a nicety; its failure is
	// logged, not retried.
	if d.Files == nil || d.DigestChannel == "" {
		return nil
	}
	trend, err := d.rates(ctx, tm.Occurs.AddDate(0, 0, -7*digestTrendWeeks), tm.Occurs)
	if err == nil {
		var png []byte
		if png, err = DigestImage(trend, rep, d.location()); err == nil {
			name := "digest-" + tm.Occurs.In(d.location()).Format("20060102") + ".png"
			err = d.Files.UploadFile(ctx, d.DigestChannel, name, "支援状況レポート（グラフ）", "", png)
		}
	}
	if err != nil {
		d.Log.Error("digest image not shared", "err", err)
	}
	return nil
}

// rates reads the counters alone for response rates week by week.
func (d *Desk) rates(ctx context.Context, since, until time.Time) (*Report, error) {
	rep := &Report{Since: since, Until: until, QuotaLimit: -1}
	b := d.newReportBuilder(rep, ReportOptions{})
	if err := d.Store.Stats(ctx, rep.prevSince(), until, b.count); err != nil {
		return nil, err
	}
	b.finish()
	return rep, nil
}

// DigestImage draws the digest's PNG: response rates of the last weeks
// against the weeks before, and this week's time to claim by severity.
// Labels are Japanese when a Japanese font is loaded (LoadChartFont),
// otherwise English.
func DigestImage(trend, week *Report, loc *time.Location) ([]byte, error) {
	ja := japaneseText()
	rate := rateChart(trend.Rates, trend.Weeks, loc, ja).withLegend()
	resp := responseChart(week.Response, ja).withLegend()
	w, h := chartWidth, 2*chartHeight
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(150))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(8), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(4)}
	rate.Draw(tiles.At(dc, 0, 0))
	resp.Draw(tiles.At(dc, 0, 1))
	return encodePNG(c)
}
