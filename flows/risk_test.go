package flows

import (
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu/flows/risk"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ｼﾆﾀｲ", "しにたい"},
		{"シニタイ", "しにたい"},
		{"ｶﾞｯｺｳ", "がっこう"},
		{"ＧＯＯＤ", "good"},
		{"５点", "5点"},
		{"　いい　 かんじ ", "いい かんじ"},
		{"ヴ", "ゔ"},
		{"ラーメン", "らーめん"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRiskScanner(t *testing.T) {
	rs := NewRiskScanner(DefaultRiskWords)
	tests := []struct {
		text string
		want string // the word matched; "" for none
	}{
		{"ｼﾆﾀｲ", "しにたい"},
		{"シニタイ", "しにたい"},
		{"もう死にたい…", "死にたい"},
		{"き え た い", "きえたい"},
		{"お父さんに叩かれた", "お父さんに叩かれ"}, // the phrase the rule matched, agent included
		{"ﾅｸﾞﾗﾚﾀ", "なぐられ"},
		{"リスカしちゃった", "リスカ"},
		{"家に帰りたくない", "家に帰りたくない"},
		{"ぱぱになぐられた", "ぱぱになぐられ"},
		{"死にたくない", ""}, // gentle: Check reports it, Match (urgent only) does not
		{"自殺防止のポスターを描いた", ""},
		{"友達に肩を叩かれた", ""},
		{"たすけて", "たすけて"},
		// everyday words that must not raise an urgent alert
		{"学校いきたくない", ""},
		{"死ぬほど眠い", ""},
		{"先生に声をかけられた", ""},
		{"かぎを見つけられた", ""},
		{"もう無理ｗ宿題おわらん", ""},
		{"ごはんおいしかった", ""},
		{"good", ""},
	}
	for _, tt := range tests {
		word, ok := rs.Match(tt.text)
		if word != tt.want || ok != (tt.want != "") {
			t.Errorf("Match(%q) = %q %v, want %q", tt.text, word, ok, tt.want)
		}
	}
}

func TestRiskScannerCustomWords(t *testing.T) {
	rs := NewRiskScanner([]string{"", "  ", "ﾆｹﾞﾀｲ"})
	if w, ok := rs.Match("もう逃げたいし、にげたい"); !ok || w != "ﾆｹﾞﾀｲ" {
		t.Errorf("Match = %q %v, want the listed spelling", w, ok)
	}
	if _, ok := rs.Match("なんでもない"); ok {
		t.Error("empty words must not match everything")
	}
}

func TestRiskScannerCheck(t *testing.T) {
	rs := NewRiskScanner(DefaultRiskWords)
	m, ok := rs.Check("死にたくない")
	if !ok || !m.Gentle || m.Category != risk.Suicidal {
		t.Errorf("Check = %+v %v, want a gentle suicidal match", m, ok)
	}
	if got := RiskReason(m); !strings.Contains(got, "希死念慮") {
		t.Errorf("RiskReason = %q", got)
	}
}

func TestSafetyMessages(t *testing.T) {
	for name, msg := range map[string]string{"child": DefaultSafetyMessage, "guardian": DefaultGuardianSafetyMessage} {
		if n := lineLen(msg); n > MaxMessageLen {
			t.Errorf("%s message is %d characters", name, n)
		}
	}
	for _, number := range []string{"0120-0-78310", "0120-99-7777"} {
		if !strings.Contains(DefaultSafetyMessage, number) {
			t.Errorf("child message lacks %s", number)
		}
	}
}

func TestFlowRisk(t *testing.T) {
	f := mustParse(t, `id: flow-risk
title: t
risk_words_extra: ["runaway: 家を出たい", いえでしたい]
risk_patterns: ["bullying: 先生 に ... 殴る れる|られる"]
steps:
  - id: mood
    say: 気分は？
    text: {}
`)
	fr := f.Risk()
	if len(fr.Words) != 2 || fr.Words[0].Category != risk.Runaway || fr.Words[1].Category != risk.Other ||
		len(fr.Patterns) != 1 || fr.Patterns[0].Category != risk.Bullying {
		t.Fatalf("Risk() = %+v", fr)
	}
	d, err := NewRiskScanner(nil).Detector().With(fr.Words, fr.Patterns)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := d.Check("せんせいになぐられた"); !ok || m.Category != risk.Bullying {
		t.Errorf("flow pattern: %+v %v", m, ok)
	}
}
