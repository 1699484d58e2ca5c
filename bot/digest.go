package bot

import (
	"context"
	"time"

	"github.com/tsunagu/tsunagu/storage"
)

// Digest is the job of the weekly support-status report
// (scheduler.JobDigest): the week before the occurrence, posted to Slack.
func (b *Bot) Digest(ctx context.Context, tm storage.Timer) error {
	rep, err := b.Report(ctx, tm.Occurs.Add(-7*24*time.Hour), tm.Occurs)
	if err != nil {
		return err
	}
	return b.Store.QueueSlack(ctx, storage.SlackJob{Op: storage.SlackThread, Text: rep.Slack(b.location())})
}
