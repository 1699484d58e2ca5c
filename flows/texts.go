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
	About       string // the rich menu's "what is this"
	Stopped     string // the member wrote 停止: check-ins pause
	Resumed     string // the member wrote 再開: check-ins come again

	// ByLang are these texts in other languages, for members who read
	// them; a text missing there is said in the default.
	ByLang map[string]*Texts
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
	About: "つなぐ は、こどもとおうちの人を応援するサポーターと、LINE でつながるしくみです。\n" +
		"ときどき「元気かな？」と質問を送ります。答えはサポーターだけが見ます。\n" +
		"困ったことや話したいことは、いつでもここに書いてね。",
}

// In returns text, one of x's texts, in lang: the same text of x.ByLang[lang]
// when it has one, else text unchanged (a language with no texts of its own
// is spoken to in the default, as is a text that is not one of x's).
func (x Texts) In(lang, text string) string {
	other, ok := x.ByLang[lang]
	if !ok || lang == "" {
		return text
	}
	mine, theirs := x.fields(), other.fields()
	for i, t := range mine {
		if *t == text && *theirs[i] != "" {
			return *theirs[i]
		}
	}
	return text
}

func (x *Texts) fields() []*string {
	return []*string{&x.Welcome, &x.WelcomeBack, &x.AskCode, &x.WrongCode, &x.LockedOut, &x.Enrolled,
		&x.Ack, &x.NoQuestion, &x.MediaInFlow, &x.MediaAck, &x.Sorry, &x.Stopped, &x.Resumed, &x.About}
}

// TextsIn are the built-in texts in languages other than Japanese. The
// safety replies in other languages are risk.Safety's (flows/risklang.go).
var TextsIn = map[string]Texts{
	"en": {
		WelcomeBack: "Welcome back! It's good to hear from you.\nWrite here any time.",
		WrongCode:   "Sorry, we could not find that code.\nPlease check it and send it again. If it no longer works, ask your supporter for a new one.",
		LockedOut:   "The code did not match a few times, so please wait a little before trying again.\nIf you are not sure, ask your supporter.",
		Enrolled: "You are registered. Thank you!\n" +
			"From now on we will sometimes send a message to ask how you are.\n" +
			"If something is wrong or you want to talk, write here any time.",
		Ack:         "Thank you for your message. We have passed it on to your supporter.\nPlease wait a little for a reply.",
		NoQuestion:  "This question has already closed. Thank you for answering!",
		MediaInFlow: "Thank you! Please answer this question with the buttons below or in words.",
		MediaAck:    "Thank you! We have let your supporter know.",
		Sorry:       "Sorry, something went wrong on our side. We have told your supporter; please wait a little.",
		Stopped:     "All right. We will pause the check-in messages for now.\nSend \"再開\" when you want them again. You can write here any time.",
		Resumed:     "Welcome back! We will send check-in messages again.",
		About: "Tsunagu connects children and families with the supporters who help them, on LINE.\n" +
			"From time to time we ask how you are. Only your supporters see your answers.\n" +
			"If something is wrong or you want to talk, write here any time.",
	},
	"pt": {
		WelcomeBack: "Bem-vindo de volta! Que bom falar com você.\nEscreva aqui quando quiser.",
		WrongCode:   "Desculpe, não encontramos esse código.\nConfira e envie de novo. Se ele não funcionar mais, peça um novo a quem acompanha você.",
		LockedOut:   "O código não confere algumas vezes; espere um pouco antes de tentar de novo.\nSe tiver dúvidas, pergunte a quem acompanha você.",
		Enrolled: "Cadastro feito. Obrigado!\n" +
			"De vez em quando vamos mandar uma mensagem para saber como você está.\n" +
			"Se algo estiver difícil ou se quiser conversar, escreva aqui quando quiser.",
		Ack:         "Obrigado pela mensagem. Avisamos quem acompanha você.\nAguarde um pouco pela resposta.",
		NoQuestion:  "Esta pergunta já foi encerrada. Obrigado por responder!",
		MediaInFlow: "Obrigado! Responda esta pergunta com os botões abaixo ou por escrito.",
		MediaAck:    "Obrigado! Avisamos quem acompanha você.",
		Sorry:       "Desculpe, algo deu errado do nosso lado. Avisamos quem acompanha você; aguarde um pouco.",
		Stopped:     "Certo. Vamos pausar as mensagens por enquanto.\nEnvie \"再開\" quando quiser recebê-las de novo. Você pode escrever aqui quando quiser.",
		Resumed:     "Bem-vindo de volta! Vamos enviar as mensagens de novo.",
		About: "O Tsunagu liga crianças e famílias à equipe que as apoia, pelo LINE.\n" +
			"De vez em quando perguntamos como você está. Só a equipe vê as respostas.\n" +
			"Se algo estiver difícil ou se quiser conversar, escreva aqui quando quiser.",
	},
}

// WithLanguages is t with the built-in texts of other languages (TextsIn)
// where t has none of its own.
func WithLanguages(t Texts) Texts {
	by := map[string]*Texts{}
	for lang, in := range TextsIn {
		in := in
		by[lang] = &in
	}
	for lang, in := range t.ByLang {
		by[lang] = in
	}
	t.ByLang = by
	return t
}
