package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tsunagu/tsunagu"
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
		err := b.apply(ctx, "", tm.MemberID, tsunagu.Inbound{}, func(t *turn) error {
			var err error
			outcome, err = t.timer(tm)
			return err
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
		err := b.apply(ctx, "timer:"+tm.ID(), tm.MemberID, tsunagu.Inbound{}, func(t *turn) error {
			flow := b.Flows.Get(tm.FlowID)
			switch {
			case t.st.Member == nil || flow == nil:
				return nil
			case t.st.Session.Open():
				// Something else started meanwhile: wait for it again.
				t.ch.AddPending = &storage.PendingStart{FlowID: flow.ID, EventID: tm.Key, Since: t.now}
				return nil
			}
			return t.startIfAllowed(flow)
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

// timer handles a reminder or an expiry within a member's turn.
func (t *turn) timer(tm storage.Timer) (string, error) {
	sess := t.st.Session
	ours := sess.Open() && ((tm.SessionID != "" && sess.ID == tm.SessionID) || (tm.Key != "" && sess.Dispatch == tm.Key))
	if !ours || t.st.Member == nil {
		return "session moved on", nil
	}
	flow, err := t.bot.Flows.Version(t.ctx, sess.FlowID, sess.FlowHash)
	if err != nil {
		return "", err
	}
	if flow == nil {
		return "flow gone", nil
	}
	if tm.Kind == storage.TimerReminder {
		if sess.Reminded > tm.Index || t.st.Member.Blocked {
			return "not needed", nil
		}
		msgs, ok := flow.Reminder(sess, tm.Index)
		if !ok {
			return "no such reminder", nil
		}
		next := *sess
		next.Reminded = tm.Index + 1
		t.ch.Session = &next
		t.say(msgs...)
		return "reminded", nil
	}
	env, err := t.env(flow)
	if err != nil {
		return "", err
	}
	return "expired", t.result(flow, flow.Expire(sess, t.now, env), env)
}
