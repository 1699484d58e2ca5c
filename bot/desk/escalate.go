package desk

import (
	"context"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/storage"
)

// Escalate is the job of an urgent alert nobody has claimed
// (scheduler.JobEscalate): on-call supporters are reminded in its thread.
// A claimed or resolved alert, or a level already reached, stops it.
func (d *Desk) Escalate(ctx context.Context, tm storage.Timer) error {
	a, err := d.Store.Alert(ctx, tm.AlertID)
	if tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND {
		return nil
	}
	if err != nil || a.State != tsunagu.AlertOpen || a.Escalated >= tm.Index {
		return err
	}
	if a.Stranger != "" {
		// Someone who never enrolled is escalated once, however many
		// alerts they raise; one who joined another stranger's message
		// over the cap is that message's escalation.
		if a.GroupOf != "" {
			return nil
		}
		first, err := d.Store.FirstStrangerEscalation(ctx, a.Stranger, 7*24*time.Hour)
		if err != nil || !first {
			return err
		}
	}
	// Queue first: after a crash between the two, the reminder goes out
	// twice rather than never.
	if err := d.Store.QueueSlack(ctx, storage.SlackJob{Op: storage.SlackEscalate, AlertID: a.ID, Level: tm.Index}); err != nil {
		return err
	}
	d.Log.Info("alert escalated", "alert", a.ID, "level", tm.Index)
	d.Metrics.Job(tm.Kind, "escalated")
	_, err = d.Store.RecordAlertEvent(ctx, a.ID, tsunagu.AlertEvent{At: d.Clock.Now(), By: "tsunagu", What: "escalated"}, tm.Index)
	return err
}
