package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot"
	"github.com/tsunagu/tsunagu/flows"
)

var weekdays = []string{"日", "月", "火", "水", "木", "金", "土"}

type scheduleRow struct {
	Flow     string         `json:"flow"`
	Title    string         `json:"title"`
	Cron     []string       `json:"cron"`
	Next     []time.Time    `json:"next"`
	Audience int            `json:"audience"` // members who would get it now
	Excluded map[string]int `json:"excluded,omitempty"`
}

// schedule lists each flow's next occurrences and audience, or with
// --dry-run FLOW who would get its next one.
func (e *env) schedule(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("schedule")
	count := fs.Int("count", 3, "how many next occurrences to show")
	dry := fs.String("dry-run", "", "show who would get the next occurrence of this `flow`")
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parse(fs, args); err != nil || len(pos) > 0 {
		fmt.Fprintln(e.stderr, "usage: tsunagu schedule [--count N] [--json] | tsunagu schedule --dry-run FLOW")
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	b, ok := e.openBot(ctx, &c)
	if !ok {
		return exitFail
	}
	defer b.Store.Close()
	members, fams, err := b.Store.Audience(ctx, "")
	if err != nil {
		return e.fail(err)
	}
	loc, now := c.Location(), e.clock.Now()

	if *dry != "" {
		f := b.Flows.Get(*dry)
		if f == nil {
			fmt.Fprintf(e.stderr, "tsunagu: no flow with id %q in %s\n", *dry, c.FlowsDir)
			return exitFail
		}
		return e.dryRun(b, f, members, fams, now, loc, *asJSON)
	}

	var rows []scheduleRow
	loaded := b.Flows.All()
	slices.SortFunc(loaded, func(a, b *flows.Flow) int { return strings.Compare(a.ID, b.ID) })
	for _, f := range loaded {
		r := scheduleRow{Flow: f.ID, Title: f.Title, Next: nextOccurrences(f, now, loc, *count), Excluded: map[string]int{}}
		for _, sc := range f.Schedules {
			r.Cron = append(r.Cron, sc.Cron)
		}
		for _, m := range members {
			if why := b.Conversation().Exclusion(f, m, fams[m.FamilyCode]); why != "" {
				r.Excluded[why]++
			} else {
				r.Audience++
			}
		}
		rows = append(rows, r)
	}
	if *asJSON {
		e.printJSON(rows)
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "FLOW\tNEXT (%s)\tAUDIENCE\tNOT SENT TO\n", loc)
	for _, r := range rows {
		next := "on demand"
		if len(r.Next) > 0 {
			var ws []string
			for _, t := range r.Next {
				ws = append(ws, formatWhen(t, loc))
			}
			next = strings.Join(ws, ", ")
		}
		var ex []string
		for why, n := range r.Excluded {
			ex = append(ex, fmt.Sprintf("%s %d", why, n))
		}
		slices.Sort(ex)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.Flow, next, r.Audience, orText(strings.Join(ex, ", "), "-"))
	}
	tw.Flush()
	return exitOK
}

// nextOccurrences returns the flow's next n occurrences over all its
// schedules, in order.
func nextOccurrences(f *flows.Flow, now time.Time, loc *time.Location, n int) []time.Time {
	var all []time.Time
	for _, sc := range f.Schedules {
		at := now
		for range n {
			at = sc.Next(at, loc)
			if at.IsZero() {
				break
			}
			all = append(all, at)
		}
	}
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	return all[:min(n, len(all))]
}

func formatWhen(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%s(%s) %s", t.Format("2006-01-02"), weekdays[t.Weekday()], t.Format("15:04"))
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// dryRow is one member in `schedule --dry-run`.
type dryRow struct {
	Family string       `json:"family"`
	Role   tsunagu.Role `json:"role"`
	Member string       `json:"member"`
	Gets   bool         `json:"gets"`
	Why    string       `json:"why,omitempty"`    // the exclusion: not in audience, blocked, paused, no consent
	Reason string       `json:"reason,omitempty"` // the same in words, with what would change it
}

// dryRun says who would get the next occurrence of f, and why each member
// who would not is left out.
func (e *env) dryRun(b *bot.Bot, f *flows.Flow, members []tsunagu.Member, fams map[string]tsunagu.Family, now time.Time, loc *time.Location, asJSON bool) int {
	next := nextOccurrences(f, now, loc, 1)
	rows := make([]dryRow, 0, len(members))
	gets := 0
	for _, m := range members {
		why := b.Conversation().Exclusion(f, m, fams[m.FamilyCode])
		r := dryRow{Family: m.FamilyCode, Role: m.Role, Member: m.ID, Gets: why == "", Why: why}
		if why != "" {
			r.Reason = explainExclusion(why)
		} else {
			gets++
		}
		rows = append(rows, r)
	}
	if asJSON {
		e.printJSON(struct {
			Flow    string     `json:"flow"`
			Next    *time.Time `json:"next,omitempty"`
			Gets    int        `json:"gets"`
			Members []dryRow   `json:"members"`
		}{Flow: f.ID, Next: first(next), Gets: gets, Members: rows})
		return exitOK
	}
	if len(next) > 0 {
		fmt.Fprintf(e.stdout, "%s (%s): next %s\n", f.ID, f.Title, formatWhen(next[0], loc))
	} else {
		fmt.Fprintf(e.stdout, "%s (%s): no schedule; runs on demand\n", f.ID, f.Title)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FAMILY\tROLE\tMEMBER\tGETS IT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Family, r.Role, r.Member, orText(r.Reason, "yes"))
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d of %d member(s) would get it\n", gets, len(rows))
	return exitOK
}

func first(ts []time.Time) *time.Time {
	if len(ts) == 0 {
		return nil
	}
	return &ts[0]
}
