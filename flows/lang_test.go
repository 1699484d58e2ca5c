package flows

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu"
)

// trilingual speaks Japanese (its default), English and Portuguese.
const trilingual = `
id: trilingual
title: 三か国語のチェックイン
languages: [ja, en, pt]
audience: {roles: [guardian]}
reminders:
  - {after: 12h, say: {ja: まだお待ちしています, en: We are still waiting, pt: Ainda estamos esperando}}
steps:
  - id: month
    say:
      ja: [こんにちは。, この1か月はいかがでしたか？]
      en: [Hello., How was this month?]
      pt: [Olá., Como foi este mês?]
    choices:
      - {label: {ja: よかった, en: Good, pt: Bom}, value: good}
      - {label: {ja: 大変だった, en: Hard, pt: Difícil}, value: hard}
  - id: sleep
    say: {ja: "「{{answers.month}}」ですね。よく眠れていますか？", en: "“{{answers.month}}”, I see. Are you sleeping well?", pt: "“{{answers.month}}”, entendi. Está dormindo bem?"}
    yesno: {}
  - id: spirit
    say: {ja: 元気は？, en: How is your energy?, pt: Como está sua energia?}
    scale: {min: 1, max: 5, labels: {min: {ja: ぜんぜん, en: none, pt: nada}, max: {ja: とても, en: a lot, pt: muita}}}
  - id: note
    say: {ja: ほかに何かありますか？, en: Anything else?, pt: Mais alguma coisa?}
    text: {}
    optional: true
alerts:
  - {if: month == "hard", severity: warning, note: この1か月が大変だったと回答}
done: {ja: ありがとうございました。, en: Thank you., pt: Obrigado.}
`

// TestLangSession: a session speaks its member's language from start to
// end: texts, buttons, quoted answers, default buttons, re-asks and done;
// answers are recorded with the values and labels supporters read.
func TestLangSession(t *testing.T) {
	f := mustParse(t, trilingual)
	if got := f.Languages; len(got) != 3 || got[0] != "ja" {
		t.Fatalf("languages %v", got)
	}
	pt := Env{Role: tsunagu.RoleGuardian, Lang: "pt"}
	res := f.Start("s1", "m1", t0, pt)
	s := res.Session
	if s.Lang != "pt" || res.Messages[0].Text != "Olá." || res.Messages[1].Text != "Como foi este mês?" {
		t.Fatalf("start: lang %q %+v", s.Lang, res.Messages)
	}
	if got := labels(res.Messages[1]); strings.Join(got, "|") != "Bom|Difícil" {
		t.Errorf("buttons %q", got)
	}
	// A typed label in the member's language is heard; the answer is the
	// value, labelled in the programme's language for supporters.
	res, err := f.Resume(s, typed("difícil"), t1, pt)
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Session.Answers["month"]; a.Value != "hard" || a.Label != "大変だった" {
		t.Errorf("answer %+v", a)
	}
	if got := res.Messages[0].Text; got != "“Difícil”, entendi. Está dormindo bem?" {
		t.Errorf("quoted answer: %q", got)
	}
	if got := labels(res.Messages[0]); strings.Join(got, "|") != "Sim|Não" {
		t.Errorf("yes/no buttons %q", got)
	}
	s = res.Session
	res, _ = f.Resume(s, typed("talvez"), t1, pt)
	if !res.Reasked || res.Messages[0].Text != "Desculpe, não entendi. Escolha “Sim”, “Não” nos botões." {
		t.Errorf("re-ask %+v", res.Messages)
	}
	res, _ = f.Resume(res.Session, typed("sim"), t1, pt)
	if got := labels(res.Messages[0]); strings.Join(got, "|") != "1 nada|2|3|4|5 muita" {
		t.Errorf("scale buttons %q", got)
	}
	res, _ = f.Resume(res.Session, typed("muita"), t1, pt)
	if a := res.Session.Answers["spirit"]; a.Value != "5" {
		t.Errorf("scale by its end label in pt: %+v", a)
	}
	if got := labels(res.Messages[0]); strings.Join(got, "|") != "Pular" {
		t.Errorf("skip button %q", got)
	}
	if msgs, _ := f.Reminder(res.Session, 0); msgs[0].Text != "Ainda estamos esperando" {
		t.Errorf("reminder %q", msgs[0].Text)
	}
	res, _ = f.Resume(res.Session, typed("pular"), t1, pt)
	if !res.Ended || res.Messages[0].Text != "Obrigado." {
		t.Fatalf("end %+v", res.Messages)
	}
	// Supporters read the questions and answers in the programme's language.
	qa := f.QA(res.Session)
	if qa[0].Question != "この1か月はいかがでしたか？" || qa[0].Answer != "大変だった" {
		t.Errorf("QA %+v", qa)
	}
	if len(res.Alerts) != 1 || res.Alerts[0].Reason != "この1か月が大変だったと回答" {
		t.Errorf("alerts %+v", res.Alerts)
	}

	// A language the flow does not speak gets its default.
	if res := f.Start("s2", "m2", t0, Env{Role: tsunagu.RoleGuardian, Lang: "vi"}); res.Session.Lang != "" || res.Messages[1].Text != "この1か月はいかがでしたか？" {
		t.Errorf("vi: %q %+v", res.Session.Lang, res.Messages)
	}
}

// TestLangValidate: a text lacking a declared language, and a language the
// flow does not declare, are reported where they are written.
func TestLangValidate(t *testing.T) {
	src := `id: missing
title: 足りない
languages: [ja, en, pt]
steps:
  - id: mood
    say: {ja: 気分は？, en: How are you?}
    choices:
      - いい
      - {label: {ja: よくない, en: Bad, pt: Mal, fr: Mauvais}, value: bad}
done: ありがとう
`
	_, ds := Parse("missing.yaml", []byte(src), Options{Lang: "en"})
	want := []string{
		"missing.yaml:6:10: `say` has no pt text",
		"missing.yaml:8:9: `label` has no en text",
		"missing.yaml:8:9: `label` has no pt text",
		`missing.yaml:9:46: choice: ` + "`label`" + ` in language "fr", which ` + "`languages:`" + ` does not list`,
		"missing.yaml:10:7: `done` has no en text",
		"missing.yaml:10:7: `done` has no pt text",
	}
	got := ds.String()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q in:\n%s", w, got)
		}
	}
	if !strings.Contains(got, "every text families see is written in each (e.g. `say: {ja: …, en: …, pt: …}`)") {
		t.Errorf("no hint with the fix:\n%s", got)
	}
	_, ds = Parse("bad.yaml", []byte("id: x\ntitle: x\nlanguages: [ja, Portuguese, ja]\nsteps: [{id: a, say: hi, text: {}}]\n"), Options{})
	if got := ds.String(); !strings.Contains(got, `bad.yaml:3:17: languages: "Portuguese" is not a language code`) || !strings.Contains(got, `bad.yaml:3:29: languages: "ja" is listed twice`) {
		t.Errorf("bad languages:\n%s", got)
	}
}

// TestLangSimulate: simulate --lang shows the flow in that language.
func TestLangSimulate(t *testing.T) {
	f := mustParse(t, trilingual)
	for lang, want := range map[string]string{"ja": "この1か月はいかがでしたか？", "en": "How was this month?", "pt": "Como foi este mês?"} {
		var out bytes.Buffer
		tr, err := Simulate(&out, f, ScriptedAnswers("2|1|5|"+map[string]string{"ja": "スキップ", "en": "skip", "pt": "pular"}[lang]), SimOptions{Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) || !tr.Completed || len(tr.Alerts) != 1 {
			t.Errorf("%s: completed %v alerts %d:\n%s", lang, tr.Completed, len(tr.Alerts), out.String())
		}
	}
}

// TestLangChosen: a completed session that answered the language step sets
// the member's language, and thanks them in it.
func TestLangChosen(t *testing.T) {
	f := mustParse(t, `
id: lang
title: 言語
languages: [ja, en, pt]
on: {keyword: [言語, language, idioma]}
steps:
  - id: language
    say: {ja: どの言語で読みますか？, en: Which language do you read?, pt: Em que língua você lê?}
    choices:
      - {label: {ja: 日本語, en: 日本語, pt: 日本語}, value: ja}
      - {label: {ja: English, en: English, pt: English}, value: en}
      - {label: {ja: Português, en: Português, pt: Português}, value: pt}
done: {ja: 日本語にしました。, en: I will write in English., pt: Vou escrever em português.}
`)
	var out bytes.Buffer
	if _, err := Simulate(&out, f, ScriptedAnswers("3"), SimOptions{Role: tsunagu.RoleGuardian}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Vou escrever em português.") {
		t.Errorf("not thanked in the language chosen:\n%s", out.String())
	}
	m := tsunagu.Member{ID: "m", Lang: ""}
	s := &tsunagu.Session{Status: tsunagu.SessionCompleted, Answers: map[string]tsunagu.Answer{LanguageStep: {Value: "pt"}}}
	if got, ok := languageChosen(f, s, &m); !ok || got.Lang != "pt" {
		t.Errorf("languageChosen = %+v %v", got, ok)
	}
}
