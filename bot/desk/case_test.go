package desk

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
)

// examplePack is a family over three months, fixed, for the golden page
// and the example in docs/.
func examplePack(withText bool) *CasePack {
	start := time.Date(2026, 7, 3, 17, 0, 0, 0, tokyo)
	p := &CasePack{
		Family:       tsunagu.Family{Code: "F-0012", Tags: []string{"uwajima"}, Supporter: "U0SATO"},
		Organisation: "uwajima-npo", Since: start.AddDate(0, 0, -3), Until: start.AddDate(0, 3, 0), WithText: withText,
	}
	child := CaseMember{Role: tsunagu.RoleChild, LinkedAt: start.AddDate(0, -2, 0), Consent: "yes", ConsentLabel: "いいよ"}
	sleep := CaseSeries{Flow: "weekly-child", Title: "毎週のチェックイン", Step: "sleep", Question: "よく眠れた？", Min: 1, Max: 5}
	for w := range 12 {
		at := start.AddDate(0, 0, 7*w)
		s := CaseSession{Flow: "weekly-child", Title: "毎週のチェックイン", StartedAt: at, EndedAt: at.Add(2 * time.Hour), Status: "回答"}
		if w == 5 || w == 6 {
			s.Status, s.Answers = "未回答", nil
			child.Sessions = append(child.Sessions, s)
			continue
		}
		v := []int{4, 4, 3, 3, 2, 0, 0, 2, 3, 3, 4, 4}[w]
		mood := map[bool]string{true: "いい", false: "よくない"}[v >= 3]
		s.Answers = []CaseAnswer{{Question: "今週は、どんな気分だった？", Answer: mood}, {Question: "よく眠れた？", Answer: strconv.Itoa(v)}}
		if w == 4 {
			s.Answers = append(s.Answers, CaseAnswer{Question: "話したいことはある？", Answer: "先生とけんかした", Free: true, Hidden: !withText})
			if !withText {
				s.Answers[2].Answer = ""
			}
		}
		child.Sessions = append(child.Sessions, s)
		sleep.Points = append(sleep.Points, CasePoint{At: at.Add(time.Hour), Value: float64(v)})
	}
	child.Series = []CaseSeries{sleep}
	guardian := CaseMember{Role: tsunagu.RoleGuardian, LinkedAt: start.AddDate(0, -2, 1), Consent: "yes", ConsentLabel: "同意します",
		Sessions: []CaseSession{{Flow: "monthly-guardian", Title: "保護者の月1回", StartedAt: start.AddDate(0, 1, 0), Status: "途中まで", Answers: []CaseAnswer{{Question: "お子さんの様子は？", Answer: "少し元気がない"}}}}}
	p.Members = []CaseMember{child, guardian}
	created := start.AddDate(0, 0, 28).Add(2 * time.Hour)
	p.Alerts = []tsunagu.Alert{{ID: "a1", Severity: tsunagu.SeverityWarning, Role: tsunagu.RoleChild, Reason: "「よくない」が続いています", CreatedAt: created,
		History: []tsunagu.AlertEvent{{At: created.Add(40 * time.Minute), By: "U0SATO", What: "claimed"}, {At: created.Add(26 * time.Hour), By: "U0SATO", What: "replied"}, {At: created.Add(50 * time.Hour), By: "U0SATO", What: "resolved"}},
		Note:    "家庭訪問。学校と相談することにした"}}
	p.Events = []CaseEvent{{At: start.AddDate(0, 0, 33), By: "U0SATO", What: "定期チェックインを一時停止"}, {At: start.AddDate(0, 0, 47), By: "U0SATO", What: "定期チェックインを再開"}}
	return p
}

// TestCasePackHTML: the pack is one self-contained page; without text,
// a free-text answer is not in it at all.
func TestCasePackHTML(t *testing.T) {
	var b bytes.Buffer
	if err := examplePack(true).HTML(&b, tokyo, time.Date(2026, 10, 5, 9, 0, 0, 0, tokyo)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"ケース会議資料 F-0012", "先生とけんかした", "<svg", "対応開始 U0SATO", "40分後", "家庭訪問", "定期チェックインを一時停止", "同意あり"} {
		if !strings.Contains(page, want) {
			t.Errorf("pack lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("pack has a script")
	}
	checkGolden(t, filepath.Join("testdata", "case-example.html"), b.Bytes())

	b.Reset()
	if err := examplePack(false).HTML(&b, tokyo, time.Date(2026, 10, 5, 9, 0, 0, 0, tokyo)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "先生とけんかした") || !strings.Contains(b.String(), "自由記述・非表示") {
		t.Error("a pack without text shows free text")
	}
}

// TestCaseAnswersHideText: free-text steps are hidden without text;
// choices and numbers are not.
func TestCaseAnswersHideText(t *testing.T) {
	f := &flows.Flow{ID: "x"}
	s := tsunagu.Session{Order: []string{"a"}, Answers: map[string]tsunagu.Answer{"a": {Value: "enc1:sealed"}}}
	got := caseAnswers(f, s, false)
	if len(got) != 1 || !got[0].Hidden || got[0].Answer != "" {
		t.Errorf("unknown step's text shown: %+v", got)
	}
}
