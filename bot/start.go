package bot

import (
	"context"
	"errors"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// StartWaiting is the job of a check-in that waited for the member's
// previous one to end (scheduler.JobStart): it starts now, as a push that
// quiet hours hold back, unless another session is open again or the
// member may not get it any more.
func (b *Bot) StartWaiting(ctx context.Context, tm storage.Timer) error {
	err := b.apply(ctx, "timer:"+tm.ID(), tm.MemberID, tsunagu.Inbound{}, func(f *facts) (flows.Turn, error) {
		return b.Conversation().StartWaiting(f, tm.FlowID, tm.Key, f.now)
	})
	if errors.Is(err, storage.ErrDuplicate) {
		return nil
	}
	return err
}
