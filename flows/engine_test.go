package flows

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

// engineFlow has a step of every kind, a branch by choice, an explicit
// `next` back, an explicit end, a choice that ends, and alerts.
const engineFlow = `
id: engine-test
title: エンジンのテスト
audience:
  roles: [child]
steps:
  - id: mood
    say: 気分は？
    choices:
      - label: いい
        value: good
      - label: よくない
        value: bad
        next: why
      - label: ハイ
        value: high
        next: end
  - id: energy
    say: 元気度は？
    number: {min: 0, max: 10}
    next: end
  - id: why
    say: なにがあった？
    text: {max_length: 10}
  - id: temp
    say: 体温は？
    number: {min: 35, integer: false}
    next: energy
alerts:
  - if: mood == "bad"
    severity: warning
    note: 気分がよくない
  - if: energy <= 2
    severity: urgent
    note: 元気度が低い
  - if: mood != "good"
    severity: info
    note: いいではない
done: おわり！
`

var (
	t0 = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
)

func mustParse(t *testing.T, src string) *Flow {
	t.Helper()
	f, ds := Parse("test.yaml", []byte(src), Options{})
	if f == nil || len(ds) > 0 {
		t.Fatalf("parse:\n%s", ds)
	}
	return f
}

// waitingAt is a session of f waiting on step, with answers already given.
func waitingAt(f *Flow, step string, answers map[string]string) *tsunagu.Session {
	s := f.Start("s1", "m1", t0, Env{}).Session
	s.Step = step
	for id, v := range answers {
		s.Answers[id] = tsunagu.Answer{Value: v, At: t0}
		s.Order = append(s.Order, id)
	}
	return s
}

func tap(step, value string) Input { return Input{Postback: encodePostback("s1", step, value)} }
func typed(text string) Input      { return Input{Text: text} }

func TestStart(t *testing.T) {
	f := mustParse(t, engineFlow)
	res := f.Start("s1", "m1", t0, Env{})
	want := &tsunagu.Session{
		ID: "s1", MemberID: "m1", FlowID: "engine-test", FlowHash: f.Hash,
		Step: "mood", Answers: map[string]tsunagu.Answer{}, Status: tsunagu.SessionWaiting, Visits: map[string]int{"mood": 1},
		StartedAt: t0, UpdatedAt: t0,
	}
	if !reflect.DeepEqual(res.Session, want) {
		t.Errorf("session = %+v, want %+v", res.Session, want)
	}
	wantMsgs := []tsunagu.Message{{Text: "気分は？", QuickReplies: []tsunagu.QuickReply{
		{Label: "いい", Data: "t1|s1|mood|good"},
		{Label: "よくない", Data: "t1|s1|mood|bad"},
		{Label: "ハイ", Data: "t1|s1|mood|high"},
	}}}
	if !reflect.DeepEqual(res.Messages, wantMsgs) {
		t.Errorf("messages = %+v, want %+v", res.Messages, wantMsgs)
	}
	if res.Ended || res.Reasked || len(res.Alerts) > 0 || len(f.Hash) != 64 {
		t.Errorf("result = %+v, hash %q", res, f.Hash)
	}
}

func TestResume(t *testing.T) {
	f := mustParse(t, engineFlow)
	const choiceReask = "ごめんね、うまく受け取れなかったよ。「いい」「よくない」「ハイ」から、ボタンで選んでね。"
	tests := []struct {
		name     string
		at       string // the step the session waits on
		in       Input
		wantErr  error
		wantStep string // where the session waits after; "" when it ended
		want     *tsunagu.Answer
		reasked  bool
		texts    []string // the texts of the messages sent
	}{
		{name: "choice by postback", at: "mood", in: tap("mood", "good"),
			wantStep: "energy", want: &tsunagu.Answer{Value: "good", Label: "いい"}, texts: []string{"元気度は？"}},
		{name: "choice typed as label", at: "mood", in: typed("いい"),
			wantStep: "energy", want: &tsunagu.Answer{Value: "good", Label: "いい"}, texts: []string{"元気度は？"}},
		{name: "choice typed as value, any case", at: "mood", in: typed(" GOOD "),
			wantStep: "energy", want: &tsunagu.Answer{Value: "good", Label: "いい"}, texts: []string{"元気度は？"}},
		{name: "choice typed in katakana and with a mark", at: "mood", in: typed("イイ！"),
			wantStep: "energy", want: &tsunagu.Answer{Value: "good", Label: "いい"}, texts: []string{"元気度は？"}},
		{name: "choice typed in half-width katakana", at: "mood", in: typed("ﾊｲ"),
			wantStep: "", want: &tsunagu.Answer{Value: "high", Label: "ハイ"}, texts: []string{"おわり！"}},
		{name: "branch by the choice's next", at: "mood", in: tap("mood", "bad"),
			wantStep: "why", want: &tsunagu.Answer{Value: "bad", Label: "よくない"}, texts: []string{"なにがあった？"}},
		{name: "choice that does not match is re-asked", at: "mood", in: typed("まあまあ"),
			wantStep: "mood", reasked: true, texts: []string{choiceReask, "気分は？"}},
		{name: "empty text on a choice step is re-asked", at: "mood", in: typed(""),
			wantStep: "mood", reasked: true, texts: []string{choiceReask, "気分は？"}},
		{name: "postback with a value no choice has is re-asked", at: "mood", in: tap("mood", "gone"),
			wantStep: "mood", reasked: true, texts: []string{choiceReask, "気分は？"}},
		{name: "postback from another session is stale", at: "mood",
			in: Input{Postback: encodePostback("s0", "mood", "good")}, wantErr: ErrStaleAnswer},
		{name: "postback for another step is stale", at: "energy", in: tap("mood", "good"), wantErr: ErrStaleAnswer},
		{name: "postback that is not ours is stale", at: "mood", in: Input{Postback: "action=menu"}, wantErr: ErrStaleAnswer},
		{name: "number, explicit next end", at: "energy", in: typed("7"),
			wantStep: "", want: &tsunagu.Answer{Value: "7"}, texts: []string{"おわり！"}},
		{name: "number in full-width digits", at: "energy", in: typed("１０"),
			wantStep: "", want: &tsunagu.Answer{Value: "10"}, texts: []string{"おわり！"}},
		{name: "number with a word after it", at: "energy", in: typed("5点"),
			wantStep: "", want: &tsunagu.Answer{Value: "5"}, texts: []string{"おわり！"}},
		{name: "number with です", at: "energy", in: typed("３です"),
			wantStep: "", want: &tsunagu.Answer{Value: "3"}, texts: []string{"おわり！"}},
		{name: "number above max is re-asked", at: "energy", in: typed("11"),
			wantStep: "energy", reasked: true, texts: []string{"ごめんね、0から10の数字で教えてね。", "元気度は？"}},
		{name: "decimal on an integer step is re-asked", at: "energy", in: typed("3.5"),
			wantStep: "energy", reasked: true, texts: []string{"ごめんね、0から10の数字で教えてね。", "元気度は？"}},
		{name: "two numbers are re-asked", at: "energy", in: typed("3か4"),
			wantStep: "energy", reasked: true, texts: []string{"ごめんね、0から10の数字で教えてね。", "元気度は？"}},
		{name: "words are re-asked on a number step", at: "energy", in: typed("げんき"),
			wantStep: "energy", reasked: true, texts: []string{"ごめんね、0から10の数字で教えてね。", "元気度は？"}},
		{name: "decimal allowed, explicit next", at: "temp", in: typed("36.5"),
			wantStep: "energy", want: &tsunagu.Answer{Value: "36.5"}, texts: []string{"元気度は？"}},
		{name: "below min is re-asked", at: "temp", in: typed("20"),
			wantStep: "temp", reasked: true, texts: []string{"ごめんね、35以上の数字（小数もOK）で教えてね。", "体温は？"}},
		{name: "text, on to the following step", at: "why", in: typed("  ねむい  "),
			wantStep: "temp", want: &tsunagu.Answer{Value: "ねむい"}, texts: []string{"体温は？"}},
		{name: "empty text is re-asked", at: "why", in: typed("  "),
			wantStep: "why", reasked: true, texts: []string{"ごめんね、うまく受け取れなかったよ。ことばで教えてね。", "なにがあった？"}},
		{name: "long text is re-asked", at: "why", in: typed("あいうえおかきくけこさ"),
			wantStep: "why", reasked: true, texts: []string{"ごめんね、ちょっと長すぎたみたい。10文字までで教えてね。", "なにがあった？"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := waitingAt(f, tt.at, nil)
			before := cloneSession(s)
			res, err := f.Resume(s, tt.in, t1, Env{})
			if !reflect.DeepEqual(s, before) {
				t.Errorf("Resume changed its input session:\n got %+v\nwant %+v", s, before)
			}
			if tt.wantErr != nil || err != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			got := res.Session
			if got.Step != tt.wantStep || res.Reasked != tt.reasked || res.Ended != (tt.wantStep == "") {
				t.Errorf("step %q reasked %v ended %v, want step %q reasked %v", got.Step, res.Reasked, res.Ended, tt.wantStep, tt.reasked)
			}
			if res.Ended && got.Status != tsunagu.SessionCompleted || !res.Ended && got.Status != tsunagu.SessionWaiting {
				t.Errorf("status %q with ended %v", got.Status, res.Ended)
			}
			if tt.reasked {
				if got.Reasks != 1 || len(got.Answers) != 0 {
					t.Errorf("reasks %d answers %v, want 1 and none", got.Reasks, got.Answers)
				}
				if last := res.Messages[len(res.Messages)-1]; !reflect.DeepEqual(last, f.question(s, f.Step(tt.at))) {
					t.Errorf("re-ask does not end with the question and its buttons: %+v", last)
				}
			}
			if tt.want != nil {
				want := *tt.want
				want.At = t1
				if a := got.Answers[tt.at]; a != want {
					t.Errorf("answer = %+v, want %+v", a, want)
				}
				if o := got.Order; len(o) != 1 || o[0] != tt.at {
					t.Errorf("order = %v, want [%s]", o, tt.at)
				}
			}
			var texts []string
			for _, m := range res.Messages {
				texts = append(texts, m.Text)
			}
			if !reflect.DeepEqual(texts, tt.texts) {
				t.Errorf("texts = %q, want %q", texts, tt.texts)
			}
			if got.UpdatedAt != t1 || got.StartedAt != t0 || got.Version != s.Version {
				t.Errorf("times %v %v version %d", got.StartedAt, got.UpdatedAt, got.Version)
			}
		})
	}
}

func TestResumeRefuses(t *testing.T) {
	f := mustParse(t, engineFlow)
	other := mustParse(t, strings.Replace(engineFlow, "id: engine-test", "id: other", 1))
	done := waitingAt(f, "mood", nil)
	done.Status, done.Step = tsunagu.SessionCompleted, ""
	missed := waitingAt(f, "mood", nil)
	missed.Status = tsunagu.SessionMissed

	tests := []struct {
		name string
		f    *Flow
		s    *tsunagu.Session
		want error
	}{
		{"completed session", f, done, ErrNotWaiting},
		{"missed session", f, missed, ErrNotWaiting},
		{"no session", f, nil, ErrNotWaiting},
		{"another flow's session", other, waitingAt(f, "mood", nil), ErrWrongFlow},
		{"step removed by an edit", f, waitingAt(f, "sleep", nil), ErrStepGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.f.Resume(tt.s, typed("いい"), t1, Env{}); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReasksCountAndReset(t *testing.T) {
	f := mustParse(t, engineFlow)
	s := waitingAt(f, "energy", nil)
	for range 2 {
		res, err := f.Resume(s, typed("たくさん"), t1, Env{})
		if err != nil {
			t.Fatal(err)
		}
		s = res.Session
	}
	if s.Reasks != 2 {
		t.Fatalf("reasks = %d, want 2", s.Reasks)
	}
	s = waitingAt(f, "mood", nil)
	s.Reasks = 3
	res, err := f.Resume(s, tap("mood", "good"), t1, Env{})
	if err != nil || res.Session.Reasks != 0 {
		t.Errorf("reasks after moving on = %d (err %v), want 0", res.Session.Reasks, err)
	}
}

// TestRun walks whole sessions and checks the alerts raised at the end.
func TestRun(t *testing.T) {
	f := mustParse(t, engineFlow)
	tests := []struct {
		name    string
		inputs  []string // typed, or "tap:value" for a button on the current step
		reasons []string
		answers []tsunagu.QA // of the first alert
	}{
		{name: "good and energetic raises nothing", inputs: []string{"tap:good", "8"}},
		{name: "low energy", inputs: []string{"いい", "1"}, reasons: []string{"元気度が低い"},
			answers: []tsunagu.QA{{Question: "気分は？", Answer: "いい"}, {Question: "元気度は？", Answer: "1"}}},
		{name: "bad mood through why and temp, then low energy",
			inputs:  []string{"tap:bad", "ねむい", "36.5", "2"},
			reasons: []string{"気分がよくない", "元気度が低い", "いいではない"},
			answers: []tsunagu.QA{{Question: "気分は？", Answer: "よくない"}, {Question: "なにがあった？", Answer: "ねむい"},
				{Question: "体温は？", Answer: "36.5"}, {Question: "元気度は？", Answer: "2"}}},
		{name: "unanswered energy never fires its alert", inputs: []string{"tap:high"}, reasons: []string{"いいではない"},
			answers: []tsunagu.QA{{Question: "気分は？", Answer: "ハイ"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.Start("s1", "m1", t0, Env{})
			for i, in := range tt.inputs {
				if res.Ended {
					t.Fatalf("ended before input %d", i)
				}
				input := typed(in)
				if v, ok := strings.CutPrefix(in, "tap:"); ok {
					input = tap(res.Session.Step, v)
				}
				var err error
				if res, err = f.Resume(res.Session, input, t1, Env{}); err != nil {
					t.Fatal(err)
				}
				if res.Reasked {
					t.Fatalf("input %q re-asked", in)
				}
			}
			if !res.Ended || res.Session.Status != tsunagu.SessionCompleted || res.Session.Step != "" {
				t.Fatalf("not ended: %+v", res.Session)
			}
			var reasons []string
			for _, a := range res.Alerts {
				reasons = append(reasons, a.Reason)
				if a.FlowID != f.ID || a.FlowTitle != f.Title || !a.CreatedAt.Equal(t1) || !a.Severity.Valid() {
					t.Errorf("alert %+v", a)
				}
			}
			if !reflect.DeepEqual(reasons, tt.reasons) {
				t.Errorf("alerts %q, want %q", reasons, tt.reasons)
			}
			if len(res.Alerts) > 0 && !reflect.DeepEqual(res.Alerts[0].Answers, tt.answers) {
				t.Errorf("answers %+v, want %+v", res.Alerts[0].Answers, tt.answers)
			}
		})
	}
}

func TestAlertConditions(t *testing.T) {
	f := mustParse(t, `
id: alert-test
title: アラート
steps:
  - {id: mood, say: 気分は？, choices: [いい, よくない]}
  - {id: energy, say: 元気度は？, number: {}}
  - {id: note, say: ひとこと, text: {}}
alerts:
  - {if: 'mood == "よくない"', severity: warning, note: mood}
  - {if: energy <= 2, severity: urgent, note: energy}
  - {if: 'energy <= 2 or mood == "よくない"', severity: info, note: either}
  - {if: 'note contains "ねむ"', severity: info, note: text}
  - {if: '"note" in answers', severity: info, note: wrote}
  - {if: 'mood != "いい"', severity: info, note: not-good}
`)
	tests := []struct {
		name    string
		answers map[string]string
		want    []string
	}{
		{"nothing answered", nil, nil},
		{"mood only: an `or` reading unanswered energy is false", map[string]string{"mood": "よくない"}, []string{"mood", "not-good"}},
		{"energy low", map[string]string{"mood": "いい", "energy": "1.5"}, []string{"energy", "either"}},
		{"energy high", map[string]string{"mood": "いい", "energy": "9"}, nil},
		{"both answered", map[string]string{"mood": "よくない", "energy": "5"}, []string{"mood", "either", "not-good"}},
		{"`!=` on an unanswered step is false", map[string]string{"note": "ねむいよ"}, []string{"text", "wrote"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := waitingAt(f, "", tt.answers)
			var got []string
			for _, a := range f.raise(s, f.vars(s, Env{}, false), WhenEnd, t1) {
				got = append(got, a.Reason)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("alerts %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPostbackRoundTrip(t *testing.T) {
	tests := []struct {
		data               string
		session, step, val string
		ok                 bool
	}{
		{data: encodePostback("s-1", "mood", "good"), session: "s-1", step: "mood", val: "good", ok: true},
		{data: encodePostback("s", "why", "a|b"), session: "s", step: "why", val: "a|b", ok: true},
		{data: "t1|s|mood", ok: false},
		{data: "t2|s|mood|good", ok: false},
		{data: "t1||mood|good", ok: false},
		{data: "action=buy&item=1", ok: false},
	}
	for _, tt := range tests {
		s, st, v, ok := ParsePostback(tt.data)
		if ok != tt.ok || ok && (s != tt.session || st != tt.step || v != tt.val) {
			t.Errorf("ParsePostback(%q) = %q %q %q %v", tt.data, s, st, v, ok)
		}
	}
}

func TestPoliteWordingForGuardians(t *testing.T) {
	f := mustParse(t, `
id: guardian
title: 保護者
audience: {roles: [guardian]}
steps:
  - {id: month, say: どうでしたか？, choices: [よかった, たいへん]}
`)
	res, err := f.Resume(waitingAt(f, "month", nil), typed("?"), t1, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Messages[0].Text; got != "すみません、うまく受け取れませんでした。「よかった」「たいへん」から、ボタンで選んでください。" {
		t.Errorf("re-ask %q, want the polite one", got)
	}
	if f.Done != polite.done {
		t.Errorf("done %q, want the polite default", f.Done)
	}
}
