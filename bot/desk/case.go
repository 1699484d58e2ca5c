package desk

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// CasePack is one family on one page for a case meeting (ケース会議資料):
// its members (roles, no names, no LINE ids), each one's check-ins with
// their answers, the numbers over time, alerts with who took them up and
// what they noted, replies sent, pauses and resumes, consent.
type CasePack struct {
	Family       tsunagu.Family
	Organisation string // the family's organisation, 団体なし for none
	Since, Until time.Time
	WithText     bool // free-text answers are shown; otherwise only that there was one
	Members      []CaseMember
	Alerts       []tsunagu.Alert // since Since, oldest first
	Events       []CaseEvent     // pauses, resumes and replies, oldest first
}

// CaseMember is one member of the family in a pack.
type CaseMember struct {
	Role                  tsunagu.Role
	LinkedAt              time.Time
	Blocked               bool
	Consent, ConsentLabel string
	Sessions              []CaseSession // oldest first
	Series                []CaseSeries  // number and scale answers over time
}

// CaseSession is one check-in in a pack's timeline.
type CaseSession struct {
	Flow, Title string
	Status      string // 回答, 途中まで, 未回答, 回答待ち
	StartedAt   time.Time
	EndedAt     time.Time
	Answers     []CaseAnswer
}

// CaseAnswer is a question and its answer; Hidden when it is free text and
// the pack is made without text.
type CaseAnswer struct {
	Question, Answer string
	Free, Hidden     bool
}

// CaseSeries is one number or scale question's answers over time.
type CaseSeries struct {
	Flow, Title, Step, Question string
	Min, Max                    float64 // the scale's ends, or the values' range
	Points                      []CasePoint
}

// CasePoint is one answer of a series.
type CasePoint struct {
	At    time.Time
	Value float64
}

// CaseEvent is a dated line of the pack's record.
type CaseEvent struct {
	At   time.Time
	By   string // Slack user id
	What string // in Japanese
}

// CasePack builds the pack of family code for [since, now]. withText says
// whether the one asking may read free text (the family's organisation or
// a coordinator at the command line).
func (d *Desk) CasePack(ctx context.Context, code string, since time.Time, withText bool) (*CasePack, error) {
	fam, err := d.Store.Family(ctx, code)
	if err != nil {
		return nil, err
	}
	pack := &CasePack{Family: *fam, Organisation: d.orgOf(fam.Tags), Since: since, Until: d.Clock.Now(), WithText: withText}
	ms, err := d.Store.FamilyMembers(ctx, code)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		cm, err := d.caseMember(ctx, m, since, withText)
		if err != nil {
			return nil, err
		}
		pack.Members = append(pack.Members, cm)
	}
	if pack.Alerts, err = d.Store.FamilyAlertsSince(ctx, code, since, withText); err != nil {
		return nil, err
	}
	audit, err := d.Store.AuditLog(ctx, storage.AuditFilter{Since: since, Family: code})
	if err != nil {
		return nil, err
	}
	for _, e := range audit {
		if what, ok := map[string]string{tsunagu.AuditPaused: "定期チェックインを一時停止", tsunagu.AuditResumed: "定期チェックインを再開"}[e.Action]; ok {
			pack.Events = append(pack.Events, CaseEvent{At: e.At, By: e.By, What: what})
		}
	}
	for _, a := range pack.Alerts {
		for _, h := range a.History {
			if h.What == "replied" {
				pack.Events = append(pack.Events, CaseEvent{At: h.At, By: h.By, What: "LINEで返信（" + roleLabel(a.Role) + "へ）"})
			}
		}
	}
	slices.SortStableFunc(pack.Events, func(a, b CaseEvent) int { return a.At.Compare(b.At) })
	return pack, nil
}

func (d *Desk) caseMember(ctx context.Context, m tsunagu.Member, since time.Time, withText bool) (CaseMember, error) {
	cm := CaseMember{Role: m.Role, LinkedAt: m.LinkedAt, Blocked: m.Blocked, Consent: m.Consent, ConsentLabel: m.ConsentLabel}
	hist, err := d.Store.CaseSessions(ctx, m.ID, withText)
	if err != nil {
		return cm, err
	}
	series := map[[2]string]*CaseSeries{}
	for i := len(hist) - 1; i >= 0; i-- { // oldest first
		s := hist[i]
		if s.StartedAt.Before(since) {
			continue
		}
		f := d.Flows.Get(s.FlowID)
		cs := CaseSession{Flow: s.FlowID, Status: sessionStatus(s), StartedAt: s.StartedAt}
		if s.Status != tsunagu.SessionWaiting {
			cs.EndedAt = s.UpdatedAt
		}
		if f != nil {
			cs.Title = f.Title
		}
		cs.Answers = caseAnswers(f, s, withText)
		cm.Sessions = append(cm.Sessions, cs)
		addSeries(series, f, s)
	}
	for _, k := range slices.SortedFunc(mapsKeys(series), func(a, b [2]string) int { return cmp.Compare(a[0]+a[1], b[0]+b[1]) }) {
		cm.Series = append(cm.Series, *series[k])
	}
	return cm, nil
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func sessionStatus(s tsunagu.Session) string {
	switch {
	case s.Status == tsunagu.SessionCompleted:
		return "回答"
	case s.Status == tsunagu.SessionWaiting:
		return "回答待ち"
	case len(s.Answers) > 0:
		return "途中まで"
	}
	return "未回答"
}

// caseAnswers are a session's answers in the order given, with the
// question as the member read it. Free text is hidden unless withText.
func caseAnswers(f *flows.Flow, s tsunagu.Session, withText bool) []CaseAnswer {
	var out []CaseAnswer
	for _, id := range s.Order {
		a, ok := s.Answers[id]
		if !ok {
			continue
		}
		ca := CaseAnswer{Question: id, Answer: cmp.Or(a.Label, a.Value)}
		var step *flows.Step
		if f != nil {
			step = f.Step(id)
		}
		if step != nil {
			ca.Question = step.Question()
			ca.Free = step.Kind() == flows.KindText
		} else {
			ca.Free = a.Label == "" // an unknown step: treat its value as text
		}
		if a.Skipped {
			ca.Answer, ca.Free = "（答えなかった）", false
		}
		if ca.Free && !withText {
			ca.Answer, ca.Hidden = "", true
		}
		out = append(out, ca)
	}
	return out
}

// addSeries adds a session's number and scale answers to the series.
func addSeries(series map[[2]string]*CaseSeries, f *flows.Flow, s tsunagu.Session) {
	if f == nil {
		return
	}
	for id, a := range s.Answers {
		step := f.Step(id)
		if step == nil || a.Skipped || (step.Kind() != flows.KindNumber && step.Kind() != flows.KindScale) {
			continue
		}
		v, err := strconv.ParseFloat(a.Value, 64)
		if err != nil {
			continue
		}
		k := [2]string{f.ID, id}
		cs := series[k]
		if cs == nil {
			cs = &CaseSeries{Flow: f.ID, Title: f.Title, Step: id, Question: step.Question(), Min: math.Inf(1), Max: math.Inf(-1)}
			if step.Scale != nil {
				cs.Min, cs.Max = float64(step.Scale.Min), float64(step.Scale.Max)
			}
			series[k] = cs
		}
		if step.Scale == nil {
			cs.Min, cs.Max = math.Min(cs.Min, v), math.Max(cs.Max, v)
		}
		cs.Points = append(cs.Points, CasePoint{At: cmp.Or(a.At, s.UpdatedAt), Value: v})
	}
}

// CaseAudit is the audit entry for a pack made: who, for which family,
// how (format, with or without free text); never a text.
func CaseAudit(by, code, how string, at time.Time) tsunagu.AuditEntry {
	return tsunagu.AuditEntry{At: at, By: by, Action: "case-pack", Family: code, Detail: how}
}

// casePackMonths is how far back a pack made from Slack goes.
const casePackMonths = 6

// CasePackHTML makes the pack of the last six months for a supporter in
// Slack, who may read the family's free text (Access has let them), and
// records it in the audit log first: a pack that cannot be recorded is
// not made.
func (d *Desk) CasePackHTML(ctx context.Context, code, by string) (string, []byte, error) {
	now := d.Clock.Now()
	pack, err := d.CasePack(ctx, code, now.AddDate(0, -casePackMonths, 0), true)
	if err != nil {
		return "", nil, err
	}
	if err := d.Store.Audit(ctx, tsunagu.AuditEntry{At: now, By: by, Action: tsunagu.AuditCasePack, Family: code, Detail: "slack, format html"}); err != nil {
		return "", nil, err
	}
	var b bytes.Buffer
	if err := pack.HTML(&b, d.location(), now); err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("case-%s-%s.html", code, now.In(d.location()).Format("20060102")), b.Bytes(), nil
}
