package main

import (
	"context"
	"fmt"
	"time"

	"github.com/tsunagu/tsunagu/bot/desk"
	"github.com/tsunagu/tsunagu/config"
)

// report prints the support-status report for staff meetings and the
// half-yearly review.
func (e *env) report(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("report")
	since := fs.String("since", "", "first `date` (YYYY-MM-DD, default 7 days ago)")
	until := fs.String("until", "", "last `date`, included (default today)")
	format := fs.String("format", "md", "md or csv")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	loc, now := c.Location(), e.clock.Now()
	to := now
	if *until != "" {
		d, err := time.ParseInLocation("2006-01-02", *until, loc)
		if err != nil {
			fmt.Fprintf(e.stderr, "tsunagu: --until %q: write a date such as 2026-03-31\n", *until)
			return exitUsage
		}
		to = d.AddDate(0, 0, 1)
	}
	from := to.AddDate(0, 0, -7)
	if *since != "" {
		d, err := time.ParseInLocation("2006-01-02", *since, loc)
		if err != nil {
			fmt.Fprintf(e.stderr, "tsunagu: --since %q: write a date such as 2026-01-01\n", *since)
			return exitUsage
		}
		from = d
	}
	if !from.Before(to) || (*format != "md" && *format != "csv") {
		fmt.Fprintln(e.stderr, "usage: tsunagu report [--since DATE] [--until DATE] [--format md|csv] (since before until)")
		return exitUsage
	}
	b, ok := e.openBot(ctx, &c)
	if !ok {
		return exitFail
	}
	defer b.Store.Close()
	rep, err := newDesk(&c, b, e.clock, discardLog()).Report(ctx, from, to)
	if err != nil {
		return e.fail(err)
	}
	if *format == "csv" {
		if err := rep.CSV(e.stdout); err != nil {
			return e.fail(err)
		}
		return exitOK
	}
	rep.Markdown(e.stdout, loc)
	return exitOK
}

// reportOrgs is the organisations as the report knows them.
func reportOrgs(c *config.Config) []desk.Organisation {
	out := make([]desk.Organisation, len(c.Organisations))
	for i, o := range c.Organisations {
		out[i] = desk.Organisation{ID: o.ID, Tags: o.Tags}
	}
	return out
}
