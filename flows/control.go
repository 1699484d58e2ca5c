package flows

import (
	"strings"
	"unicode"
)

// Control words are whole messages by which members steer the programme
// themselves: stop and resume check-ins, or take part after declining.
// They match only as the whole message (after normalisation, without
// spaces and closing punctuation), so that 「学校やめたい」 or an answer
// that contains one is never taken for one.
type Control int

const (
	ControlNone   Control = iota
	ControlStop           // 停止, やめる, 配信停止...: pause check-ins
	ControlResume         // 再開: check-ins again
	ControlJoin           // 参加する: after declining the sign-up consent, start it again
)

var controlWords = map[Control][]string{
	ControlStop: {
		"停止", "ていし", "配信停止", "はいしんていし", "配信を停止", "配信をやめて", "配信をとめて", "配信を止めて",
		"停止します", "停止して", "停止してください", "停止希望", "配信停止します", "配信停止してください",
		"やめる", "やめます", "やめて", "やめてください", "もうやめる", "とめて", "止めて", "とめてください", "止めてください",
		"ストップ", "stop", "通知停止", "通知をとめて", "送らないで", "おくらないで", "送らないでください",
	},
	ControlResume: {
		"再開", "さいかい", "再開する", "再開します", "再開して", "再開してください", "配信再開", "はいしんさいかい",
		"resume", "restart",
	},
	ControlJoin: {
		"参加する", "参加します", "参加したい", "さんかする", "さんかします", "同意する", "同意します", "どういする",
		"やっぱり参加する", "やっぱり参加します", "はじめる", "はじめます",
	},
}

var controlIndex = func() map[string]Control {
	idx := map[string]Control{}
	for c, words := range controlWords {
		for _, w := range words {
			idx[controlForm(w)] = c
		}
	}
	return idx
}()

// ControlWord says which control word text is, if any.
func ControlWord(text string) Control {
	return controlIndex[controlForm(text)]
}

// controlForm is text as control words are compared: normalised, without
// spaces, and without the punctuation and emoji a message may end with.
func controlForm(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, Normalize(s))
	return strings.TrimRightFunc(s, func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSymbol(r) || r == 'ー' || r == '〜' || r == '~'
	})
}
