package bot

import (
	"context"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/storage"
)

// Escalate is the job of an urgent alert nobody has claimed
// (scheduler.JobEscalate): on-call supporters are reminded in its thread.
// A claimed or resolved alert, or a level already reached, stops it.
func (b *Bot) Escalate(ctx context.Context, tm storage.Timer) error {
	a, err := b.Store.Alert(ctx, tm.AlertID)
	if tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND {
		return nil
	}
	if err != nil || a.State != tsunagu.AlertOpen || a.Escalated >= tm.Index {
		return err
	}
	// Queue first: after a crash between the two, the reminder goes out
	// twice rather than never.
	if err := b.Store.QueueSlack(ctx, storage.SlackJob{Op: storage.SlackEscalate, AlertID: a.ID, Level: tm.Index}); err != nil {
		return err
	}
	b.Log.Info("alert escalated", "alert", a.ID, "level", tm.Index)
	b.Metrics.timer(tm.Kind, "escalated")
	_, err = b.Store.RecordAlertEvent(ctx, a.ID, tsunagu.AlertEvent{At: b.Clock.Now(), By: "tsunagu", What: "escalated"}, tm.Index)
	return err
}
