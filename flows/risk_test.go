package flows

import (
	"strings"
	"testing"
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
		{"お父さんに叩かれた", "叩かれ"},
		{"ﾅｸﾞﾗﾚﾀ", "なぐられ"},
		{"リスカしちゃった", "リスカ"},
		{"家に帰りたくない", "家に帰りたくない"},
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
