package flows

import (
	"strings"
	"unicode"
)

// DefaultRiskWords are words that, typed anywhere by a child or a guardian,
// mean a supporter should look now: thoughts of suicide or self-harm,
// violence at home, abuse, not wanting to go home. Matching is on
// Normalize'd text with spaces removed, so one hiragana or kanji form covers
// katakana and half-width spellings (ｼﾆﾀｲ, シニタイ → しにたい).
//
// Chosen against false alarms: no 死ぬ (死ぬほど眠い), no hiragana
// いきたくない (行きたくない: "I don't want to go to school"), no けられ
// (見つけられ, 声をかけられ), no もう無理 or つらい, which children type
// about homework. A supporter who sees alerts on every other message stops
// reading them.
var DefaultRiskWords = []string{
	// wanting to die or disappear
	"死にたい", "しにたい", "死のうかな", "しのうかな", "死んだほうがまし", "しんだほうがまし", "死んだ方がまし",
	"消えたい", "きえたい", "いなくなりたい", "生きたくない", "生きるのがつらい", "いきるのがつらい",
	"生きてるのがつらい", "いきてるのがつらい", "自殺", "じさつ",
	"飛び降りたい", "とびおりたい", "首吊", "首つり", "くびつり",
	// self-harm
	"リスカ", "リストカット", "自傷", "手首切", "オーバードーズ",
	// violence, abuse, fear at home
	"殴られ", "なぐられ", "叩かれ", "たたかれ", "蹴られ", "ぶたれ", "虐待", "ぎゃくたい", "暴力",
	"殺して", "ころして", "殺され", "ころされ", "いじめられ",
	"家に帰りたくない", "いえにかえりたくない", "うちにかえりたくない", "家にいたくない", "いえにいたくない",
	// a guardian at the end of their tether
	"叩いてしまう", "たたいてしまう", "手をあげてしまう",
	// a plain call for help
	"助けて", "たすけて",
}

// RiskScanner finds risk words in typed text.
type RiskScanner struct {
	words []riskWord
}

type riskWord struct{ word, norm string }

// NewRiskScanner returns a scanner for words, matched after normalisation.
// Empty words are ignored.
func NewRiskScanner(words []string) *RiskScanner {
	rs := &RiskScanner{}
	for _, w := range words {
		if n := compact(w); n != "" {
			rs.words = append(rs.words, riskWord{word: w, norm: n})
		}
	}
	return rs
}

// Match reports the first risk word found in text, as it is in the list.
func (rs *RiskScanner) Match(text string) (word string, ok bool) {
	t := compact(text)
	for _, w := range rs.words {
		if strings.Contains(t, w.norm) {
			return w.word, true
		}
	}
	return "", false
}

// compact is Normalize without spaces, so that "し に た い" still matches.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, Normalize(s))
}

// DefaultSafetyMessage is sent at once when a member's text matches a risk
// word, before any supporter has seen the alert. Plain words, both numbers
// free of charge; a supporter follows up.
const DefaultSafetyMessage = `おしえてくれて、ありがとう。
あなたのことが、とても大切です。ひとりでかかえこまなくていいよ。
サポーターの人にも、このことを知らせたよ。

いますぐ、だれかと話したいときは、ここに電話できるよ（お金はかかりません）。
・24時間子供SOSダイヤル 0120-0-78310（24時間、いつでも）
・チャイルドライン 0120-99-7777（毎日16時〜21時、18さいまで）

あぶないときは、110（警察）か 119（救急）に電話してね。`

// DefaultGuardianSafetyMessage is DefaultSafetyMessage for guardians:
// adult lines, and 189 for a parent afraid of hurting their child.
const DefaultGuardianSafetyMessage = `話してくださって、ありがとうございます。
ひとりで抱えこまなくて大丈夫です。サポーターにも、このことを知らせました。

いますぐ誰かと話したいときは、こちらに電話できます（無料）。
・よりそいホットライン 0120-279-338（24時間）
・児童相談所 虐待対応ダイヤル 189（子どもに手をあげてしまいそうなときも、相談できます）

危ないときは、110（警察）か 119（救急）に電話してください。`
