package desk

import (
	"context"
	"time"

	"github.com/tsunagu/tsunagu/storage"
)

// Digest is the job of the weekly support-status report
// (scheduler.JobDigest): the week before the occurrence, posted to Slack.
func (d *Desk) Digest(ctx context.Context, tm storage.Timer) error {
	rep, err := d.Report(ctx, tm.Occurs.Add(-7*24*time.Hour), tm.Occurs)
	if err != nil {
		return err
	}
	return d.Store.QueueSlack(ctx, storage.SlackJob{Op: storage.SlackThread, Text: rep.Slack(d.location())})
}
