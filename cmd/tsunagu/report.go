package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/tsunagu/tsunagu/bot/desk"
	"github.com/tsunagu/tsunagu/config"
)

// report prints the support-status report for staff meetings and the
// half-yearly review: Markdown, CSV, or a self-contained HTML page with
// charts.
func (e *env) report(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("report")
	since := fs.String("since", "", "first `date` (YYYY-MM-DD, default 7 days ago)")
	until := fs.String("until", "", "last `date`, included (default today)")
	format := fs.String("format", "md", "md, csv or html")
	out := fs.String("out", "", "write to `FILE` instead of standard output")
	tag := fs.String("tag", "", "only families with this `tag`")
	org := fs.String("org", "", "only families of this organisation (`id` in organisations:)")
	recount := fs.Bool("recount", false, "rebuild the report's counters from the members' history (with serve stopped), then stop")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	if *recount {
		return e.recount(ctx, &c)
	}
	loc := c.Location()
	from, to, ok := e.period(*since, *until, 7, loc)
	if !ok {
		return exitUsage
	}
	if !slices.Contains([]string{"md", "csv", "html"}, *format) || (*tag != "" && *org != "") {
		fmt.Fprintln(e.stderr, "usage: tsunagu report [--since DATE] [--until DATE] [--format md|csv|html] [--out FILE] [--tag TAG | --org ID]")
		return exitUsage
	}
	opt, ok := e.reportFilter(&c, *tag, *org)
	if !ok {
		return exitUsage
	}
	b, ok := e.openBot(ctx, &c)
	if !ok {
		return exitFail
	}
	defer b.Store.Close()
	d := newDesk(&c, b, e.clock, discardLog())
	rep, err := d.ReportFor(ctx, from, to, opt)
	if err != nil {
		return e.fail(err)
	}
	return e.writeOut(*out, func(w io.Writer) error {
		switch *format {
		case "csv":
			return rep.CSV(w)
		case "html":
			loadChartFont(e.getenv)
			return rep.HTML(w, loc, e.clock.Now())
		}
		rep.Markdown(w, loc)
		return nil
	})
}

// recount rebuilds the report's counters from history.
func (e *env) recount(ctx context.Context, c *config.Config) int {
	b, ok := e.openBot(ctx, c)
	if !ok {
		return exitFail
	}
	defer b.Store.Close()
	n, err := b.Store.RecountStats(ctx)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "counted %d check-ins from the members' history\n", n)
	return exitOK
}

// period reads --since and --until (dates in loc, until included); since
// defaults to days before until.
func (e *env) period(since, until string, days int, loc *time.Location) (from, to time.Time, ok bool) {
	to = e.clock.Now()
	if until != "" {
		d, err := time.ParseInLocation("2006-01-02", until, loc)
		if err != nil {
			fmt.Fprintf(e.stderr, "tsunagu: --until %q: write a date such as 2026-03-31\n", until)
			return from, to, false
		}
		to = d.AddDate(0, 0, 1)
	}
	from = to.AddDate(0, 0, -days)
	if since != "" {
		d, err := time.ParseInLocation("2006-01-02", since, loc)
		if err != nil {
			fmt.Fprintf(e.stderr, "tsunagu: --since %q: write a date such as 2026-01-01\n", since)
			return from, to, false
		}
		from = d
	}
	if !from.Before(to) {
		fmt.Fprintln(e.stderr, "tsunagu: --since must come before --until")
		return from, to, false
	}
	return from, to, true
}

// reportFilter turns --tag or --org into the report's limit.
func (e *env) reportFilter(c *config.Config, tag, org string) (desk.ReportOptions, bool) {
	switch {
	case tag != "":
		return desk.ReportOptions{Tags: []string{tag}, Filter: "タグ " + tag}, true
	case org != "":
		for _, o := range c.Organisations {
			if o.ID == org {
				return desk.ReportOptions{Tags: o.Tags, Filter: "団体 " + o.ID}, true
			}
		}
		fmt.Fprintf(e.stderr, "tsunagu: --org %q: no such organisation in organisations:\n", org)
		return desk.ReportOptions{}, false
	}
	return desk.ReportOptions{}, true
}

// writeOut writes what write makes to standard output, or to path (whole
// or not at all: a failed report leaves no half file).
func (e *env) writeOut(path string, write func(io.Writer) error) int {
	if path == "" {
		if err := write(e.stdout); err != nil {
			return e.fail(err)
		}
		return exitOK
	}
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return e.fail(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: --out: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(e.stderr, "wrote %s\n", path)
	return exitOK
}

// loadChartFont gives the charts a Japanese font: TSUNAGU_CHART_FONT, else
// the first of Debian's that is installed. Without one, PNG images are
// labelled in ASCII.
func loadChartFont(getenv func(string) string) bool {
	if p := getenv("TSUNAGU_CHART_FONT"); p != "" {
		return desk.LoadChartFont(p) == nil
	}
	for _, p := range desk.ChartFontCandidates {
		if desk.LoadChartFont(p) == nil {
			return true
		}
	}
	return false
}

// reportOrgs is the organisations as the report knows them.
func reportOrgs(c *config.Config) []desk.Organisation {
	out := make([]desk.Organisation, len(c.Organisations))
	for i, o := range c.Organisations {
		out[i] = desk.Organisation{ID: o.ID, Tags: o.Tags, Channel: o.Channel}
	}
	return out
}
