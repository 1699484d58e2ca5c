package slack

import (
	"bytes"
	"context"
	"fmt"

	slackapi "github.com/slack-go/slack"
)

// Files shares a file in a channel (the case meeting pack, the digest's
// chart); *Notifier is one.
type Files interface {
	UploadFile(ctx context.Context, channel, filename, title, comment string, content []byte) error
}

var _ Files = (*Notifier)(nil)

// UploadFile shares content as a file in channel with slack-go's
// UploadFileContext (files.getUploadURLExternal, the upload, then
// files.completeUploadExternal). It needs the files:write scope.
func (n *Notifier) UploadFile(ctx context.Context, channel, filename, title, comment string, content []byte) error {
	_, err := n.api.UploadFileContext(ctx, slackapi.UploadFileParameters{
		Reader: bytes.NewReader(content), FileSize: len(content), Filename: filename,
		Title: title, InitialComment: comment, Channel: channel,
	})
	if err != nil {
		return fmt.Errorf("slack file upload: %w", err)
	}
	return nil
}
