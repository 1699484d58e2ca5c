package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tsunagu/tsunagu"
)

// caseMeeting prints one family's case meeting pack (ケース会議資料):
// HTML (one page, charts inline) or Markdown. Every pack made is recorded
// in the audit log.
func (e *env) caseMeeting(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("case")
	since := fs.String("since", "", "first `date` (YYYY-MM-DD, default 6 months ago)")
	format := fs.String("format", "html", "html or md")
	out := fs.String("out", "", "write to `FILE` instead of standard output")
	noText := fs.Bool("no-text", false, "leave free-text answers out (and undecrypted)")
	by := fs.String("by", "", "who makes the pack, for the audit log (default: the OS user)")
	rest, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(rest) != 1 || (*format != "html" && *format != "md") || !tsunagu.ValidFamilyCode(rest[0]) {
		fmt.Fprintln(e.stderr, "usage: tsunagu case CODE [--since DATE] [--format html|md] [--out FILE] [--no-text] (CODE such as F-0012)")
		return exitUsage
	}
	code := rest[0]
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	loc, now := c.Location(), e.clock.Now()
	from := now.AddDate(0, -6, 0)
	if *since != "" {
		d, err := time.ParseInLocation("2006-01-02", *since, loc)
		if err != nil {
			fmt.Fprintf(e.stderr, "tsunagu: --since %q: write a date such as 2026-04-01\n", *since)
			return exitUsage
		}
		from = d
	}
	b, ok := e.openBot(ctx, &c)
	if !ok {
		return exitFail
	}
	defer b.Store.Close()
	d := newDesk(&c, b, e.clock, discardLog())
	pack, err := d.CasePack(ctx, code, from, !*noText)
	if err != nil {
		return e.fail(err)
	}
	// Recorded before it is shown: a pack that cannot be recorded is not made.
	how := "format " + *format
	if *noText {
		how += ", without free text"
	}
	if err := b.Store.Audit(ctx, tsunagu.AuditEntry{At: now, By: e.actor(*by), Action: tsunagu.AuditCasePack, Family: code, Detail: how}); err != nil {
		return e.fail(err)
	}
	return e.writeOut(*out, func(w io.Writer) error {
		if *format == "md" {
			return pack.Markdown(w, loc, now)
		}
		return pack.HTML(w, loc, now)
	})
}
