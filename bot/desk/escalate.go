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
	strangerOnce := false
	if a.Stranger != "" {
		// Someone who never enrolled is escalated once, however many
		// alerts they raise; one who joined another stranger's message
		// over the cap is escalated by that message's, if it is urgent and
		// still open (else theirs would be nobody's).
		if covered, err := d.coveredByLead(ctx, a); err != nil || covered {
			return err
		}
		done, err := d.Store.StrangerEscalated(ctx, a.Stranger)
		if err != nil || done {
			return err
		}
		strangerOnce = true
	}
	// Queue first: after a crash between the two, the reminder goes out
	// twice rather than never.
	if err := d.Store.QueueSlack(ctx, storage.SlackJob{Op: storage.SlackEscalate, AlertID: a.ID, Level: tm.Index}); err != nil {
		return err
	}
	if strangerOnce {
		if err := d.Store.MarkStrangerEscalated(ctx, a.Stranger, 7*24*time.Hour); err != nil {
			return err
		}
	}
	d.Log.Info("alert escalated", "alert", a.ID, "level", tm.Index)
	d.Metrics.Job(tm.Kind, "escalated")
	_, err = d.Store.RecordAlertEvent(ctx, a.ID, tsunagu.AlertEvent{At: d.Clock.Now(), By: "tsunagu", What: "escalated"}, tm.Index)
	return err
}

// coveredByLead reports whether a stranger's alert shown in another
// stranger's message is escalated by that message: the lead is urgent and
// still open, so its own escalation reminds on-call of the message.
func (d *Desk) coveredByLead(ctx context.Context, a *tsunagu.Alert) (bool, error) {
	if a.GroupOf == "" {
		return false, nil
	}
	lead, err := d.Store.Alert(ctx, a.GroupOf)
	if tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return lead.Severity == tsunagu.SeverityUrgent && lead.State == tsunagu.AlertOpen, nil
}
