package bot

import (
	"context"

	"github.com/tsunagu/tsunagu/scheduler"
	"github.com/tsunagu/tsunagu/storage"
)

// FanOut is the job of a dispatch's reminder or expiry for all its members
// (scheduler.JobRemindAll, JobExpireAll): it becomes a job per member, each
// of which checks that the member is still in this dispatch's session.
func (b *Bot) FanOut(ctx context.Context, tm storage.Timer) error {
	kind := scheduler.JobReminder
	if tm.Kind == scheduler.JobExpireAll {
		kind = scheduler.JobExpire
	}
	now := b.Clock.Now()
	n := 0
	err := b.Store.DispatchMembers(ctx, tm.Key, func(ids []string) error {
		ts := make([]storage.Timer, len(ids))
		for i, id := range ids {
			ts[i] = storage.Timer{Kind: kind, Due: now, MemberID: id, Key: tm.Key, Index: tm.Index}
		}
		n += len(ids)
		return b.Store.AddTimers(ctx, ts...)
	})
	if err == nil {
		b.Log.Info("timer fanned out", "kind", tm.Kind, "flow", tm.FlowID, "members", n)
	}
	return err
}
