package flows

import (
	"testing"
)

// frictionFlow has labels a member may type only part of, a scale and a
// number step, for the typed answers a new user met.
const frictionFlow = `
id: friction
title: 入力のテスト
audience: {roles: [guardian]}
steps:
  - id: eat
    say: 食事はとれていますか？
    choices:
      - {label: よく食べている, value: well}
      - {label: あまり食べてない, value: little}
      - {label: わからない, value: unknown}
  - id: start
    say: はじめてもいいですか？
    choices:
      - {label: はい、はじめる, value: agree}
      - {label: はい、あとで, value: later}
      - {label: やめておく, value: decline}
  - id: spirit
    say: 元気は？
    scale: {min: 1, max: 10}
  - id: energy
    say: 元気は0から10で？
    number: {min: 0, max: 10}
`

// TestTypedAnswerFrictions: a typed answer that is part of one label, a
// number in kanji or full-width digits, or a word in katakana gets what
// the member meant; one that fits several buttons is asked again naming
// them.
func TestTypedAnswerFrictions(t *testing.T) {
	f := mustParse(t, frictionFlow)
	tests := []struct {
		name, at, typed string
		value           string // "" when it is asked again
		reask           string
	}{
		{name: "part of one label", at: "eat", typed: "食べてない", value: "little"},
		{name: "part of one label in katakana", at: "eat", typed: "ワカラナイ", value: "unknown"},
		{name: "part of one label with a mark", at: "start", typed: "やめて！", value: "decline"},
		{name: "label without its comma", at: "start", typed: "はいはじめる", value: "agree"},
		{name: "part of two labels is asked again naming them", at: "start", typed: "はい",
			reask: "すみません、「はい、はじめる」「はい、あとで」のどれでしょうか。ボタンで選んでください。"},
		{name: "one letter is too little to guess from", at: "eat", typed: "て",
			reask: "すみません、うまく受け取れませんでした。「よく食べている」「あまり食べてない」「わからない」から、ボタンで選んでください。"},
		{name: "nothing alike lists the buttons", at: "eat", typed: "ねむい",
			reask: "すみません、うまく受け取れませんでした。「よく食べている」「あまり食べてない」「わからない」から、ボタンで選んでください。"},
		{name: "kanji number on a scale", at: "spirit", typed: "七", value: "7"},
		{name: "kanji ten on a scale", at: "spirit", typed: "十点", value: "10"},
		{name: "full-width number on a scale", at: "spirit", typed: "７", value: "7"},
		{name: "kanji number on a number step", at: "energy", typed: "三くらい", value: "3"},
		{name: "full-width number on a number step", at: "energy", typed: "１０", value: "10"},
		{name: "kanji number out of range", at: "energy", typed: "二十",
			reask: "すみません、0から10の数字で送ってください。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.Resume(waitingAt(f, tt.at, nil), typed(tt.typed), t1, Env{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.value != "" {
				if res.Reasked || res.Session.Answers[tt.at].Value != tt.value {
					t.Fatalf("%q on %s: got %+v (reasked %v), want %q", tt.typed, tt.at, res.Session.Answers[tt.at], res.Reasked, tt.value)
				}
				return
			}
			if !res.Reasked || res.Messages[0].Text != tt.reask {
				t.Fatalf("%q on %s: reasked %v with %q, want %q", tt.typed, tt.at, res.Reasked, res.Messages[0].Text, tt.reask)
			}
		})
	}
}

func TestArabic(t *testing.T) {
	for in, want := range map[string]string{
		"七": "7", "十": "10", "十二": "12", "二十五点": "25点", "百": "100", "〇": "0",
		"三千二百": "3200", "ねむい": "ねむい", "7": "7",
	} {
		if got := arabic(in); got != want {
			t.Errorf("arabic(%q) = %q, want %q", in, got, want)
		}
	}
}
