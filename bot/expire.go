package bot

import (
	"context"

	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// Expire is the job of a session's expiry (scheduler.JobExpire): a session
// still waiting ends as missed, with its answers so far, its `end` alerts
// and what the miss does to the streak; a check-in that waited for it
// starts after. One for a session that moved on does nothing.
func (b *Bot) Expire(ctx context.Context, tm storage.Timer) error {
	return b.sessionJob(ctx, tm, func(c *flows.Conversation, f *facts, ref flows.SessionRef) (flows.Turn, error) {
		return c.Expire(f, ref, f.now)
	})
}
