package desk

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// Report is the support-status report (支援状況レポート): how check-ins
// went in a period against the one before, how the answers were spread,
// who keeps missing them, and how quickly supporters took up alerts. It is
// built from counters kept as sessions end (storage.Stats), the members'
// open sessions and missed streaks, and the alerts of the period.
type Report struct {
	Since, Until time.Time
	At           time.Time   // when open alerts were looked at: Until, or now if sooner
	Filter       string      // what the report is limited to ("" for every family)
	Rows         []ReportRow // per flow, then per flow and tag
	Weeks        []time.Time // the starts of the period's weeks
	Rates        []FlowRates // per flow, the response rate of each week
	Buckets      []Bucket    // the parts of the period answers are shown in
	Questions    []Question  // choice, yes/no and scale questions answered
	Indicators   []Indicator // number and scale questions: means by tag
	// CountsOnly shows totals without any family: the digest in a channel
	// that several organisations share.
	CountsOnly   bool
	Streaks      []StreakRow     // members in a missed streak now, longest first
	StreakCounts [3]int          // members at 1, 2, 3+ misses
	Alerts       []AlertCount    // alerts of the period by severity and category
	Response     []ResponseRow   // time to claim and resolve, per severity and organisation
	Open         []tsunagu.Alert // alerts not resolved, oldest first
	Unclaimed    []tsunagu.Alert // open and unclaimed beyond UnclaimedAfter, oldest first
	QuotaLimit   int64           // -1 when unknown or unlimited
	QuotaUsed    int64
}

// ReportRow counts one flow's sessions started in the period.
type ReportRow struct {
	Flow, Title, Tag        string // Tag "" for all families (of the filter)
	Sent, Completed, Missed int
	Open                    int     // still waiting for an answer
	Rate, PreviousRate      float64 // completed ÷ ended; -1 when nothing ended
}

// StreakRow is a member who has missed a flow's check-ins in a row.
type StreakRow struct {
	Family        string
	Role          tsunagu.Role
	Flow          string
	Streak        int
	LastCompleted time.Time
}

// FlowRates is one flow's response rate week by week, this period and
// the one before (-1 where nothing ended).
type FlowRates struct {
	Flow, Title    string
	Rate, Previous []float64
}

// Bucket is a part of the period: a week or a month.
type Bucket struct {
	Label        string
	Since, Until time.Time
}

// Question is how the answers to one choice, yes/no or scale question
// were spread, bucket by bucket.
type Question struct {
	Flow, Title, Step, Text string
	Values, Labels          []string // in the order of the buttons
	Counts                  [][]int  // [bucket][value]
}

// Indicator is the mean answer to one number or scale question, per tag
// and bucket (NaN where nobody answered).
type Indicator struct {
	Flow, Title, Step, Text string
	Tags                    []string    // "" first: every family of the filter
	Means                   [][]float64 // [tag][bucket]
	N                       [][]int
}

// AlertCount is how many alerts of a severity and category came.
type AlertCount struct {
	Severity tsunagu.Severity
	Category string // "" when alerts carry none
	N        int
}

// ResponseRow is how quickly supporters took up and finished alerts of a
// severity, for one organisation or all ("全体"). Durations are -1 when
// no alert got that far.
type ResponseRow struct {
	Severity                 tsunagu.Severity
	Scope                    string // 全体, an organisation's id, or 団体なし
	Alerts, Claimed, Resolve int
	ClaimP50, ClaimP90       time.Duration
	ResolveP50, ResolveP90   time.Duration
}

// Organisation is what the report knows of one: its id and tags (the
// first organisation with one of a family's tags is the family's).
type Organisation struct {
	ID      string
	Tags    []string
	Channel string // where its families' digest goes
}

// ReportOptions limit a report.
type ReportOptions struct {
	Tags   []string // only families with one of these tags; nil for all
	Filter string   // how to name the limit, e.g. "タグ uwajima"
}

// scopeAll and scopeNone name the response-time rows of every alert and of
// families of no organisation.
const (
	scopeAll  = "全体"
	scopeNone = "団体なし"
)

// Report builds the report for [since, until) over every family.
func (d *Desk) Report(ctx context.Context, since, until time.Time) (*Report, error) {
	return d.ReportFor(ctx, since, until, ReportOptions{})
}

// ReportFor builds the report for [since, until), limited by opt.
func (d *Desk) ReportFor(ctx context.Context, since, until time.Time, opt ReportOptions) (*Report, error) {
	rep := &Report{Since: since, Until: until, At: until, Filter: opt.Filter, QuotaLimit: -1}
	if now := d.Clock.Now(); now.Before(until) {
		rep.At = now
	}
	b := d.newReportBuilder(rep, opt)
	if err := d.Store.Stats(ctx, rep.prevSince(), until, b.count); err != nil {
		return nil, err
	}
	if err := d.scanMembers(ctx, b); err != nil {
		return nil, err
	}
	b.finish()
	if err := d.alertFigures(ctx, rep, opt); err != nil {
		return nil, err
	}
	if d.Bot != nil && d.Bot.Quota != nil {
		if limit, used, err := d.Bot.Quota(ctx); err == nil {
			rep.QuotaLimit, rep.QuotaUsed = limit, used
		}
	}
	return rep, nil
}

func (r *Report) prevSince() time.Time { return r.Since.Add(-r.Until.Sub(r.Since)) }

type rowKey struct{ flow, tag string }

type questionKey struct{ flow, step string }

// reportBuilder adds counters up into a Report.
type reportBuilder struct {
	rep      *Report
	tags     map[string]bool // the filter; nil for every family
	flows    *bot.FlowSet
	cur      map[rowKey]*ReportRow
	prev     map[rowKey]*ReportRow
	weekCur  map[string][][2]int // flow → week → completed, missed
	weekPrev map[string][][2]int
	answers  map[questionKey][][]int              // [bucket][value]
	sums     map[questionKey]map[string][]float64 // tag → bucket → sum
	ns       map[questionKey]map[string][]int
	streaks  map[[2]string]storage.Streak
}

func (d *Desk) newReportBuilder(rep *Report, opt ReportOptions) *reportBuilder {
	b := &reportBuilder{
		rep: rep, flows: d.Flows,
		cur: map[rowKey]*ReportRow{}, prev: map[rowKey]*ReportRow{},
		weekCur: map[string][][2]int{}, weekPrev: map[string][][2]int{},
		answers: map[questionKey][][]int{}, sums: map[questionKey]map[string][]float64{}, ns: map[questionKey]map[string][]int{},
		streaks: map[[2]string]storage.Streak{},
	}
	if opt.Tags != nil {
		b.tags = map[string]bool{}
		for _, t := range opt.Tags {
			b.tags[t] = true
		}
	}
	for w := rep.Since; w.Before(rep.Until); w = w.AddDate(0, 0, 7) {
		rep.Weeks = append(rep.Weeks, w)
	}
	rep.Buckets = buckets(rep.Since, rep.Until, d.location())
	return b
}

// buckets splits a period into weeks, or into months when it is longer
// than eight weeks (the half-yearly review).
func buckets(since, until time.Time, loc *time.Location) []Bucket {
	var out []Bucket
	if until.Sub(since) <= 8*7*24*time.Hour {
		for w := since; w.Before(until); w = w.AddDate(0, 0, 7) {
			out = append(out, Bucket{Label: w.In(loc).Format("1/2") + "〜", Since: w, Until: minTime(w.AddDate(0, 0, 7), until)})
		}
		return out
	}
	s := since.In(loc)
	for m := time.Date(s.Year(), s.Month(), 1, 0, 0, 0, 0, loc); m.Before(until); m = m.AddDate(0, 1, 0) {
		label := m.Format("1月")
		if m.Month() == time.January || len(out) == 0 {
			label = m.Format("2006年1月")
		}
		out = append(out, Bucket{Label: label, Since: maxTime(m, since), Until: minTime(m.AddDate(0, 1, 0), until)})
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// wanted says whether a counter's tag belongs in the report: with no
// filter, "" (every family) and each tag; with one, the filter's tags,
// which also add up to the total.
func (b *reportBuilder) wanted(tag string) (asTotal, asTag bool) {
	if b.tags == nil {
		return tag == "", tag != ""
	}
	return b.tags[tag], b.tags[tag]
}

func (b *reportBuilder) count(c storage.StatCounter) {
	asTotal, asTag := b.wanted(c.Tag)
	if !asTotal && !asTag {
		return
	}
	inCur := !c.Hour.Before(b.rep.Since)
	switch c.Kind {
	case "s":
		n := int(c.N)
		rows, weeks, from := b.cur, b.weekCur, b.rep.Since
		if !inCur {
			rows, weeks, from = b.prev, b.weekPrev, b.rep.prevSince()
		}
		for _, k := range keysFor(c.Flow, c.Tag, asTotal, asTag) {
			addStatus(row(rows, k), c.Value, n)
		}
		if asTotal {
			w := int(c.Hour.Sub(from) / (7 * 24 * time.Hour))
			if w < len(b.rep.Weeks) {
				ws := weeks[c.Flow]
				if ws == nil {
					ws = make([][2]int, len(b.rep.Weeks))
					weeks[c.Flow] = ws
				}
				if c.Value == string(tsunagu.SessionCompleted) {
					ws[w][0] += n
				} else if c.Value == string(tsunagu.SessionMissed) {
					ws[w][1] += n
				}
			}
		}
	case "a", "n", "c":
		if inCur {
			b.countAnswer(c, asTotal, asTag)
		}
	}
}

func keysFor(flow, tag string, asTotal, asTag bool) []rowKey {
	var ks []rowKey
	if asTotal {
		ks = append(ks, rowKey{flow, ""})
	}
	if asTag && tag != "" {
		ks = append(ks, rowKey{flow, tag})
	}
	return ks
}

func row(m map[rowKey]*ReportRow, k rowKey) *ReportRow {
	if m[k] == nil {
		m[k] = &ReportRow{Flow: k.flow, Tag: k.tag}
	}
	return m[k]
}

func addStatus(r *ReportRow, status string, n int) {
	r.Sent += n
	switch tsunagu.SessionStatus(status) {
	case tsunagu.SessionCompleted:
		r.Completed += n
	case tsunagu.SessionMissed:
		r.Missed += n
	default:
		r.Open += n
	}
}

func (b *reportBuilder) bucketOf(t time.Time) int {
	for i, bk := range b.rep.Buckets {
		if !t.Before(bk.Since) && t.Before(bk.Until) {
			return i
		}
	}
	return -1
}

func (b *reportBuilder) countAnswer(c storage.StatCounter, asTotal, asTag bool) {
	i := b.bucketOf(c.Hour)
	if i < 0 {
		return
	}
	k := questionKey{c.Flow, c.Step}
	nb := len(b.rep.Buckets)
	if c.Kind == "a" {
		if !asTotal {
			return
		}
		f := b.flows.Get(c.Flow)
		if f == nil || f.Step(c.Step) == nil {
			return
		}
		v := slices.IndexFunc(f.Step(c.Step).Choices, func(ch flows.Choice) bool { return ch.Value == c.Value })
		if v < 0 {
			return
		}
		if b.answers[k] == nil {
			b.answers[k] = make([][]int, nb)
			for j := range b.answers[k] {
				b.answers[k][j] = make([]int, len(f.Step(c.Step).Choices))
			}
		}
		b.answers[k][i][v] += int(c.N)
		return
	}
	if b.sums[k] == nil {
		b.sums[k], b.ns[k] = map[string][]float64{}, map[string][]int{}
	}
	var tags []string
	if asTotal {
		tags = append(tags, "")
	}
	if asTag && c.Tag != "" {
		tags = append(tags, c.Tag)
	}
	for _, t := range tags {
		if b.sums[k][t] == nil {
			b.sums[k][t], b.ns[k][t] = make([]float64, nb), make([]int, nb)
		}
		if c.Kind == "n" {
			b.sums[k][t][i] += c.N
		} else {
			b.ns[k][t][i] += int(c.N)
		}
	}
}

// scanMembers reads every member a page at a time: the open sessions
// (回答待ち) and who is in a missed streak.
func (d *Desk) scanMembers(ctx context.Context, b *reportBuilder) error {
	ids, err := d.Store.AudienceIDs(ctx, "")
	if err != nil {
		return err
	}
	for page := range slices.Chunk(ids, 1000) {
		members, fams, err := d.Store.MembersWithFamilies(ctx, page)
		if err != nil {
			return err
		}
		open, err := d.Store.OpenSessions(ctx, page)
		if err != nil {
			return err
		}
		tagsOf := map[string][]string{}
		for _, m := range members {
			tagsOf[m.ID] = fams[m.FamilyCode].Tags
		}
		for _, s := range open {
			if s.StartedAt.Before(b.rep.Since) || !s.StartedAt.Before(b.rep.Until) {
				continue
			}
			for _, tag := range append([]string{""}, tagsOf[s.MemberID]...) {
				asTotal, asTag := b.wanted(tag)
				if b.tags != nil && tag == "" {
					continue // with a filter, the total is the filter's tags
				}
				for _, k := range keysFor(s.FlowID, tag, asTotal, asTag) {
					row(b.cur, k).Sent++
					row(b.cur, k).Open++
				}
			}
		}
	}
	return d.Store.Streaks(ctx, func(page []storage.Streak) error {
		return d.addStreaks(ctx, b, page)
	})
}

func (d *Desk) addStreaks(ctx context.Context, b *reportBuilder, page []storage.Streak) error {
	ids := make([]string, len(page))
	for i, s := range page {
		ids[i] = s.MemberID
	}
	members, fams, err := d.Store.MembersWithFamilies(ctx, ids)
	if err != nil {
		return err
	}
	byID := map[string]tsunagu.Member{}
	for _, m := range members {
		byID[m.ID] = m
	}
	for _, s := range page {
		m, ok := byID[s.MemberID]
		if !ok || (b.tags != nil && !slices.ContainsFunc(fams[m.FamilyCode].Tags, func(t string) bool { return b.tags[t] })) {
			continue
		}
		k := [2]string{s.MemberID, s.Flow}
		if _, seen := b.streaks[k]; seen {
			continue
		}
		b.streaks[k] = s
		b.rep.StreakCounts[min(s.Missed, 3)-1]++
		b.rep.Streaks = append(b.rep.Streaks, StreakRow{Family: m.FamilyCode, Role: m.Role, Flow: s.Flow, Streak: s.Missed, LastCompleted: s.LastCompleted})
	}
	return nil
}

// finish turns the sums into rows, rates, questions and indicators, in a
// stable order.
func (b *reportBuilder) finish() {
	rep := b.rep
	for k, r := range b.cur {
		r.Rate, r.PreviousRate = responseRate(r), -1
		if p := b.prev[k]; p != nil {
			r.PreviousRate = responseRate(p)
		}
		r.Title = b.title(k.flow)
		rep.Rows = append(rep.Rows, *r)
	}
	slices.SortFunc(rep.Rows, func(a, b ReportRow) int {
		return strings.Compare(a.Flow+"\x00"+a.Tag, b.Flow+"\x00"+b.Tag)
	})
	for _, flow := range sortedKeys(b.weekCur) {
		fr := FlowRates{Flow: flow, Title: b.title(flow)}
		prev := b.weekPrev[flow]
		for i, w := range b.weekCur[flow] {
			fr.Rate = append(fr.Rate, rate(w))
			if prev != nil {
				fr.Previous = append(fr.Previous, rate(prev[i]))
			} else {
				fr.Previous = append(fr.Previous, -1)
			}
		}
		rep.Rates = append(rep.Rates, fr)
	}
	slices.SortFunc(rep.Streaks, func(a, b StreakRow) int {
		return cmp.Or(b.Streak-a.Streak, strings.Compare(a.Family, b.Family), strings.Compare(a.Flow, b.Flow))
	})
	b.questions()
	b.indicators()
}

func (b *reportBuilder) title(flow string) string {
	if f := b.flows.Get(flow); f != nil {
		return f.Title
	}
	return ""
}

func rate(w [2]int) float64 {
	if w[0]+w[1] == 0 {
		return -1
	}
	return float64(w[0]) / float64(w[0]+w[1])
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// questions lists the choice questions in the order of the flows and
// their steps.
func (b *reportBuilder) questions() {
	for _, f := range b.flows.All() {
		for _, s := range f.Steps {
			counts := b.answers[questionKey{f.ID, s.ID}]
			if counts == nil {
				continue
			}
			q := Question{Flow: f.ID, Title: f.Title, Step: s.ID, Text: s.Question(), Counts: counts}
			for _, c := range s.Choices {
				q.Values, q.Labels = append(q.Values, c.Value), append(q.Labels, c.Label)
			}
			b.rep.Questions = append(b.rep.Questions, q)
		}
	}
}

// maxIndicatorTags bounds the lines of an indicator's chart.
const maxIndicatorTags = 6

func (b *reportBuilder) indicators() {
	for _, f := range b.flows.All() {
		for _, s := range f.Steps {
			k := questionKey{f.ID, s.ID}
			if b.sums[k] == nil {
				continue
			}
			ind := Indicator{Flow: f.ID, Title: f.Title, Step: s.ID, Text: s.Question()}
			tags := sortedKeys(b.sums[k])
			if len(tags) > maxIndicatorTags {
				tags = tags[:maxIndicatorTags]
			}
			for _, t := range tags {
				means := make([]float64, len(b.rep.Buckets))
				for i := range means {
					means[i] = math.NaN()
					if n := b.ns[k][t][i]; n > 0 {
						means[i] = b.sums[k][t][i] / float64(n)
					}
				}
				ind.Tags, ind.Means, ind.N = append(ind.Tags, t), append(ind.Means, means), append(ind.N, b.ns[k][t])
			}
			b.rep.Indicators = append(b.rep.Indicators, ind)
		}
	}
}

// StatKinds is the rule storage counts answers by (Store.WithStats): each
// step's kind in the flows in force. Free text is never counted.
func StatKinds(fs *bot.FlowSet) func(flowID, stepID string) storage.StatKind {
	return func(flowID, stepID string) storage.StatKind {
		f := fs.Get(flowID)
		if f == nil || f.Step(stepID) == nil {
			return storage.StatNone
		}
		switch f.Step(stepID).Kind() {
		case flows.KindChoices, flows.KindYesNo:
			return storage.StatChoice
		case flows.KindScale:
			return storage.StatScale
		case flows.KindNumber:
			return storage.StatNumber
		}
		return storage.StatNone
	}
}
