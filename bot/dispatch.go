package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/scheduler"
	"github.com/tsunagu/tsunagu/storage"
)

// Outcomes of a dispatch for one member.
const (
	SentStarted     = "started"   // the first question is queued by push
	SentRestarted   = "restarted" // an open session of the same flow ended as missed first
	SentWaiting     = "waiting"   // the member is in another flow; this one starts when it ends
	SentDuplicate   = "duplicate" // this member already got this occurrence
	SentNotAudience = flows.NotInAudience
	SentBlocked     = flows.Blocked
	SentPaused      = flows.Paused
	SentStopped     = flows.Stopped
	SentAlreadyOpen = flows.BeganOpen // a session of this flow is open: a send leaves it (Replace ends it first)
	SentNoConsent   = flows.NoConsent
	SentOverQuota   = "over quota" // the month's LINE quota would be exceeded: not sent
)

// maxResultMembers bounds the per-member list kept for whoever asked for a
// dispatch; a family has a handful, a whole roster is summed up in counts.
const maxResultMembers = 1000

// DispatchJob is the job of a dispatch (scheduler.JobDispatch): a
// schedule's occurrence, or a coordinator's `send`, whose result is kept
// for whoever asked.
func (b *Bot) DispatchJob(ctx context.Context, tm storage.Timer) error {
	key := "occ:" + tm.FlowID + ":" + strconv.Itoa(tm.Schedule) + ":" + strconv.FormatInt(tm.Occurs.UnixMilli(), 10)
	if tm.Key != "" {
		key = "send:" + tm.Key
	}
	res, err := b.Dispatch(ctx, Dispatch{FlowID: tm.FlowID, Family: tm.Family, Key: key, At: tm.Due, Replace: tm.Key == "" || tm.Replace})
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

// Dispatch is one start of a flow for its audience: an occurrence of a
// schedule, or a coordinator's `send`.
type Dispatch struct {
	FlowID string
	Family string    // only this family (`send`); "" for the whole audience
	Key    string    // names the dispatch: each member gets it once
	At     time.Time // when it was due
	// Replace ends a member's open session of the same flow as missed
	// before starting: a schedule's next occurrence does; a coordinator's
	// send does only when asked, so that quick sends make no false miss.
	Replace bool
}

// DispatchResult says what a dispatch did for each member, and counts it.
type DispatchResult struct {
	Members []SendResult   `json:"members"`
	Counts  map[string]int `json:"counts"`
	Error   string         `json:"error,omitempty"` // why nothing was dispatched
}

// SendResult is one member's outcome.
type SendResult struct {
	MemberID string       `json:"member"`
	Family   string       `json:"family"`
	Role     tsunagu.Role `json:"role"`
	Outcome  string       `json:"outcome"`
}

const (
	startBatch       = 500
	dispatchParallel = 4 // chunks read, prepared and committed at once: Go and Redis overlap
)

// Dispatch starts the flow for every member of the audience once: the
// first question goes out by push. Members are taken in a stable order, so
// that when the month's quota cannot cover them all, the same members are
// served and the rest recorded as not sent. Running the same dispatch again
// (after a crash, or on another replica) starts nobody twice.
//
// The audience is read and started in chunks, several at once, so that
// reading one chunk, preparing another and committing a third overlap; only
// when the quota may run out are chunks taken one by one, in order.
func (b *Bot) Dispatch(ctx context.Context, d Dispatch) (*DispatchResult, error) {
	flow := b.Flows.Get(d.FlowID)
	if flow == nil {
		return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "no flow with id %q", d.FlowID)
	}
	ids, err := b.Store.AudienceIDs(ctx, d.Family)
	if err != nil {
		return nil, err
	}
	res := &DispatchResult{Counts: map[string]int{}}
	if len(ids) == 0 {
		return res, nil
	}
	q, err := b.quota(ctx, len(ids))
	if err != nil {
		return nil, err
	}
	now := b.Clock.Now()
	// The dispatch's reminders and expiry, before any session they are
	// for: after a crash in between, they find sessions or nobody.
	if err := b.Store.AddTimers(ctx, dispatchTimers(flow, d.Key, now)...); err != nil {
		return nil, err
	}

	chunks := slices.Collect(slices.Chunk(ids, startBatch))
	results := make([][]SendResult, len(chunks))
	var g errgroup.Group
	g.SetLimit(dispatchParallel)
	if q.limited() {
		g.SetLimit(1) // in order, so that the quota serves the same members every time
	}
	for ci, chunk := range chunks {
		g.Go(func() (err error) {
			results[ci], err = b.dispatchChunk(ctx, flow, d, chunk, now, q)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, rs := range results {
		for _, r := range rs {
			if r.Outcome == storage.StartBusy { // an open session decides, carefully
				if r.Outcome, err = b.startBusy(ctx, flow, d, r.MemberID); err != nil {
					return res, fmt.Errorf("start %s for member %s: %w", flow.ID, r.MemberID, err)
				}
			}
			if len(res.Members) < maxResultMembers { // a family has a handful; a roster is summed up in counts
				res.Members = append(res.Members, r)
			}
			res.Counts[r.Outcome]++
		}
	}
	if n := res.Counts[SentOverQuota]; n > 0 {
		if err := b.quotaAlert(ctx, flow, d.Key, q, n); err != nil {
			return res, err
		}
	}
	b.Log.Info("dispatch", "flow", flow.ID, "family", d.Family, "key", d.Key, "counts", res.Counts)
	b.Metrics.dispatch(res.Counts)
	return res, nil
}

// dispatchChunk reads one chunk of the audience, decides for each member,
// and starts those it can through the fast path. Members with an open
// session come back as storage.StartBusy for the careful path.
func (b *Bot) dispatchChunk(ctx context.Context, flow *flows.Flow, d Dispatch, ids []string, now time.Time, q *quota) ([]SendResult, error) {
	members, fams, err := b.Store.MembersWithFamilies(ctx, ids)
	if err != nil {
		return nil, err
	}
	conv := b.Conversation()
	out := make([]SendResult, len(members))
	var candidates []int
	for i, m := range members {
		out[i] = SendResult{MemberID: m.ID, Family: m.FamilyCode, Role: m.Role}
		if out[i].Outcome = conv.Exclusion(flow, m, fams[m.FamilyCode]); out[i].Outcome == "" {
			candidates = append(candidates, i)
		}
	}
	// Those this dispatch already reached (it is running again after a
	// crash) count neither against the quota nor twice.
	cids := make([]string, len(candidates))
	for j, i := range candidates {
		cids[j] = members[i].ID
	}
	seen, err := b.Store.Dispatched(ctx, d.Key, cids)
	if err != nil {
		return nil, err
	}
	var starts []storage.Start
	var started []int
	for j, i := range candidates {
		m := members[i]
		switch {
		case seen[j]:
			out[i].Outcome = SentDuplicate
		case !q.take():
			out[i].Outcome = SentOverQuota
		default:
			sess, msgs := conv.Opening(flow, m, fams[m.FamilyCode], d.Key, now)
			// The validator keeps a flow's first question within one
			// batch of five messages.
			outs := batches(b.NewID, m.ID, m.LineUserID, msgs, now)
			starts = append(starts, storage.Start{MemberID: m.ID, Session: sess, Out: outs[0]})
			started = append(started, i)
		}
	}
	if len(starts) == 0 {
		return out, nil
	}
	outcomes, err := b.Store.StartSessions(ctx, d.Key, flow.ExpiresAfter+7*24*time.Hour, starts)
	if err != nil {
		return nil, err
	}
	for j, o := range outcomes {
		switch o {
		case storage.StartStarted:
			out[started[j]].Outcome = SentStarted
		case storage.StartDuplicate:
			out[started[j]].Outcome = SentDuplicate
		default:
			out[started[j]].Outcome = storage.StartBusy
		}
	}
	return out, nil
}

// startBusy starts the flow for a member who has an open session: one of
// the same flow ends as missed first; one of another flow finishes first
// and this check-in waits for it.
func (b *Bot) startBusy(ctx context.Context, flow *flows.Flow, d Dispatch, memberID string) (string, error) {
	var outcome string
	err := b.apply(ctx, d.Key+":"+memberID, memberID, tsunagu.Inbound{}, func(f *facts) (flows.Turn, error) {
		turn, err := b.Conversation().Begin(f, flow, d.Key, d.Replace, f.now)
		outcome = began[turn.Summary]
		return turn, err
	}, func(ch *storage.Change) { ch.Dispatched = d.Key })
	if err == storage.ErrDuplicate {
		return SentDuplicate, nil
	}
	return outcome, err
}

// began maps what the conversation's Begin did to a dispatch outcome.
var began = map[string]string{
	flows.BeganStarted:   SentStarted,
	flows.BeganRestarted: SentRestarted,
	flows.BeganWaiting:   SentWaiting,
	flows.BeganNoMember:  SentNotAudience,
	flows.BeganOpen:      SentAlreadyOpen,
}

// dispatchTimers are the reminders and the expiry of all the sessions a
// dispatch starts.
func dispatchTimers(flow *flows.Flow, key string, start time.Time) []storage.Timer {
	ts := make([]storage.Timer, 0, len(flow.Reminders)+1)
	for i, r := range flow.Reminders {
		ts = append(ts, storage.Timer{Kind: scheduler.JobRemindAll, Due: start.Add(r.After), FlowID: flow.ID, Key: key, Index: i})
	}
	return append(ts, storage.Timer{Kind: scheduler.JobExpireAll, Due: start.Add(flow.ExpiresAfter), FlowID: flow.ID, Key: key})
}

// quota is what this month's LINE quota leaves for a dispatch.
type quota struct {
	limit, used int64
	left        int64 // -1: enough for everyone
	mu          sync.Mutex
}

func (q *quota) limited() bool { return q.left >= 0 }

// take uses one message of the quota, or reports that none is left.
func (q *quota) take() bool {
	if !q.limited() {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.left == 0 {
		return false
	}
	q.left--
	return true
}

// quota reads this month's quota for a dispatch to at most n members.
func (b *Bot) quota(ctx context.Context, n int) (*quota, error) {
	q := &quota{left: -1}
	if b.Quota == nil {
		return q, nil
	}
	limit, used, err := b.Quota(ctx)
	if err != nil {
		b.Log.Warn("quota unknown; dispatching anyway", "err", err)
		return q, nil
	}
	// LINE counts what it has sent; what waits in the outbox will count
	// too. (Replies there are free, so this errs on the safe side.)
	pending, err := b.Store.LineOutbox().Len(ctx)
	if err != nil {
		return nil, err
	}
	q.limit, q.used = limit, used+pending
	if limit >= 0 && q.used+int64(n) > limit {
		q.left = max(limit-q.used, 0)
	}
	return q, nil
}

// quotaAlert warns supporters, once per dispatch however often it runs,
// that the quota left notSent members without their check-in.
func (b *Bot) quotaAlert(ctx context.Context, flow *flows.Flow, key string, q *quota, notSent int) error {
	sum := sha256.Sum256([]byte("quota:" + key))
	a := &tsunagu.Alert{
		ID:         hex.EncodeToString(sum[:16]),
		Severity:   tsunagu.SeverityWarning,
		FamilyCode: "（システム）",
		FlowID:     flow.ID,
		FlowTitle:  flow.Title,
		Reason:     "今月のLINE送信数の上限に近いため、" + strconv.Itoa(notSent) + "人にチェックインを送れませんでした",
		Answers: []tsunagu.QA{
			{Question: "今月の上限 / 使用済み", Answer: strconv.FormatInt(q.limit, 10) + " / " + strconv.FormatInt(q.used, 10)},
			{Question: "送れなかった人数", Answer: strconv.Itoa(notSent)},
		},
		State:     tsunagu.AlertOpen,
		CreatedAt: b.Clock.Now(),
	}
	return b.Store.RaiseAlertOnce(ctx, a)
}
