package flows

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tsunagu/tsunagu"
)

// wording is how the engine words the messages it writes itself, in one
// language: casual and plain for flows a child may get, polite for flows
// only guardians get.
type wording struct {
	done    string // when the flow has no `done`
	choice  string // re-ask on a choice step; %s lists the buttons
	several string // re-ask when a typed word fits several buttons; %s lists them
	text    string // re-ask on an empty text answer
	tooLong string // re-ask on a long text answer; %d is the limit
	numbers string // re-ask on a number step; %s says which numbers fit
	scales  string // re-ask on a scale step; %d and %d are its ends
	loop    string // when the loop guard stops a session

	// Which numbers fit: %s are the bounds.
	numRange, numMin, numMax, numAny, decimals string
	// How button labels are quoted in a re-ask, and what joins them.
	open, close, sep string
	// The default buttons of yes/no and optional steps.
	yes, no, skip string
}

var (
	casual = &wording{
		done:     DefaultDone,
		choice:   "ごめんね、うまく受け取れなかったよ。%sから、ボタンで選んでね。",
		several:  "ごめんね、%sのどれかな？ボタンで選んでね。",
		text:     "ごめんね、うまく受け取れなかったよ。ことばで教えてね。",
		tooLong:  "ごめんね、ちょっと長すぎたみたい。%d文字までで教えてね。",
		numbers:  "ごめんね、%sで教えてね。",
		scales:   "ごめんね、%dから%dの数字をボタンで選んでね。",
		loop:     "ごめんね、うまく進めなくなっちゃった。今日の質問はここまでにするね。サポーターの人に伝えておくよ。",
		numRange: "%sから%sの数字", numMin: "%s以上の数字", numMax: "%s以下の数字", numAny: "数字", decimals: "（小数もOK）",
		open: "「", close: "」",
		yes: "はい", no: "いいえ", skip: DefaultSkipLabel,
	}
	polite = &wording{
		done:     "お答えいただき、ありがとうございました。",
		choice:   "すみません、うまく受け取れませんでした。%sから、ボタンで選んでください。",
		several:  "すみません、%sのどれでしょうか。ボタンで選んでください。",
		text:     "すみません、うまく受け取れませんでした。文字で送ってください。",
		tooLong:  "すみません、少し長すぎるようです。%d文字までで送ってください。",
		numbers:  "すみません、%sで送ってください。",
		scales:   "すみません、%dから%dの数字をボタンで選んでください。",
		loop:     "すみません、うまく進めなくなってしまいました。今回の質問はここまでにします。サポーターに伝えておきます。",
		numRange: "%sから%sの数字", numMin: "%s以上の数字", numMax: "%s以下の数字", numAny: "数字", decimals: "（小数もOK）",
		open: "「", close: "」",
		yes: "はい", no: "いいえ", skip: DefaultSkipLabel,
	}
	english = &wording{
		done:     "Thank you for your answers!",
		choice:   "Sorry, I didn't catch that. Please choose %s with the buttons.",
		several:  "Sorry, did you mean %s? Please choose with the buttons.",
		text:     "Sorry, I didn't catch that. Please write it in words.",
		tooLong:  "Sorry, that is a little long. Please keep it to %d characters.",
		numbers:  "Sorry, please send %s.",
		scales:   "Sorry, please choose a number from %d to %d with the buttons.",
		loop:     "Sorry, something went wrong and we can't go on. That's all for now; we'll let your supporter know.",
		numRange: "a number from %s to %s", numMin: "a number of %s or more", numMax: "a number of %s or less", numAny: "a number", decimals: " (decimals are fine)",
		open: "“", close: "”", sep: ", ",
		yes: "Yes", no: "No", skip: "Skip",
	}
	portuguese = &wording{
		done:     "Obrigado pelas suas respostas!",
		choice:   "Desculpe, não entendi. Escolha %s nos botões.",
		several:  "Desculpe, você quis dizer %s? Escolha nos botões.",
		text:     "Desculpe, não entendi. Escreva com palavras, por favor.",
		tooLong:  "Desculpe, ficou um pouco longo. Use até %d caracteres.",
		numbers:  "Desculpe, envie %s.",
		scales:   "Desculpe, escolha um número de %d a %d nos botões.",
		loop:     "Desculpe, algo deu errado e não conseguimos continuar. Por hoje é só; vamos avisar quem acompanha você.",
		numRange: "um número de %s a %s", numMin: "um número a partir de %s", numMax: "um número até %s", numAny: "um número", decimals: " (pode ter decimais)",
		open: "“", close: "”", sep: ", ",
		yes: "Sim", no: "Não", skip: "Pular",
	}
)

// wordings are the engine's own words by language. A language without its
// own is spoken to in English, which more foreign-resident families read
// than Japanese; its flows can still word every re-ask with `retry_say`.
var wordings = map[string][2]*wording{
	"ja": {casual, polite},
	"en": {english, english},
	"pt": {portuguese, portuguese},
}

// wording picks the voice by audience, in the flow's default language: a
// flow a child may get speaks as to a child.
func (f *Flow) wording() *wording { return f.wordingIn(f.Lang("")) }

// wordingIn is the flow's voice in lang.
func (f *Flow) wordingIn(lang string) *wording {
	w, ok := wordings[lang]
	if !ok {
		w = wordings["en"]
	}
	if f.ForRole(tsunagu.RoleChild) {
		return w[0]
	}
	return w[1]
}

// number says which numbers fit spec, e.g. "0から10の数字".
func (w *wording) number(spec *NumberSpec) string {
	f := func(v *float64) string { return strconv.FormatFloat(*v, 'f', -1, 64) }
	var want string
	switch {
	case spec.Min != nil && spec.Max != nil:
		want = fmt.Sprintf(w.numRange, f(spec.Min), f(spec.Max))
	case spec.Min != nil:
		want = fmt.Sprintf(w.numMin, f(spec.Min))
	case spec.Max != nil:
		want = fmt.Sprintf(w.numMax, f(spec.Max))
	default:
		want = w.numAny
	}
	if !spec.Integer {
		want += w.decimals
	}
	return fmt.Sprintf(w.numbers, want)
}

func (w *wording) scale(spec *ScaleSpec) string {
	return fmt.Sprintf(w.scales, spec.Min, spec.Max)
}

// pick is the re-ask of a choice step, naming its buttons in lang.
func (w *wording) pick(choices []Choice, lang string) string {
	return fmt.Sprintf(w.choice, w.quote(choices, lang))
}

// which is the re-ask when a typed word fits several buttons, naming them.
func (w *wording) which(part []*Choice, lang string) string {
	labels := make([]Choice, len(part))
	for i, c := range part {
		labels[i] = *c
	}
	return fmt.Sprintf(w.several, w.quote(labels, lang))
}

// quote writes labels as 「いい」「よくない」, or “Good”, “Bad”.
func (w *wording) quote(choices []Choice, lang string) string {
	qs := make([]string, len(choices))
	for i, c := range choices {
		qs[i] = w.open + c.LabelIn(lang) + w.close
	}
	return strings.Join(qs, w.sep)
}
