package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

func loadExample(t *testing.T, id string) *Flow {
	t.Helper()
	path := "../examples/flows/" + id + ".yaml"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, ds := Parse(path, src, Options{})
	if f == nil {
		t.Fatalf("%s:\n%s", path, ds)
	}
	return f
}

// TestSimulateGolden plays the example flows with scripted answers and
// compares what a coordinator would see with testdata/simulate/<name>.golden.
func TestSimulateGolden(t *testing.T) {
	tests := []struct {
		name      string
		flow      string
		answers   string
		json      bool
		completed bool
		missed    bool
		alerts    int
		opt       SimOptions // who is simulated
	}{
		{name: "weekly-child.good", flow: "weekly-child", answers: "1|1|1|8", completed: true},
		{name: "weekly-child.bad", flow: "weekly-child", answers: "3|ともだちとけんかした|まあまあ|3|2|ひとつ|１点",
			completed: true, alerts: 3},
		{name: "weekly-child.risk", flow: "weekly-child", answers: "3|ｼﾆﾀｲ|1|1|5", completed: true, alerts: 2},
		{name: "weekly-child.risk-abuse", flow: "weekly-child", answers: "3|お父さんに殴られた|1|1|5", completed: true, alerts: 2},
		{name: "weekly-child.risk-gentle", flow: "weekly-child", answers: "3|死にたくないけどこわい|1|1|5", completed: true, alerts: 2},
		{name: "weekly-child.ran-out", flow: "weekly-child", answers: "2|ねむれてる"},
		{name: "weekly-child.json", flow: "weekly-child", answers: "3|けんかした|1|3|9", json: true, completed: true, alerts: 2},
		{name: "weekly-child.skip-back", flow: "weekly-child", answers: "3|パス|:back|けんかした|:back|:back|:back|1|1|1|2",
			completed: true, alerts: 1},
		{name: "weekly-child.missed-streak", flow: "weekly-child", answers: "3|:missed", missed: true, alerts: 2,
			opt: SimOptions{StreakMissed: 1}},
		{name: "weekly-child.wait", flow: "weekly-child", answers: "1|:wait 24h|2|:wait 2d", missed: true},
		{name: "weekly-child.previous", flow: "weekly-child", answers: "1|1|1|4", completed: true, alerts: 1,
			opt: SimOptions{Previous: map[string]tsunagu.Answer{"energy": {Value: "9"}}}},
		{name: "monthly-guardian.talk", flow: "monthly-guardian", answers: "3|1|3|3|1|家賃が払えるか心配です",
			completed: true, alerts: 4},
		{name: "monthly-guardian.no-talk", flow: "monthly-guardian", answers: "1|5|1|1|いいえ", completed: true},
		{name: "signup.agree", flow: "signup", answers: "1|1", completed: true},
		{name: "signup-guardian.question", flow: "signup-guardian", answers: "2|だれが答えを見るのですか？|1|2", completed: true, alerts: 2},
		{name: "signup.decline", flow: "signup", answers: "3|1", completed: true, alerts: 2},
		{name: "signup-guardian.agree", flow: "signup-guardian", answers: "1|1", completed: true},
		{name: "signup-guardian.pt", flow: "signup-guardian", answers: "1|1", completed: true, opt: SimOptions{Lang: "pt"}},
		{name: "signup-guardian.en", flow: "signup-guardian", answers: "1|1", completed: true, opt: SimOptions{Lang: "en"}},
		{name: "half-yearly.scores", flow: "half-yearly", answers: "4|1|こたえない|2|ともだちができた", completed: true, alerts: 2,
			opt: SimOptions{Role: tsunagu.RoleGuardian, Previous: map[string]tsunagu.Answer{"spirit": {Value: "5"}}}},
		{name: "half-yearly.missed", flow: "half-yearly", answers: "1|:wait 3d|:wait 11d", missed: true, alerts: 2},
		{name: "talk.urgent", flow: "talk", answers: "1|1|2|2|書かない", completed: true, alerts: 2},
		{name: "talk.later", flow: "talk", answers: "5|3|3|先生とのこと", completed: true, alerts: 1},
		{name: "talk.missed", flow: "talk", answers: "2|:wait 2h", missed: true, alerts: 1, opt: SimOptions{Role: tsunagu.RoleGuardian}},
	}
	risk := NewRiskScanner(DefaultRiskWords)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := loadExample(t, tt.flow)
			var out bytes.Buffer
			opt := tt.opt
			opt.Risk, opt.JSON, opt.Now, opt.Location = risk, tt.json, t0, time.UTC
			tr, err := Simulate(&out, f, ScriptedAnswers(tt.answers), opt)
			if err != nil {
				t.Fatal(err)
			}
			ranOut := !tt.completed && !tt.missed
			if tr.Completed != tt.completed || tr.Missed != tt.missed || tr.RanOut != ranOut || len(tr.Alerts) != tt.alerts {
				t.Errorf("completed %v missed %v ran out %v alerts %d, want completed %v missed %v alerts %d",
					tr.Completed, tr.Missed, tr.RanOut, len(tr.Alerts), tt.completed, tt.missed, tt.alerts)
			}
			if tt.json {
				var back Transcript
				if err := json.Unmarshal(out.Bytes(), &back); err != nil || len(back.Events) != len(tr.Events) {
					t.Errorf("JSON does not read back: %v", err)
				}
			}
			checkGolden(t, "testdata/simulate/"+tt.name+".golden", out.String())
		})
	}
}

// TestSimulateAudience refuses to play a flow to a member it is not for,
// and says why.
func TestSimulateAudience(t *testing.T) {
	f := mustParse(t, `
id: tagged
title: 宇和島のこども
audience: {roles: [child], tags: [uwajima], exclude_tags: [paused]}
steps: [{id: a, say: a?, text: {}}]
`)
	tests := []struct {
		role tsunagu.Role
		tags []string
		want string // in the error; "" when it plays
	}{
		{tsunagu.RoleChild, []string{"uwajima"}, ""},
		{"", []string{"uwajima"}, ""},
		{tsunagu.RoleGuardian, []string{"uwajima"}, "役割 (role) guardian は対象外です"},
		{tsunagu.RoleChild, nil, "タグ (tags) （なし） のどれもありません"},
		{tsunagu.RoleChild, []string{"uwajima", "paused"}, "タグ paused は除外されています"},
	}
	for _, tt := range tests {
		_, err := Simulate(&bytes.Buffer{}, f, ScriptedAnswers("x"), SimOptions{Role: tt.role, Tags: tt.tags})
		var ae *AudienceError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s %v: %v", tt.role, tt.tags, err)
		case tt.want != "" && (!errors.As(err, &ae) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s %v: err %v, want one saying %q", tt.role, tt.tags, err, tt.want)
		}
	}
}

func TestSimulateInteractive(t *testing.T) {
	f := loadExample(t, "weekly-child")
	var out, prompts bytes.Buffer
	in := InteractiveAnswers(strings.NewReader("1\n1\n1\n"), &prompts)
	tr, err := Simulate(&out, f, in, SimOptions{Now: time.Time{}})
	if err != nil {
		t.Fatal(err)
	}
	// Three answers, then a fourth prompt that meets the end of input.
	if got := strings.Count(prompts.String(), "> "); got != 4 {
		t.Errorf("prompted %d times, want 4", got)
	}
	// Ctrl-D ends quietly: no word about answers running out, which is
	// for --answers.
	if tr.Completed || !tr.RanOut || strings.Contains(out.String(), "the answers ran out") || !strings.Contains(out.String(), "とちゅうまで") {
		t.Errorf("completed %v ran out %v:\n%s", tr.Completed, tr.RanOut, out.String())
	}
}

// TestSimulateTimeZone: the next occurrence shows in the schedule's own
// time zone, whatever the zone of the simulated clock.
func TestSimulateTimeZone(t *testing.T) {
	f := mustParse(t, `
id: tz
title: 時間帯
audience: {roles: [child]}
schedule: [{cron: "0 17 * * 5", timezone: Asia/Tokyo}]
steps: [{id: mood, say: どう？, choices: [いい]}]
`)
	var out bytes.Buffer
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	if _, err := Simulate(&out, f, ScriptedAnswers("いい"), SimOptions{Now: now, Location: time.UTC}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "次は (next) 2026-12-04 17:00 (金)") {
		t.Errorf("next occurrence not in Asia/Tokyo:\n%s", out.String())
	}
}

// TestSimulateCites: the end summary lists, under each alert, the answers
// its condition reads.
func TestSimulateCites(t *testing.T) {
	f := mustParse(t, engineFlow)
	var out bytes.Buffer
	tr, err := Simulate(&out, f, ScriptedAnswers("よくない|ねむい|36.5|5"), SimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "  ● [warning] 気分がよくない\n      もとになった答え (answers it cites):\n        気分は？ → よくない\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("summary lacks\n%s\nin:\n%s", want, out.String())
	}
	if len(tr.Alerts) == 0 || len(tr.Alerts[0].Cites) != 1 {
		t.Errorf("alerts = %+v", tr.Alerts)
	}
}

func TestSimulateButtonNumbers(t *testing.T) {
	// A choice whose own label is a number is picked by its label, not by
	// its position: "2" here is the choice labelled 2, the first button.
	f := mustParse(t, `
id: numbers
title: 数字のボタン
steps:
  - {id: times, say: 何回？, choices: ["2", "1", "0"]}
`)
	tr, err := Simulate(&bytes.Buffer{}, f, ScriptedAnswers("2"), SimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var member SimEvent
	for _, ev := range tr.Events {
		if ev.Kind == EventMember {
			member = ev
		}
	}
	if member.Tapped != "" || !tr.Completed {
		t.Errorf("member event %+v, completed %v", member, tr.Completed)
	}
	f = mustParse(t, `
id: letters
title: 文字のボタン
steps:
  - {id: pick, say: どれ？, choices: [あ, い, う]}
`)
	tr, err = Simulate(&bytes.Buffer{}, f, ScriptedAnswers("4|2"), SimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range tr.Events {
		kinds = append(kinds, ev.Kind)
		if ev.Kind == EventMember && ev.Text == "2" && ev.Tapped != "い" {
			t.Errorf("2 tapped %q, want い", ev.Tapped)
		}
	}
	if got := strings.Join(kinds, " "); got != "bot member reask bot bot member move bot" {
		t.Errorf("events %s", got)
	}
}
