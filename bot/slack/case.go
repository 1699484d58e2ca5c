package slack

import (
	"context"
	"log/slog"
	"time"

	slackapi "github.com/slack-go/slack"
)

// CasePacks makes a family's case meeting pack as one HTML page, and
// records in the audit log that by made it; *desk.Desk is one.
type CasePacks interface {
	CasePackHTML(ctx context.Context, code, by string) (filename string, page []byte, err error)
}

// caseUploadTimeout keeps making and sharing a pack inside the 3 seconds
// Slack waits for a command's answer.
const caseUploadTimeout = 2500 * time.Millisecond

// casePack answers /tsunagu case CODE: like the summary, only for the
// family's organisation, from one of its channels, and recorded before it
// is made; the pack is shared as a file in that channel (whose members
// are the organisation's), never in a DM.
func (c *Commands) casePack(ctx context.Context, log *slog.Logger, sc slackapi.SlashCommand, code, name string) *commandResponse {
	if c.Cases == nil || c.Files == nil {
		return c.help(name, "ケース会議資料はこの環境では作れません。`tsunagu case "+code+"` を使ってください。")
	}
	if no := c.refused(ctx, log, sc, code, DoCase); no != nil {
		return no
	}
	if c.Guard != nil && !c.Guard.read(ctx, log, commandRequest(sc), code, DoCase) {
		return ephemeral("いま読み込めませんでした。少し待ってから、もう一度お試しください。")
	}
	ctx, cancel := context.WithTimeout(ctx, caseUploadTimeout)
	defer cancel()
	file, page, err := c.Cases.CasePackHTML(ctx, code, sc.UserID)
	if err != nil {
		return c.failed(log, err, code, name)
	}
	comment := "📄 " + mention(sc.UserID) + " が " + code + " のケース会議資料を作りました。ブラウザで開けます（印刷できます）。会議が終わったら、このファイルは削除してください。"
	if err := c.Files.UploadFile(ctx, sc.ChannelID, file, code+" ケース会議資料", comment, page); err != nil {
		log.Error("case pack not shared", "family", code, "err", err)
		return ephemeral("資料をチャンネルに置けませんでした（アプリに files:write の権限があるか確かめてください）。`tsunagu case " + code + "` でも作れます。")
	}
	log.Info("case pack shared", "family", code, "channel", sc.ChannelID)
	return ephemeral("📄 " + code + " のケース会議資料をこのチャンネルに置きました。")
}
