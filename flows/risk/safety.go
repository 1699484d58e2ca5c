package risk

// The safety reply a member gets at once when a message matches, before a
// supporter has read it: per category and audience, in plain words, with
// numbers that are free to call. Confirm them with your programme before
// going live; configuration can replace any of them.

// Audience is who the reply is for.
type Audience string

const (
	Child    Audience = "child"
	Guardian Audience = "guardian"
)

// Safety holds a programme's safety replies: per audience, per category,
// with "default" for the categories not listed. Empty: the built-in ones.
type Safety struct {
	Child    map[string]string `yaml:"child"`
	Guardian map[string]string `yaml:"guardian"`
	// All replaces every built-in reply (the old `safety_message` key);
	// Child and Guardian entries still win over it.
	All string `yaml:"-"`
	// Langs are the replies for members who read another language, by
	// code (en, pt…), with helplines that answer in it; a language not
	// here gets these (see In, flows/risklang.go).
	Langs map[string]Safety `yaml:"-"`
}

// In is the safety replies for a member who reads lang: that language's
// when the programme has them, else s.
func (s Safety) In(lang string) Safety {
	if l, ok := s.Langs[lang]; ok {
		return l
	}
	return s
}

// Message is the reply for a match of category c sent to audience a.
func (s Safety) Message(c Category, a Audience) string {
	m := s.Child
	if a == Guardian {
		m = s.Guardian
	}
	if msg := m[string(c)]; msg != "" {
		return msg
	}
	if msg := m["default"]; msg != "" {
		return msg
	}
	if s.All != "" {
		return s.All
	}
	return DefaultSafety(c, a)
}

// DefaultSafety is the built-in reply for category c and audience a.
func DefaultSafety(c Category, a Audience) string {
	table := childSafety
	if a == Guardian {
		table = guardianSafety
	}
	if msg, ok := table[c]; ok {
		return msg
	}
	return table[Other]
}

// ChildSafety is the general reply to a child: the 24-hour line and
// Childline (flows.DefaultSafetyMessage).
const ChildSafety = `おしえてくれて、ありがとう。
あなたのことが、とても大切です。ひとりでかかえこまなくていいよ。
サポーターの人にも、このことを知らせたよ。

いますぐ、だれかと話したいときは、ここに電話できるよ（お金はかかりません）。
・24時間子供SOSダイヤル 0120-0-78310（24時間、いつでも）
・チャイルドライン 0120-99-7777（毎日16時〜21時、18さいまで）

あぶないときは、110（警察）か 119（救急）に電話してね。`

// GuardianSafety is the general reply to a guardian: adult lines, and 189
// for a parent afraid of hurting their child (flows.DefaultGuardianSafetyMessage).
const GuardianSafety = `話してくださって、ありがとうございます。
ひとりで抱えこまなくて大丈夫です。サポーターにも、このことを知らせました。

いますぐ誰かと話したいときは、こちらに電話できます（無料）。
・よりそいホットライン 0120-279-338（24時間）
・児童相談所 虐待対応ダイヤル 189（子どもに手をあげてしまいそうなときも、相談できます）

危ないときは、110（警察）か 119（救急）に電話してください。`

const childAbuse = `おしえてくれて、ありがとう。
あなたは、なにも悪くないよ。たたかれたり、いやなことをされたりしていい人は、だれもいません。
サポーターの人にも、このことを知らせたよ。

いますぐ相談したいときは、ここに電話できるよ（お金はかかりません）。
・児童相談所 189（24時間、いつでも）
・24時間子供SOSダイヤル 0120-0-78310

あぶないときは、110（警察）に電話してね。`

const childNeglect = `おしえてくれて、ありがとう。
ごはんや、ねる場所や、おとなの人のお世話は、あなたがもらっていいものだよ。
サポーターの人にも、このことを知らせたよ。

いますぐ相談したいときは、ここに電話できるよ（お金はかかりません）。
・児童相談所 189（24時間、いつでも）
・24時間子供SOSダイヤル 0120-0-78310

あぶないときは、110（警察）に電話してね。`

const childRunaway = `おしえてくれて、ありがとう。
いる場所のことで、こまっているんだね。サポーターの人にも、このことを知らせたよ。

いますぐ、だれかと話したいときは、ここに電話できるよ（お金はかかりません）。
・24時間子供SOSダイヤル 0120-0-78310（24時間、いつでも）
・チャイルドライン 0120-99-7777（毎日16時〜21時、18さいまで）

夜の外や、知らない人のところがあぶないときは、110（警察）に電話してね。`

const childBullying = `おしえてくれて、ありがとう。
いやなことをされるのは、あなたのせいじゃないよ。サポーターの人にも、このことを知らせたよ。

いますぐ、だれかと話したいときは、ここに電話できるよ（お金はかかりません）。
・24時間子供SOSダイヤル 0120-0-78310（いじめのことも、24時間）
・チャイルドライン 0120-99-7777（毎日16時〜21時、18さいまで）

あぶないときは、110（警察）か 119（救急）に電話してね。`

const guardianAbuse = `話してくださって、ありがとうございます。
お子さんとあなたの安全が、いちばん大切です。サポーターにも、このことを知らせました。

いますぐ相談できるところです（無料）。
・児童相談所 虐待対応ダイヤル 189（24時間。子どもに手をあげてしまいそうなときも）
・よりそいホットライン 0120-279-338（24時間。暴力を受けているときも）

危ないときは、110（警察）に電話してください。`

const guardianRunaway = `話してくださって、ありがとうございます。
サポーターにも、このことを知らせました。

お子さんの居場所がわからず心配なときは、110（警察）に相談してください。
ほかにも、いますぐ相談できるところです（無料）。
・よりそいホットライン 0120-279-338（24時間。住まいのことも）
・24時間子供SOSダイヤル 0120-0-78310（保護者も相談できます）`

const guardianBullying = `話してくださって、ありがとうございます。
サポーターにも、このことを知らせました。いっしょに考えます。

いますぐ相談できるところです（無料）。
・24時間子供SOSダイヤル 0120-0-78310（いじめの相談。保護者も、24時間）
・よりそいホットライン 0120-279-338（24時間）

危ないときは、110（警察）か 119（救急）に電話してください。`

var childSafety = map[Category]string{
	Suicidal:      ChildSafety,
	SelfHarm:      ChildSafety,
	PhysicalAbuse: childAbuse,
	SexualAbuse:   childAbuse,
	Neglect:       childNeglect,
	Runaway:       childRunaway,
	Bullying:      childBullying,
	Other:         ChildSafety,
}

var guardianSafety = map[Category]string{
	Suicidal:      GuardianSafety,
	SelfHarm:      GuardianSafety,
	PhysicalAbuse: guardianAbuse,
	SexualAbuse:   guardianAbuse,
	Neglect:       guardianAbuse,
	Runaway:       guardianRunaway,
	Bullying:      guardianBullying,
	Other:         GuardianSafety,
}
