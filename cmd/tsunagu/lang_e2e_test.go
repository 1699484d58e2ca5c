package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// monthlyLang is a guardian's check-in in Japanese, English and Portuguese.
const monthlyLang = `id: monthly-lang
title: 毎月のチェックイン（多言語）
languages: [ja, en, pt]
audience: {roles: [guardian]}
steps:
  - id: month
    say:
      ja: [こんにちは。, この1か月はいかがでしたか？]
      en: [Hello., How was this month?]
      pt: [Olá., Como foi este mês?]
    choices:
      - {label: {ja: よかった, en: Good, pt: Bom}, value: good}
      - {label: {ja: 大変だった, en: Hard, pt: Difícil}, value: hard}
  - id: note
    say: {ja: よかったら教えてください。, en: Tell us more if you like., pt: "Conte mais, se quiser."}
    text: {}
alerts:
  - {if: month == "hard", severity: warning, note: この1か月が大変だったと回答}
done: {ja: ありがとうございました。, en: Thank you., pt: Obrigado.}
`

// TestLangPortugueseGuardian: a guardian invited in Portuguese enrols,
// signs up and answers a check-in in Portuguese over signed webhooks;
// supporters read the answers in Japanese with the language noted; a risk
// word in Portuguese gets the Portuguese safety message; the member can
// switch language with a keyword, and a supporter with `tsunagu lang`.
func TestLangPortugueseGuardian(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"signup-guardian.yaml", "language.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../examples/flows", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFlow(t, dir, name, string(b))
	}
	writeFlow(t, dir, "monthly-lang.yaml", monthlyLang)
	h := newHarness(t, dir, withYAML(`
languages:
  pt:
    risk_words: [quero morrer, me matar]
    safety_message: "Obrigado por contar. Avisamos a equipe agora. (linha de apoio de teste)"
`))
	h.roster("F-0001,,")

	var inv inviteOut
	mustJSON(t, h.mustCLI("invite", "F-0001", "--role", "guardian", "--lang", "pt", "--json"), &inv)
	if inv.Lang != "pt" {
		t.Fatalf("invite %+v", inv)
	}
	user := fakeline.NewUserID()
	h.mustDeliver(h.line.Follow(user))
	h.mustDeliver(h.line.Text(user, inv.Code))
	h.next(user, "Cadastro feito. Obrigado!")
	q := h.next(user, "Podemos começar assim?")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "Sim, vamos começar")))
	q = h.next(user, "Só para confirmar, quem é você?")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "Responsável")))
	h.next(user, "Obrigado. Se algo estiver difícil")
	eventually(t, func() bool { return h.member(user).Consent == "agree" }, "consent to be recorded")
	if m := h.member(user); m.Lang != "pt" {
		t.Fatalf("member language %q", m.Lang)
	}

	h.mustCLI("send", "monthly-lang", "--family", "F-0001")
	h.next(user, "Olá.")
	q = h.next(user, "Como foi este mês?")
	if got := strings.Join(labels(q), "|"); got != "Bom|Difícil" {
		t.Fatalf("buttons %q", got)
	}
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "Difícil")))
	h.next(user, "Conte mais, se quiser.")
	h.mustDeliver(h.line.Text(user, "Perdi o emprego"))
	h.next(user, "Obrigado.")

	// The supporter reads the check-in in Japanese, with the language noted.
	alert := fakeslack.BlocksText(h.slackMessages(1)[0].Blocks)
	for _, want := range []string{"ポルトガル語 (pt)", "この1か月が大変だったと回答", "この1か月はいかがでしたか？", "大変だった", "Perdi o emprego"} {
		if !strings.Contains(alert, want) {
			t.Errorf("alert lacks %q:\n%s", want, alert)
		}
	}

	// A risk word in Portuguese: the configured safety message, and an
	// urgent alert.
	h.mustDeliver(h.line.Text(user, "às vezes quero morrer"))
	h.next(user, "Obrigado por contar. Avisamos a equipe agora.")
	urgent := fakeslack.BlocksText(h.slackMessages(2)[1].Blocks)
	if !strings.Contains(urgent, "quero morrer") || !strings.Contains(urgent, "ポルトガル語") {
		t.Errorf("risk alert:\n%s", urgent)
	}

	// The member switches to English with a keyword.
	h.mustDeliver(h.line.Text(user, "idioma"))
	q = h.next(user, "Em qual idioma você quer receber as mensagens?")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "English")))
	h.next(user, "From now on, we will write in English.")
	eventually(t, func() bool { return h.member(user).Lang == "en" }, "the language to change to English")

	// A supporter sets it back to Portuguese.
	if out := h.mustCLI("lang", "F-0001", "pt"); !strings.Contains(out, "pt") {
		t.Errorf("lang: %s", out)
	}
	if m := h.member(user); m.Lang != "pt" || m.Consent != "agree" {
		t.Errorf("member after lang: %+v", m)
	}
	if _, errs, code := h.cli("lang", "F-0001", "Portuguese"); code != 2 || !strings.Contains(errs, "usage") {
		t.Errorf("bad language: exit %d %s", code, errs)
	}
}
