package flows

// Texts are the words the conversation says to families outside any flow,
// Japanese, short and kind. The safety replies are per risk category and
// audience (risk.Safety, Conversation.Safety).
type Texts struct {
	Welcome     string // on follow: asks for the invite code
	WelcomeBack string // on follow by someone already linked
	AskCode     string // a message with no code in it, before enrolment
	WrongCode   string // a code that does not exist, was used, or expired
	LockedOut   string // after too many wrong codes
	Enrolled    string // the code worked
	Ack         string // free text outside any check-in
	NoQuestion  string // a button tapped after its check-in ended
	MediaInFlow string // a sticker or image while a question waits
	MediaAck    string // a sticker or image outside any check-in
	Sorry       string // something went wrong on our side
	Stopped     string // the member wrote 停止: check-ins pause
	Resumed     string // the member wrote 再開: check-ins come again
}

// DefaultTexts are the texts used unless configuration says otherwise.
var DefaultTexts = Texts{
	Welcome: "友だち追加ありがとう！\n" +
		"つなぐ です。ときどき「元気かな？」と様子をたずねるメッセージを送ります。\n\n" +
		"はじめに、サポーターさんからもらった「招待コード」（例: ABCD-2345）を送ってね。",
	WelcomeBack: "おかえりなさい！また話せてうれしいです。\nなにかあったら、いつでもここに書いてね。",
	AskCode:     "はじめに、サポーターさんからもらった「招待コード」（例: ABCD-2345）を送ってね。",
	WrongCode: "ごめんね、そのコードは見つかりませんでした。\n" +
		"もう一度たしかめて送ってね。使えなくなったコードのときは、サポーターさんに新しいコードをお願いしてね。",
	LockedOut: "コードが何回か合わなかったので、少し時間をおいてからためしてね。\n" +
		"わからないときは、サポーターさんに聞いてみてね。",
	Enrolled: "登録できました。ありがとう！\n" +
		"これから、ときどき様子をたずねるメッセージを送ります。\n" +
		"困ったことや話したいことがあれば、いつでもここに書いてね。",
	Ack:         "メッセージありがとう。サポーターさんに伝えました。\nお返事まで、少し待っていてね。",
	NoQuestion:  "この質問はもう終わっています。答えてくれてありがとう！",
	MediaInFlow: "ありがとう！この質問には、下のボタンか文字でこたえてね。",
	MediaAck:    "ありがとう！サポーターさんにも届いたことを伝えました。",
	Sorry:       "ごめんね、うまく受け取れませんでした。サポーターさんに知らせたので、少し待っていてね。",
	Stopped: "わかりました。チェックインのメッセージを、しばらくお休みします。\n" +
		"また受け取りたくなったら「再開」と送ってね。\n" +
		"こまったときや話したいときは、いつでもここに書いてね。",
	Resumed: "おかえりなさい！チェックインのメッセージを、また送りますね。",
}
