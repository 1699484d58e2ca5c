package fakeslack_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// TestUploadFile: slack-go's UploadFileContext (three calls: get an
// upload URL, post the bytes there, complete the upload in a channel)
// shares the file in the channel, with its name, title and comment; an
// unknown channel is refused like Slack refuses it.
func TestUploadFile(t *testing.T) {
	s := fakeslack.New(t)
	ctx := context.Background()
	content := []byte("<!DOCTYPE html><p>ケース会議資料</p>")
	_, err := client(s, fakeslack.Token).UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(content), FileSize: len(content), Filename: "case.html",
		Title: "F-0001", InitialComment: "資料です", Channel: fakeslack.Channel,
	})
	if err != nil {
		t.Fatal(err)
	}
	files := s.Files(fakeslack.Channel)
	if len(files) != 1 {
		t.Fatalf("%d files", len(files))
	}
	f := files[0]
	if f.Name != "case.html" || f.Title != "F-0001" || f.InitialComment != "資料です" || !bytes.Equal(f.Content, content) {
		t.Errorf("file = %+v", f)
	}
	for _, m := range []string{"files.getUploadURLExternal", "upload", "files.completeUploadExternal"} {
		if s.Calls(m) != 1 {
			t.Errorf("%s called %d times", m, s.Calls(m))
		}
	}
	_, err = client(s, fakeslack.Token).UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(content), FileSize: len(content), Filename: "case.html", Channel: "C0NOWHERE",
	})
	if err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("upload to an unknown channel: %v", err)
	}
}
