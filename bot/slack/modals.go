package slack

import (
	"encoding/json"

	slackapi "github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu"
)

// Callback ids of the modals, and the block and action ids of their inputs
// (an input's block id is where Slack shows a field error).
const (
	viewResolve  = "resolve_note"
	viewReassign = "reassign"
	viewReply    = "reply"

	inputNote     = "note"
	inputAssignee = "assignee"
	inputReply    = "reply_text"
)

// Lengths of what supporters type. A reply is one LINE message (5,000
// UTF-16 units at most) but meant to be short, and a note lands in the
// alert message, whose sections hold 3,000.
const (
	maxReplyText = 1000
	maxNoteText  = 1000
)

// viewMeta is a modal's private_metadata: which alert it is about and
// where that alert's message is, so that the submission can update it.
type viewMeta struct {
	Alert   string `json:"alert"`
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
}

func (m viewMeta) String() string {
	b, _ := json.Marshal(m) // strings only: cannot fail
	return string(b)
}

func parseMeta(s string) (viewMeta, bool) {
	var m viewMeta
	return m, json.Unmarshal([]byte(s), &m) == nil && m.Alert != ""
}

func modal(callbackID, title, submit string, meta viewMeta, blocks ...slackapi.Block) slackapi.ModalViewRequest {
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      callbackID,
		Title:           plain(title),
		Submit:          plain(submit),
		Close:           plain("キャンセル"),
		PrivateMetadata: meta.String(),
		Blocks:          slackapi.Blocks{BlockSet: blocks},
	}
}

// resolveView asks for an optional note of what was done. The note goes
// into the shared record, so the hint asks to leave names out.
func resolveView(meta viewMeta) slackapi.ModalViewRequest {
	note := slackapi.NewPlainTextInputBlockElement(plain("例: 電話で保護者と話し、来週の面談を約束した"), inputNote).
		WithMultiline(true).WithMaxLength(maxNoteText)
	return modal(viewResolve, "対応済みにする", "対応済みにする", meta,
		mrkdwnSection("resolve_intro", "このアラートを対応済みにします。"),
		slackapi.NewInputBlock(inputNote, plain("対応の内容（任意）"),
			plain("チャンネルの記録に残ります。名前や連絡先は書かないでください。"), note).WithOptional(true),
	)
}

// reassignView asks whom to hand the alert to.
func reassignView(meta viewMeta) slackapi.ModalViewRequest {
	users := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeUser, plain("支援者を選ぶ"), inputAssignee)
	return modal(viewReassign, "担当を変更", "変更する", meta,
		slackapi.NewInputBlock(inputAssignee, plain("担当を変更する"), nil, users),
	)
}

// replyView asks for the text to send to the member on LINE, says to whom
// (family code and role, nothing else) and that it costs a push.
func replyView(meta viewMeta, ref alertRef) slackapi.ModalViewRequest {
	to := "このアラートの相手"
	if ref.Family != "" {
		to = escape(ref.Family)
		if role := roleLabel(ref.Role); role != "" {
			to += " の" + escape(role)
		}
	}
	text := slackapi.NewPlainTextInputBlockElement(plain("LINEで届く文章です。やさしく、短く。"), inputReply).
		WithMultiline(true).WithMaxLength(maxReplyText)
	return modal(viewReply, "LINEで返信", "送信", meta,
		mrkdwnSection("reply_to", "*宛先:* "+to),
		slackapi.NewInputBlock(inputReply, plain("返信の内容"), plain("送った内容と送った人はスレッドに記録されます。"), text),
		slackapi.NewContextBlock("reply_quota",
			mrkdwn("この返信はLINEのプッシュメッセージとして送られ、月ごとの送信数（無料プランは200通）を使います")),
	)
}

// submitted reads the value of one input of a submitted modal.
func submitted(v slackapi.View, input string) slackapi.BlockAction {
	if v.State == nil {
		return slackapi.BlockAction{}
	}
	return v.State.Values[input][input]
}

// fieldError answers a view_submission so that Slack keeps the modal open
// and shows msg under the input.
func fieldError(input, msg string) *slackapi.ViewSubmissionResponse {
	return slackapi.NewErrorsViewSubmissionResponse(map[string]string{input: msg})
}

// submitErrorText says in the modal why a submission was not applied.
// EINVALID's message is the domain's own, which is safe to show.
func submitErrorText(err error) string {
	switch tsunagu.ErrorCode(err) {
	case tsunagu.ENOTFOUND:
		return "このアラートは見つかりませんでした。古いアラートかもしれません。"
	case tsunagu.ECONFLICT:
		return "ほかの方が先に状態を変えました。メッセージを確かめてください。"
	case tsunagu.EINVALID:
		return "できませんでした: " + tsunagu.ErrorMessage(err)
	default:
		return "いま記録できませんでした。少し待ってから、もう一度お試しください。"
	}
}
