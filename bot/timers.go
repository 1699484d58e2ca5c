package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

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
		err := b.apply(ctx, "timer:"+tm.ID(), tm.MemberID, tsunagu.Inbound{}, func(t *turn) error {
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
			if len(res.Members) > maxResultMembers {
				res.Members = res.Members[:maxResultMembers] // the counts stay whole
			}
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
	if !sess.Open() || sess.ID != tm.SessionID || t.st.Member == nil {
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
