package flows

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/parity"
)

// TestOutcomesGolden keeps, for each parity scenario, every turn's
// outcomes — what serve commits — in testdata/parity/NAME.outcomes.golden,
// so that a reviewer sees in a diff exactly what a behaviour change
// commits. Rewrite with -update.
func TestOutcomesGolden(t *testing.T) {
	dir := "testdata/parity"
	scenarios, err := parity.Load(filepath.Join(dir, "scenarios.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var all catalog
	for _, id := range []string{"signup", "weekly", "talk"} {
		src, err := os.ReadFile(filepath.Join(dir, id+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		f, ds := Parse(id+".yaml", src, Options{})
		if f == nil {
			t.Fatalf("%s", ds)
		}
		all = append(all, f)
	}
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			var b strings.Builder
			fmt.Fprintf(&b, "# %s: %s, answers %q\n", sc.Name, sc.Flow, sc.Script)
			_, err := Simulate(io.Discard, all.Get(sc.Flow), ScriptedAnswers(sc.Script), SimOptions{
				JSON: true, Now: t0, Role: tsunagu.RoleChild, Risk: NewRiskScanner(DefaultRiskWords), Location: time.UTC, Flows: all,
				Trace: func(turn Turn) {
					fmt.Fprintf(&b, "\n== %s\n", turn.Summary)
					for _, o := range turn.Outcomes {
						b.WriteString(describe(o) + "\n")
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join(dir, strings.ReplaceAll(sc.Name, " ", "-")+".outcomes.golden"), b.String())
		})
	}
}

// describe writes an outcome as one line a reviewer can read; times are
// relative to t0.
func describe(o Outcome) string {
	at := func(t time.Time) string { return "+" + t.Sub(t0).String() }
	session := func(s *tsunagu.Session) string {
		var answers []string
		for _, id := range s.Order {
			answers = append(answers, id+"="+s.Answers[id].Value)
		}
		return fmt.Sprintf("%s %s status=%s step=%q answers=[%s] reasks=%d reminded=%d",
			s.FlowID, s.ID, s.Status, s.Step, strings.Join(answers, " "), s.Reasks, s.Reminded)
	}
	switch o := o.(type) {
	case Said:
		var lines []string
		for _, m := range o.Messages {
			line := fmt.Sprintf("%q", m.Text)
			for _, q := range m.QuickReplies {
				line += " [" + q.Label + "]"
			}
			lines = append(lines, line)
		}
		return "Said " + strings.Join(lines, "\n     ")
	case AlertRaised:
		a := o.Alert
		s := fmt.Sprintf("AlertRaised [%s] %s family=%s role=%s flow=%s", a.Severity, a.Reason, a.FamilyCode, a.Role, a.FlowID)
		for _, qa := range a.Answers {
			s += fmt.Sprintf("\n     %s → %s", qa.Question, qa.Answer)
		}
		return s
	case RiskDetected:
		return fmt.Sprintf("RiskDetected %q category=%s rule=%s gentle=%v audience=%s", o.Word, o.Category, o.Rule, o.Gentle, o.Audience)
	case SessionStarted:
		var rs []string
		for _, r := range o.Reminders {
			rs = append(rs, at(r))
		}
		return fmt.Sprintf("SessionStarted %s reminders=[%s] expires=%s", session(o.Session), strings.Join(rs, " "), at(o.Expires))
	case SessionChanged:
		return "SessionChanged " + session(o.Session)
	case SessionEnded:
		return fmt.Sprintf("SessionEnded (%s) %s", o.Why, session(o.Session))
	case StreakChanged:
		return fmt.Sprintf("StreakChanged %s missed=%d", o.FlowID, o.Missed)
	case ConsentRecorded:
		return fmt.Sprintf("ConsentRecorded %s (%s)", o.Value, o.Label)
	case MemberChanged:
		m := o.Member
		return fmt.Sprintf("MemberChanged %s blocked=%v stopped=%v consent=%q", m.ID, m.Blocked, m.Stopped, m.Consent)
	}
	return fmt.Sprintf("%T %+v", o, o)
}
