package bot

import (
	"context"
	"fmt"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/storage"
)

// SendResult says what starting a flow did for each member of a family.
type SendResult struct {
	MemberID string       `json:"member"`
	Role     tsunagu.Role `json:"role"`
	Outcome  string       `json:"outcome"` // SentStarted, SentNotAudience, ...
}

const (
	SentStarted     = "started"         // the first question is queued by push
	SentRestarted   = "restarted"       // an open session of the same flow ended as missed first
	SentNotAudience = "not in audience" // the flow is not for this member's role
	SentBlocked     = "blocked"         // the member has blocked the bot
	SentBusy        = "busy"            // the member is in another flow's session
)

// Send starts a flow now for every linked member of a family whose role the
// flow's audience includes. The first question goes out by push.
func (b *Bot) Send(ctx context.Context, flowID, familyCode string) ([]SendResult, error) {
	flow := b.Flows.Get(flowID)
	if flow == nil {
		return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "no flow with id %q", flowID)
	}
	if _, err := b.Store.Family(ctx, familyCode); err != nil {
		return nil, err
	}
	members, err := b.Store.FamilyMembers(ctx, familyCode)
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "family %s has no linked members yet: hand out an invite first", familyCode)
	}
	var results []SendResult
	for _, m := range members {
		r := SendResult{MemberID: m.ID, Role: m.Role}
		switch {
		case !flow.ForRole(m.Role):
			r.Outcome = SentNotAudience
		case m.Blocked:
			r.Outcome = SentBlocked
		default:
			r.Outcome, err = b.start(ctx, flowID, m.ID)
			if err != nil {
				return results, fmt.Errorf("start %s for member %s: %w", flowID, m.ID, err)
			}
		}
		results = append(results, r)
		b.Log.Info("send", "flow", flowID, "family", familyCode, "member", m.ID, "outcome", r.Outcome)
	}
	return results, nil
}

// start opens a session of the flow for one member and queues its first
// question, in one transaction.
func (b *Bot) start(ctx context.Context, flowID, memberID string) (string, error) {
	now := b.Clock.Now()
	var outcome string
	err := b.Store.Apply(ctx, "", memberID, func(st *storage.State) (*storage.Change, error) {
		flow := b.Flows.Get(flowID)
		if st.Member == nil || flow == nil {
			return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "member or flow vanished")
		}
		ch := &storage.Change{}
		outcome = SentStarted
		if cur := st.Session; cur.Open() {
			if cur.FlowID != flowID {
				outcome = SentBusy
				return nil, nil
			}
			// One session per member and flow: the old one ends as missed.
			ended := *cur
			ended.Status, ended.UpdatedAt = tsunagu.SessionMissed, now
			ch.Ended = &ended
			outcome = SentRestarted
		}
		res := flow.Start(b.NewID(), memberID, now)
		ch.Session = res.Session
		ch.Out = batches(b.NewID, memberID, st.Member.LineUserID, res.Messages, now)
		return ch, nil
	})
	return outcome, err
}
