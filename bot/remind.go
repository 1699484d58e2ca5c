package bot

import (
	"context"
	"errors"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// Remind is the job of a session's reminder (scheduler.JobReminder): it
// asks again, by push, while the session still waits for the member and
// has not had this reminder. One for a session that moved on does nothing.
func (b *Bot) Remind(ctx context.Context, tm storage.Timer) error {
	return b.sessionJob(ctx, tm, func(c *flows.Conversation, f *facts, ref flows.SessionRef) (flows.Turn, error) {
		return c.Remind(f, ref, tm.Index, f.now)
	})
}

// sessionJob runs a job set for one member's session in a turn of theirs.
func (b *Bot) sessionJob(ctx context.Context, tm storage.Timer, decide func(*flows.Conversation, *facts, flows.SessionRef) (flows.Turn, error)) error {
	ref := flows.SessionRef{SessionID: tm.SessionID, Dispatch: tm.Key}
	var outcome string
	// No event id: the session itself says whether this was done (a
	// reminder counts in Reminded, an expiry ends it), and 100,000 event
	// keys a week would outweigh the sessions.
	err := b.apply(ctx, "", tm.MemberID, tsunagu.Inbound{}, func(f *facts) (flows.Turn, error) {
		turn, err := decide(b.Conversation(), f, ref)
		outcome = turn.Summary
		return turn, err
	})
	if errors.Is(err, storage.ErrDuplicate) {
		return nil
	}
	if err == nil {
		b.Log.Info("timer", "kind", tm.Kind, "user", tm.MemberID, "outcome", outcome)
		b.Metrics.Job(tm.Kind, outcome)
	}
	return err
}
