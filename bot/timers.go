package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// maxResultMembers bounds the per-member list kept for whoever asked for a
// dispatch; a family has a handful, a whole roster is summed up in counts.
const maxResultMembers = 1000

// HandleTimer does what a timer that came due was set for, once: a
// reminder or an expiry for a session that has since moved on does
// nothing.
func (b *Bot) HandleTimer(ctx context.Context, tm storage.Timer) error {
	switch tm.Kind {
	case storage.TimerReminder, storage.TimerExpire:
		var outcome string
		// No event id: the session itself says whether this was done (a
		// reminder counts in Reminded, an expiry ends it), and 100,000
		// event keys a week would outweigh the sessions.
		ref := flows.SessionRef{SessionID: tm.SessionID, Dispatch: tm.Key}
		err := b.apply(ctx, "", tm.MemberID, tsunagu.Inbound{}, func(f *facts) (flows.Turn, error) {
			conv := b.Conversation()
			var turn flows.Turn
			var err error
			if tm.Kind == storage.TimerReminder {
				turn, err = conv.Remind(f, ref, tm.Index, f.now)
			} else {
				turn, err = conv.Expire(f, ref, f.now)
			}
			outcome = turn.Summary
			return turn, err
		})
		if errors.Is(err, storage.ErrDuplicate) {
			return nil
		}
		if err == nil {
			b.Log.Info("timer", "kind", tm.Kind, "user", tm.MemberID, "outcome", outcome)
			b.Metrics.timer(tm.Kind, outcome)
		}
		return err
	case storage.TimerRemindAll, storage.TimerExpireAll:
		// Fan out into a timer per member, each of which checks that the
		// member is still in this dispatch's session.
		kind := storage.TimerReminder
		if tm.Kind == storage.TimerExpireAll {
			kind = storage.TimerExpire
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
	case storage.TimerStart:
		err := b.apply(ctx, "timer:"+tm.ID(), tm.MemberID, tsunagu.Inbound{}, func(f *facts) (flows.Turn, error) {
			return b.Conversation().StartWaiting(f, tm.FlowID, tm.Key, f.now)
		})
		if errors.Is(err, storage.ErrDuplicate) {
			return nil
		}
		return err
	case storage.TimerEscalate:
		a, err := b.Store.Alert(ctx, tm.AlertID)
		if tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND {
			return nil
		}
		if err != nil || a.State != tsunagu.AlertOpen || a.Escalated >= tm.Index {
			return err // claimed or resolved: escalation stops
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
	case storage.TimerDigest:
		rep, err := b.Report(ctx, tm.Occurs.Add(-7*24*time.Hour), tm.Occurs)
		if err != nil {
			return err
		}
		return b.Store.QueueSlack(ctx, storage.SlackJob{Op: storage.SlackThread, Text: rep.Slack(b.location())})
	case storage.TimerDispatch:
		key := "occ:" + tm.FlowID + ":" + strconv.Itoa(tm.Schedule) + ":" + strconv.FormatInt(tm.Occurs.UnixMilli(), 10)
		if tm.Key != "" {
			key = "send:" + tm.Key
		}
		res, err := b.Dispatch(ctx, Dispatch{FlowID: tm.FlowID, Family: tm.Family, Key: key, At: tm.Due})
		if tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND {
			b.Log.Warn("dispatch of a flow no longer in force skipped", "flow", tm.FlowID)
			res, err = &DispatchResult{Error: err.Error()}, nil
		}
		if err != nil {
			return err
		}
		if tm.Key != "" {
			out, _ := json.Marshal(res)
			return b.Store.SaveDispatchResult(ctx, tm.Key, out)
		}
		return nil
	}
	return fmt.Errorf("unknown timer kind %q", tm.Kind)
}
