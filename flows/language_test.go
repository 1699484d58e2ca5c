package flows

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

// langFlow uses the whole language: say lists and placeholders, every kind
// of step, optional steps, retry_say, `next:` rules, alerts of both `when`s
// reading history, tags and roles.
const langFlow = `
id: lang-test
title: 言語のテスト
audience: {roles: [child, guardian], tags: [uwajima, seiyo], exclude_tags: [paused]}
on: {keyword: [相談, 話したい]}
expires_after: 2d
reminders:
  - {after: 24h, say: "まだ待ってるよ"}
  - {after: 36h, say: "{{answers.mood}}って言ってたね"}
missed: {streak: 2, note: 2回つづけて未回答}
risk_words_extra: [家出]
steps:
  - id: mood
    say: [こんにちは！, 気分は？]
    choices:
      - {label: いい, value: good}
      - {label: よくない, value: bad}
  - id: energy
    say: ["「{{answers.mood}}」なんだね。", 元気は？]
    scale: {min: 1, max: 7, labels: {min: ぜんぜん, max: とても}}
    retry_say: 1から7で教えてね
    next:
      - if: energy <= 2
        goto: talk
      - if: previous("energy") != nil and energy <= previous("energy") - 3
        goto: talk
      - goto: note
  - id: talk
    say: 話したい？
    yesno: {}
    next:
      - {if: talk == "no", goto: end}
  - id: note
    say: ひとことどうぞ
    text: {max_length: 20}
    optional: true
    skip_label: なし
  - id: age
    say: 何歳？
    number: {min: 0, max: 120}
    optional: true
alerts:
  - {if: energy <= 1, severity: urgent, note: とても低い, when: answered}
  - {if: talk == "yes", severity: warning, note: 話したい, when: answered}
  - {if: mood == "bad", severity: info, note: 気分がよくない}
  - {if: 'missed and mood == "bad"', severity: warning, note: 気分がよくないまま未回答}
  - {if: '"seiyo" in family.tags and member.role == "guardian"', severity: info, note: 西予の保護者}
  - {if: streak_missed >= 1 and mood == "good", severity: info, note: 前回は未回答}
  - {if: energy <= previous("energy") - 3, severity: warning, note: 元気が下がった}
done: ありがとう、{{answers.mood}}の日もあるよね。
`

// play answers step by step from s, failing on a re-ask or an error.
func play(t *testing.T, f *Flow, res Result, env Env, inputs ...string) Result {
	t.Helper()
	for i, in := range inputs {
		if res.Ended {
			t.Fatalf("ended before input %d (%q)", i, in)
		}
		input := typed(in)
		if v, ok := strings.CutPrefix(in, "tap:"); ok {
			input = Input{Postback: encodePostback(res.Session.ID, res.Session.Step, v)}
		}
		var err error
		if res, err = f.Resume(res.Session, input, t1, env); err != nil {
			t.Fatalf("input %q: %v", in, err)
		}
		if res.Reasked {
			t.Fatalf("input %q re-asked: %+v", in, res.Messages)
		}
	}
	return res
}

func texts(msgs []tsunagu.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

func reasons(alerts []tsunagu.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Reason)
	}
	return out
}

func labels(m tsunagu.Message) []string {
	var out []string
	for _, q := range m.QuickReplies {
		out = append(out, q.Label)
	}
	return out
}

var kid = Env{Role: tsunagu.RoleChild, Tags: []string{"uwajima"}}

func TestSayListAndPlaceholders(t *testing.T) {
	f := mustParse(t, langFlow)
	res := f.Start("s1", "m1", t0, kid)
	if got := texts(res.Messages); !reflect.DeepEqual(got, []string{"こんにちは！", "気分は？"}) {
		t.Fatalf("start texts %q", got)
	}
	if res.Messages[0].QuickReplies != nil || len(res.Messages[1].QuickReplies) != 2 {
		t.Errorf("buttons must hang on the last text only: %+v", res.Messages)
	}
	res = play(t, f, res, kid, "tap:bad")
	if got := texts(res.Messages); !reflect.DeepEqual(got, []string{"「よくない」なんだね。", "元気は？"}) {
		t.Errorf("placeholder texts %q, want the choice's label", got)
	}
	q, ok := f.Prompt(res.Session)
	if !ok || q.Text != "元気は？" || len(q.QuickReplies) != 7 {
		t.Errorf("prompt %+v %v: want only the question, with its buttons", q, ok)
	}
	res = play(t, f, res, kid, "3", "なし")
	res = play(t, f, res, kid, "10")
	if !res.Ended || res.Messages[0].Text != "ありがとう、よくないの日もあるよね。" {
		t.Errorf("done %q", texts(res.Messages))
	}
}

func TestRender(t *testing.T) {
	s := &tsunagu.Session{Answers: map[string]tsunagu.Answer{
		"mood":  {Value: "bad", Label: "よくない"},
		"n":     {Value: "7"},
		"skip":  {Skipped: true, Label: "スキップ"},
		"angry": {Value: "{{answers.n}}"},
	}}
	tests := []struct{ in, want string }{
		{"{{answers.mood}}", "よくない"},
		{"{{ answers.n }}点", "7点"},
		{"[{{answers.skip}}]", "[]"},
		{"[{{answers.none}}]", "[]"},
		{"{{answers.angry}}", "{{answers.n}}"}, // an answer is never rendered again
		{"{{family.code}}", "{{family.code}}"},
		{"no placeholder", "no placeholder"},
	}
	for _, tt := range tests {
		if got := render(tt.in, s); got != tt.want {
			t.Errorf("render(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	s.Answers["long"] = tsunagu.Answer{Value: strings.Repeat("あ", MaxMessageLen)}
	if got := render("x{{answers.long}}", s); lineLen(got) != MaxMessageLen {
		t.Errorf("rendered %d units, want it cut to %d", lineLen(got), MaxMessageLen)
	}
}

func TestStepKinds(t *testing.T) {
	f := mustParse(t, langFlow)
	tests := []struct {
		name    string
		at      string
		in      Input
		want    *tsunagu.Answer // nil: re-asked
		reask   string          // the text before the question when re-asked
		wantTo  string
		buttons []string // of the step waited on, for the first case of a step
	}{
		{name: "scale by tap", at: "energy", in: tap("energy", "4"), want: &tsunagu.Answer{Value: "4", Label: "4"}, wantTo: "note",
			buttons: []string{"1 ぜんぜん", "2", "3", "4", "5", "6", "7 とても"}},
		{name: "scale typed in full width", at: "energy", in: typed("２"), want: &tsunagu.Answer{Value: "2", Label: "2"}, wantTo: "talk"},
		{name: "scale typed with a word", at: "energy", in: typed("7点"), want: &tsunagu.Answer{Value: "7", Label: "7 とても"}, wantTo: "note"},
		{name: "scale by its end label", at: "energy", in: typed("ゼンゼン"), want: &tsunagu.Answer{Value: "1", Label: "1 ぜんぜん"}, wantTo: "talk"},
		{name: "scale out of range uses retry_say", at: "energy", in: typed("8"), reask: "1から7で教えてね"},
		{name: "yesno by tap", at: "talk", in: tap("talk", "yes"), want: &tsunagu.Answer{Value: "yes", Label: "はい"}, wantTo: "note",
			buttons: []string{"はい", "いいえ"}},
		{name: "yesno typed", at: "talk", in: typed("いいえ"), want: &tsunagu.Answer{Value: "no", Label: "いいえ"}, wantTo: End},
		{name: "yesno other words are re-asked", at: "talk", in: typed("たぶん"), reask: "ごめんね、うまく受け取れなかったよ。「はい」「いいえ」から、ボタンで選んでね。"},
		{name: "optional text skipped by its button", at: "note", in: tap("note", skipValue),
			want: &tsunagu.Answer{Skipped: true, Label: "なし"}, wantTo: "age", buttons: []string{"なし"}},
		{name: "optional text skipped by typing the label", at: "note", in: typed("ナシ"),
			want: &tsunagu.Answer{Skipped: true, Label: "なし"}, wantTo: "age"},
		{name: "optional text answered", at: "note", in: typed("ねむい"), want: &tsunagu.Answer{Value: "ねむい"}, wantTo: "age"},
		{name: "too long text says the limit, not retry_say", at: "note", in: typed(strings.Repeat("あ", 21)),
			reask: "ごめんね、ちょっと長すぎたみたい。20文字までで教えてね。"},
		{name: "optional number skipped with the default label", at: "age", in: typed("スキップ"),
			want: &tsunagu.Answer{Skipped: true, Label: DefaultSkipLabel}, wantTo: End, buttons: []string{DefaultSkipLabel}},
		{name: "skip button on a step that is not optional is re-asked", at: "mood", in: tap("mood", skipValue), reask: "ごめんね、うまく受け取れなかったよ。「いい」「よくない」から、ボタンで選んでね。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := waitingAt(f, tt.at, nil)
			if tt.buttons != nil {
				q, _ := f.Prompt(s)
				if got := labels(q); !reflect.DeepEqual(got, tt.buttons) {
					t.Errorf("buttons %q, want %q", got, tt.buttons)
				}
			}
			res, err := f.Resume(s, tt.in, t1, kid)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if !res.Reasked || len(res.Messages) != 2 || res.Messages[0].Text != tt.reask {
					t.Errorf("want a re-ask with %q, got %+v", tt.reask, res)
				}
				return
			}
			want := *tt.want
			want.At = t1
			if got := res.Session.Answers[tt.at]; got != want {
				t.Errorf("answer %+v, want %+v", got, want)
			}
			if got := stepOrEnd(res.Session.Step); got != tt.wantTo {
				t.Errorf("went to %q, want %q", got, tt.wantTo)
			}
		})
	}
}

func TestSkippedAnswersInConditionsAndQA(t *testing.T) {
	f := mustParse(t, `
id: skip
title: スキップ
steps:
  - {id: score, say: 何点？, scale: {}, optional: true}
alerts:
  - {if: score <= 2, severity: info, note: low}
  - {if: '"score" in answers', severity: info, note: answered}
`)
	res := play(t, f, f.Start("s1", "m1", t0, kid), kid, "スキップ")
	if len(res.Alerts) != 0 {
		t.Errorf("a skipped step is unanswered for conditions, got %q", reasons(res.Alerts))
	}
	if qa := f.QA(res.Session); len(qa) != 1 || qa[0].Answer != "（スキップ）" {
		t.Errorf("QA %+v", qa)
	}
}

func TestNextRules(t *testing.T) {
	f := mustParse(t, langFlow)
	tests := []struct {
		name     string
		previous string // the last session's energy, "" for none
		energy   string
		want     string
	}{
		{"low goes to talk", "", "2", "talk"},
		{"high falls to the default", "", "4", "note"},
		{"no previous session: previous() is nil and the rule is false", "", "3", "note"},
		{"a drop of 3 since last time goes to talk", "7", "4", "talk"},
		{"a drop of 2 does not", "6", "4", "note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := kid
			if tt.previous != "" {
				env.Previous = map[string]tsunagu.Answer{"energy": {Value: tt.previous}}
			}
			res := play(t, f, f.Start("s1", "m1", t0, env), env, "tap:good", tt.energy)
			if res.Session.Step != tt.want {
				t.Errorf("at %q, want %q", res.Session.Step, tt.want)
			}
		})
	}
	// Without a default, a list whose rules all fail falls through to
	// the following step.
	g := mustParse(t, `
id: fall
title: t
steps:
  - {id: a, say: a?, yesno: {}, next: [{if: a == "yes", goto: c}]}
  - {id: b, say: b?, text: {}}
  - {id: c, say: c?, text: {}}
`)
	for in, want := range map[string]string{"はい": "c", "いいえ": "b"} {
		if res := play(t, g, g.Start("s1", "m1", t0, kid), kid, in); res.Session.Step != want {
			t.Errorf("%s: at %q, want %q", in, res.Session.Step, want)
		}
	}
}

func TestAnsweredAlertsFireOnce(t *testing.T) {
	f := mustParse(t, langFlow)
	res := f.Start("s1", "m1", t0, kid)
	res = play(t, f, res, kid, "tap:bad")
	if len(res.Alerts) != 0 {
		t.Fatalf("end alert fired mid-flow: %q", reasons(res.Alerts))
	}
	res = play(t, f, res, kid, "1")
	if got := reasons(res.Alerts); !reflect.DeepEqual(got, []string{"とても低い"}) || res.Ended {
		t.Fatalf("after energy 1: alerts %q ended %v, want the answered alert at once", got, res.Ended)
	}
	if !slices.Equal(res.Session.Alerted, []int{0}) {
		t.Errorf("alerted %v, want [0]", res.Session.Alerted)
	}
	if a := res.Alerts[0]; a.Severity != tsunagu.SeverityUrgent || len(a.Answers) != 2 {
		t.Errorf("alert %+v", a)
	}
	res = play(t, f, res, kid, "はい")
	if got := reasons(res.Alerts); !reflect.DeepEqual(got, []string{"話したい"}) {
		t.Errorf("after talk: %q, want only the new answered alert", got)
	}
	res = play(t, f, res, kid, "ねむい", "12")
	if got := reasons(res.Alerts); !reflect.DeepEqual(got, []string{"気分がよくない"}) || !res.Ended {
		t.Errorf("at the end: %q, want the end alerts only (answered ones fired already)", got)
	}
}

func TestExpire(t *testing.T) {
	f := mustParse(t, langFlow)
	res := play(t, f, f.Start("s1", "m1", t0, kid), kid, "tap:bad", "1")
	open := res.Session
	exp := f.Expire(open, t1.Add(48*time.Hour), kid)
	if !exp.Ended || exp.Session.Status != tsunagu.SessionMissed || exp.Session.Step != "" || len(exp.Messages) != 0 {
		t.Fatalf("expired %+v", exp)
	}
	if !reflect.DeepEqual(exp.Session.Answers, open.Answers) || open.Status != tsunagu.SessionWaiting {
		t.Errorf("answers not kept or input changed")
	}
	if got := reasons(exp.Alerts); !reflect.DeepEqual(got, []string{"気分がよくない", "気分がよくないまま未回答"}) {
		t.Errorf("alerts %q: want end alerts, with `missed` true, and not the answered one again", got)
	}
	again := f.Expire(exp.Session, t1, kid)
	if again.Ended || len(again.Alerts) != 0 || again.Session.Status != tsunagu.SessionMissed {
		t.Errorf("expiring an ended session did something: %+v", again)
	}
}

func TestEnvInConditions(t *testing.T) {
	f := mustParse(t, langFlow)
	tests := []struct {
		name string
		env  Env
		want []string
	}{
		{"child of uwajima", kid, nil},
		{"guardian of seiyo", Env{Role: tsunagu.RoleGuardian, Tags: []string{"seiyo"}}, []string{"西予の保護者"}},
		{"missed last time", Env{Role: tsunagu.RoleChild, StreakMissed: 1}, []string{"前回は未回答"}},
		{"energy fell by 3", Env{Role: tsunagu.RoleChild, Previous: map[string]tsunagu.Answer{"energy": {Value: "5"}}}, []string{"元気が下がった"}},
		{"a skipped previous answer is none", Env{Role: tsunagu.RoleChild, Previous: map[string]tsunagu.Answer{"energy": {Skipped: true}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := play(t, f, f.Start("s1", "m1", t0, tt.env), tt.env, "tap:good", "2", "いいえ")
			if got := reasons(res.Alerts); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("alerts %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoopGuard(t *testing.T) {
	f := mustParse(t, `
id: loop
title: ループ
steps:
  - id: again
    say: もう一回？
    yesno: {}
    next:
      - {if: again == "yes", goto: again}
      - goto: end
`)
	res := f.Start("s1", "m1", t0, kid)
	for i := 1; i < MaxVisits; i++ {
		res = play(t, f, res, kid, "はい")
		if res.Ended || res.Session.Visits["again"] != i+1 {
			t.Fatalf("after %d answers: ended %v visits %v", i, res.Ended, res.Session.Visits)
		}
	}
	res = play(t, f, res, kid, "はい")
	if !res.Ended || res.Session.Status != tsunagu.SessionMissed || res.Session.Step != "" {
		t.Fatalf("the %dth entry did not stop the session: %+v", MaxVisits+1, res.Session)
	}
	if got := texts(res.Messages); !reflect.DeepEqual(got, []string{casual.loop}) {
		t.Errorf("member got %q", got)
	}
	if len(res.Alerts) != 1 || res.Alerts[0].Severity != tsunagu.SeverityWarning || !strings.HasPrefix(res.Alerts[0].Reason, LoopGuardNote) {
		t.Errorf("alerts %+v", res.Alerts)
	}
	// The way out still works before the guard.
	if res := play(t, f, f.Start("s1", "m1", t0, kid), kid, "はい", "いいえ"); res.Session.Status != tsunagu.SessionCompleted {
		t.Errorf("status %q", res.Session.Status)
	}
}

func TestReminder(t *testing.T) {
	f := mustParse(t, langFlow)
	res := play(t, f, f.Start("s1", "m1", t0, kid), kid, "tap:bad")
	tests := []struct {
		name  string
		s     *tsunagu.Session
		i     int
		texts []string
	}{
		{"first", res.Session, 0, []string{"まだ待ってるよ", "元気は？"}},
		{"second quotes an answer", res.Session, 1, []string{"よくないって言ってたね", "元気は？"}},
		{"out of range", res.Session, 2, nil},
		{"negative", res.Session, -1, nil},
		{"ended session", f.Expire(res.Session, t1, kid).Session, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, ok := f.Reminder(tt.s, tt.i)
			if ok != (tt.texts != nil) || !reflect.DeepEqual(texts(msgs), tt.texts) {
				t.Errorf("reminder = %q %v, want %q", texts(msgs), ok, tt.texts)
			}
			if ok && len(msgs[1].QuickReplies) != 7 {
				t.Errorf("the question comes without its buttons")
			}
		})
	}
}

func TestAudienceKeywordsAndLiving(t *testing.T) {
	f := mustParse(t, langFlow)
	audience := []struct {
		role tsunagu.Role
		tags []string
		want bool
	}{
		{tsunagu.RoleChild, []string{"uwajima"}, true},
		{tsunagu.RoleGuardian, []string{"x", "seiyo"}, true},
		{tsunagu.RoleChild, nil, false},
		{tsunagu.RoleChild, []string{"matsuyama"}, false},
		{tsunagu.RoleChild, []string{"uwajima", "paused"}, false},
		{"", []string{"uwajima"}, false},
	}
	for _, tt := range audience {
		if got := f.ForAudience(tt.role, tt.tags); got != tt.want {
			t.Errorf("ForAudience(%s, %v) = %v", tt.role, tt.tags, got)
		}
	}
	for text, want := range map[string]bool{"相談があります": true, "ハナシタイ": false, "話し たい です": true, "そうだん": false, "": false, "元気": false} {
		if got := f.MatchKeyword(text); got != want {
			t.Errorf("MatchKeyword(%q) = %v", text, got)
		}
	}
	if f.ExpiresAfter != 48*time.Hour || len(f.Reminders) != 2 || f.Reminders[1].After != 36*time.Hour {
		t.Errorf("expires %v reminders %+v", f.ExpiresAfter, f.Reminders)
	}
	if m := f.Missed; m == nil || m.Streak != 2 || m.Severity != tsunagu.SeverityWarning || m.Note != "2回つづけて未回答" {
		t.Errorf("missed %+v", f.Missed)
	}
	if !reflect.DeepEqual(f.RiskWords(), []string{"家出"}) || f.OnEnrol || len(f.Schedules) != 0 {
		t.Errorf("risk words %v on enrol %v schedules %v", f.RiskWords(), f.OnEnrol, f.Schedules)
	}
	g := mustParse(t, `
id: scheduled
title: 予定
on: enrol
schedule:
  - "0 17 * * 5"
  - {cron: "@monthly", timezone: Asia/Tokyo}
steps: [{id: consent, say: a?, text: {}}]
`)
	if !g.OnEnrol || len(g.Schedules) != 2 || g.ExpiresAfter != DefaultExpiresAfter {
		t.Fatalf("%+v", g)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	from := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC) // a Tuesday
	if got := g.Schedules[0].Next(from, tokyo); !got.Equal(time.Date(2025, 4, 4, 17, 0, 0, 0, tokyo)) {
		t.Errorf("Friday 17:00 in the default zone: got %v", got)
	}
	if got := g.Schedules[1].Next(from, time.UTC); !got.Equal(time.Date(2025, 5, 1, 0, 0, 0, 0, tokyo)) {
		t.Errorf("monthly in its own zone: got %v", got)
	}
}
