package flows

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tsunagu/tsunagu"
)

// wording is how the engine words the messages it writes itself: casual and
// plain for flows a child may get, polite for flows only guardians get.
type wording struct {
	done    string // when the flow has no `done`
	choice  string // re-ask on a choice step; %s lists the buttons
	several string // re-ask when a typed word fits several buttons; %s lists them
	text    string // re-ask on an empty text answer
	tooLong string // re-ask on a long text answer; %d is the limit
	numbers string // re-ask on a number step; %s says which numbers fit
	scales  string // re-ask on a scale step; %d and %d are its ends
	loop    string // when the loop guard stops a session
}

var (
	casual = &wording{
		done:    DefaultDone,
		choice:  "ごめんね、うまく受け取れなかったよ。%sから、ボタンで選んでね。",
		several: "ごめんね、%sのどれかな？ボタンで選んでね。",
		text:    "ごめんね、うまく受け取れなかったよ。ことばで教えてね。",
		tooLong: "ごめんね、ちょっと長すぎたみたい。%d文字までで教えてね。",
		numbers: "ごめんね、%sで教えてね。",
		scales:  "ごめんね、%dから%dの数字をボタンで選んでね。",
		loop:    "ごめんね、うまく進めなくなっちゃった。今日の質問はここまでにするね。サポーターの人に伝えておくよ。",
	}
	polite = &wording{
		done:    "お答えいただき、ありがとうございました。",
		choice:  "すみません、うまく受け取れませんでした。%sから、ボタンで選んでください。",
		several: "すみません、%sのどれでしょうか。ボタンで選んでください。",
		text:    "すみません、うまく受け取れませんでした。文字で送ってください。",
		tooLong: "すみません、少し長すぎるようです。%d文字までで送ってください。",
		numbers: "すみません、%sで送ってください。",
		scales:  "すみません、%dから%dの数字をボタンで選んでください。",
		loop:    "すみません、うまく進めなくなってしまいました。今回の質問はここまでにします。サポーターに伝えておきます。",
	}
)

// wording picks the voice by audience: a flow a child may get speaks as to
// a child.
func (f *Flow) wording() *wording {
	if f.ForRole(tsunagu.RoleChild) {
		return casual
	}
	return polite
}

// number says which numbers fit spec, e.g. "0から10の数字".
func (w *wording) number(spec *NumberSpec) string {
	f := func(v *float64) string { return strconv.FormatFloat(*v, 'f', -1, 64) }
	var want string
	switch {
	case spec.Min != nil && spec.Max != nil:
		want = f(spec.Min) + "から" + f(spec.Max) + "の数字"
	case spec.Min != nil:
		want = f(spec.Min) + "以上の数字"
	case spec.Max != nil:
		want = f(spec.Max) + "以下の数字"
	default:
		want = "数字"
	}
	if !spec.Integer {
		want += "（小数もOK）"
	}
	return fmt.Sprintf(w.numbers, want)
}

func (w *wording) scale(spec *ScaleSpec) string {
	return fmt.Sprintf(w.scales, spec.Min, spec.Max)
}

// pick is the re-ask of a choice step, naming its buttons.
func (w *wording) pick(choices []Choice) string {
	return fmt.Sprintf(w.choice, quoteLabels(choices))
}

// which is the re-ask when a typed word fits several buttons, naming them.
func (w *wording) which(part []*Choice) string {
	labels := make([]Choice, len(part))
	for i, c := range part {
		labels[i] = *c
	}
	return fmt.Sprintf(w.several, quoteLabels(labels))
}

// quoteLabels writes labels as 「いい」「よくない」.
func quoteLabels(choices []Choice) string {
	var b strings.Builder
	for _, c := range choices {
		b.WriteString("「" + c.Label + "」")
	}
	return b.String()
}
