package main

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"

	"github.com/tsunagu/tsunagu"
)

//go:embed templates/invite.html
var invitePageSrc string

var invitePageTmpl = template.Must(template.New("invite").Parse(invitePageSrc))

// invitePageText is what a page says, in the voice of the one who reads
// it: plain words for a child, polite ones for a guardian.
type invitePageText struct {
	Title, Lead, Steps1, Steps2, Steps3, Search, Handling, Stop, Expires string
	What                                                                 []string
}

var invitePageTexts = map[tsunagu.Role]invitePageText{
	tsunagu.RoleChild: {
		Title:    "LINEで「つなぐ」とともだちになろう",
		Lead:     "ときどき LINE で「げんき？」ときくよ。ボタンをおすだけで、こたえられるよ。",
		Steps1:   "スマホの LINE をひらいて、下の QR コードを読みとってね（ホーム → ともだち追加 → QRコード）。",
		Steps2:   "トークがひらいたら、コードがもう入っているよ。そのまま送信してね。",
		Steps3:   "「とうろくできたよ」とへんじがきたら、おわり！",
		Search:   "QR コードが読めないときは、ID %s をけんさくして、ともだちになってから、このコードを送ってね。",
		Handling: "こたえの あつかい",
		What: []string{
			"こたえは、あなたをおうえんするスタッフだけが見るよ。名前ではなく、番号であつかうよ。",
			"こまっていそうなときは、スタッフから声をかけることがあるよ。",
			"「しにたい」「たたかれる」などのことばがあったら、すぐに相談できるところを知らせて、スタッフがれんらくするよ。",
		},
		Stop:    "やめたくなったら、いつでもブロックしていいよ。",
		Expires: "このコードは1回だけつかえるよ。%s までに とうろくしてね。",
	},
	tsunagu.RoleGuardian: {
		Title:    "LINE で「つなぐ」に登録してください",
		Lead:     "ご家庭のようすを、ときどき LINE でおうかがいします。ボタンを押すだけで答えられます。",
		Steps1:   "スマートフォンの LINE を開き、下の QR コードを読み取ってください（ホーム → 友だち追加 → QRコード）。",
		Steps2:   "トーク画面が開くと、コードが入力されています。そのまま送信してください。",
		Steps3:   "「登録しました」と返事が届けば完了です。",
		Search:   "QR コードが読めないときは、ID %s を検索して友だち追加し、このコードを送ってください。",
		Handling: "お答えの扱いについて",
		What: []string{
			"お答えは、ご家庭を支援するスタッフだけが見ます。お名前ではなく、番号で管理します。",
			"お困りのようすがあれば、スタッフからご連絡することがあります。",
			"命や安全にかかわることばがあれば、すぐに相談先をお知らせし、スタッフがご連絡します。",
		},
		Stop:    "やめたいときは、いつでもブロックしてください。",
		Expires: "このコードは1回だけ使えます。%s までにご登録ください。",
	},
}

// invitePage is one printable A4 page (HTML, self-contained: the QR code
// is inlined, nothing is fetched) that a supporter hands to a family.
func invitePage(out inviteOut, basicID string) ([]byte, error) {
	png, err := inviteQR(out.Link)
	if err != nil {
		return nil, err
	}
	txt := invitePageTexts[out.Role]
	txt.Search = fmt.Sprintf(txt.Search, basicID)
	txt.Expires = fmt.Sprintf(txt.Expires, out.ExpiresAt.Format("2006年1月2日 15:04"))
	var b bytes.Buffer
	err = invitePageTmpl.Execute(&b, struct {
		invitePageText
		Code, Family, Role string
		QR                 template.URL
	}{
		invitePageText: txt,
		Code:           out.Code, Family: out.Family, Role: string(out.Role),
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
	})
	return b.Bytes(), err
}
