package desk

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/tsunagu/tsunagu"
)

// unclaimedAfter is how long an alert may stay open and unclaimed before
// the report lists it: an urgent one past its escalation (15 minutes by
// default), a warning past a day. Info alerts are not listed.
func (d *Desk) unclaimedAfter(s tsunagu.Severity) time.Duration {
	switch s {
	case tsunagu.SeverityUrgent:
		if d.Bot != nil && d.Bot.EscalateAfter > 0 {
			return d.Bot.EscalateAfter
		}
		return 15 * time.Minute
	case tsunagu.SeverityWarning:
		return 24 * time.Hour
	}
	return -1
}

// orgOf is the organisation of a family with tags: the first with one of
// them, else scopeNone.
func (d *Desk) orgOf(tags []string) string {
	for _, o := range d.Orgs {
		if slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(o.Tags, t) }) {
			return o.ID
		}
	}
	return scopeNone
}

// familyTags caches families' tags while a report reads alerts.
type familyTags struct {
	d    *Desk
	tags map[string][]string
}

func (f *familyTags) of(ctx context.Context, code string) ([]string, error) {
	if t, ok := f.tags[code]; ok {
		return t, nil
	}
	fam, err := f.d.Store.Family(ctx, code)
	switch {
	case tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND || code == "":
		f.tags[code] = nil
	case err != nil:
		return nil, err
	default:
		f.tags[code] = fam.Tags
	}
	return f.tags[code], nil
}

func (d *Desk) inFilter(tags []string, opt ReportOptions) bool {
	return opt.Tags == nil || slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(opt.Tags, t) })
}

// alertFigures counts the period's alerts and how quickly they were taken
// up, and lists the open ones.
func (d *Desk) alertFigures(ctx context.Context, rep *Report, opt ReportOptions) error {
	ft := &familyTags{d: d, tags: map[string][]string{}}
	type scopeKey struct {
		sev   tsunagu.Severity
		scope string
	}
	claims, resolves, totals := map[scopeKey][]time.Duration{}, map[scopeKey][]time.Duration{}, map[scopeKey]int{}
	counts := map[AlertCount]int{}
	err := d.Store.AlertsBetween(ctx, rep.Since, rep.Until, func(page []tsunagu.Alert) error {
		for _, a := range page {
			tags, err := ft.of(ctx, a.FamilyCode)
			if err != nil {
				return err
			}
			if !d.inFilter(tags, opt) {
				continue
			}
			counts[AlertCount{Severity: a.Severity, Category: alertCategory(a)}]++
			for _, k := range []scopeKey{{a.Severity, scopeAll}, {a.Severity, d.orgOf(tags)}} {
				totals[k]++
				if c, ok := timeToClaim(a); ok {
					claims[k] = append(claims[k], c)
				}
				if !a.ResolvedAt.IsZero() {
					resolves[k] = append(resolves[k], a.ResolvedAt.Sub(a.CreatedAt))
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for c, n := range counts {
		c.N = n
		rep.Alerts = append(rep.Alerts, c)
	}
	slices.SortFunc(rep.Alerts, func(a, b AlertCount) int {
		return cmp.Or(tsunagu.SeverityRank(b.Severity)-tsunagu.SeverityRank(a.Severity), cmp.Compare(a.Category, b.Category))
	})
	for k, n := range totals {
		r := ResponseRow{Severity: k.sev, Scope: k.scope, Alerts: n, Claimed: len(claims[k]), Resolve: len(resolves[k])}
		r.ClaimP50, r.ClaimP90 = percentile(claims[k], 50), percentile(claims[k], 90)
		r.ResolveP50, r.ResolveP90 = percentile(resolves[k], 50), percentile(resolves[k], 90)
		rep.Response = append(rep.Response, r)
	}
	slices.SortFunc(rep.Response, func(a, b ResponseRow) int {
		return cmp.Or(tsunagu.SeverityRank(b.Severity)-tsunagu.SeverityRank(a.Severity), scopeOrder(a.Scope, b.Scope))
	})
	return d.openAlerts(ctx, rep, opt, ft)
}

// scopeOrder puts 全体 first and 団体なし last.
func scopeOrder(a, b string) int {
	rank := func(s string) int {
		switch s {
		case scopeAll:
			return 0
		case scopeNone:
			return 2
		}
		return 1
	}
	return cmp.Or(rank(a)-rank(b), cmp.Compare(a, b))
}

func (d *Desk) openAlerts(ctx context.Context, rep *Report, opt ReportOptions, ft *familyTags) error {
	open, err := d.Store.OpenAlerts(ctx)
	if err != nil {
		return err
	}
	for _, a := range open {
		tags, err := ft.of(ctx, a.FamilyCode)
		if err != nil {
			return err
		}
		if !d.inFilter(tags, opt) || a.CreatedAt.After(rep.At) {
			continue
		}
		rep.Open = append(rep.Open, a)
		if after := d.unclaimedAfter(a.Severity); a.State == tsunagu.AlertOpen && after >= 0 && rep.At.Sub(a.CreatedAt) > after {
			rep.Unclaimed = append(rep.Unclaimed, a)
		}
	}
	return nil
}

// timeToClaim is how long an alert waited for a supporter: until the
// first claim (or hand-over), or until it was resolved unclaimed.
func timeToClaim(a tsunagu.Alert) (time.Duration, bool) {
	for _, ev := range a.History {
		if ev.What == "claimed" || ev.What == "reassigned" || ev.What == "resolved" {
			return ev.At.Sub(a.CreatedAt), true
		}
	}
	switch {
	case !a.ClaimedAt.IsZero():
		return a.ClaimedAt.Sub(a.CreatedAt), true
	case !a.ResolvedAt.IsZero():
		return a.ResolvedAt.Sub(a.CreatedAt), true
	}
	return 0, false
}

// percentile is the nearest-rank percentile p of ds, -1 for none.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return -1
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}
