package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// Outcomes of a dispatch for one member.
const (
	SentStarted     = "started"         // the first question is queued by push
	SentRestarted   = "restarted"       // an open session of the same flow ended as missed first
	SentWaiting     = "waiting"         // the member is in another flow; this one starts when it ends
	SentDuplicate   = "duplicate"       // this member already got this occurrence
	SentNotAudience = "not in audience" // role or tags do not match
	SentBlocked     = "blocked"         // the member has blocked the bot
	SentPaused      = "paused"          // the family is paused
	SentNoConsent   = "no consent"      // the member declined, or has not answered, the sign-up consent
	SentOverQuota   = "over quota"      // the month's LINE quota would be exceeded: not sent
)

// Dispatch is one start of a flow for its audience: an occurrence of a
// schedule, or a coordinator's `send`.
type Dispatch struct {
	FlowID string
	Family string    // only this family (`send`); "" for the whole audience
	Key    string    // names the dispatch: each member gets it once
	At     time.Time // when it was due
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
	dispatchParallel = 2 // one chunk prepared (Go) while another commits (Redis)
)

// Dispatch starts the flow for every member of the audience once: the
// first question goes out by push. Members are taken in a stable order, so
// that when the month's quota cannot cover them all, the same members are
// served and the rest recorded as not sent. Running the same dispatch again
// (after a crash, or on another replica) starts nobody twice.
func (b *Bot) Dispatch(ctx context.Context, d Dispatch) (*DispatchResult, error) {
	flow := b.Flows.Get(d.FlowID)
	if flow == nil {
		return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "no flow with id %q", d.FlowID)
	}
	members, fams, err := b.Store.Audience(ctx, d.Family)
	if err != nil {
		return nil, err
	}
	res := &DispatchResult{Counts: map[string]int{}}
	record := func(m tsunagu.Member, outcome string) {
		if len(res.Members) < maxResultMembers { // a family has a handful; a roster is summed up in counts
			res.Members = append(res.Members, SendResult{MemberID: m.ID, Family: m.FamilyCode, Role: m.Role, Outcome: outcome})
		}
		res.Counts[outcome]++
	}
	var candidates []tsunagu.Member
	for _, m := range members {
		if why := b.Exclusion(flow, m, fams[m.FamilyCode]); why != "" {
			record(m, why)
			continue
		}
		candidates = append(candidates, m)
	}
	// Those this dispatch already reached (it is running again after a
	// crash) count neither against the quota nor twice.
	ids := make([]string, len(candidates))
	for i, m := range candidates {
		ids[i] = m.ID
	}
	seen, err := b.Store.Dispatched(ctx, d.Key, ids)
	if err != nil {
		return nil, err
	}
	var eligible []tsunagu.Member
	for i, m := range candidates {
		if seen[i] {
			record(m, SentDuplicate)
		} else {
			eligible = append(eligible, m)
		}
	}
	if eligible, err = b.withinQuota(ctx, flow, d.Key, eligible, record); err != nil {
		return nil, err
	}

	// Chunks go to Redis from a few goroutines at once, so that preparing
	// one chunk (Go) overlaps committing another (Redis). Outcomes are
	// recorded in member order afterwards.
	now := b.Clock.Now()
	if len(eligible) > 0 {
		// The dispatch's reminders and expiry, before any session they are
		// for: after a crash in between, they find sessions or nobody.
		if err := b.Store.AddTimers(ctx, dispatchTimers(flow, d.Key, now)...); err != nil {
			return nil, err
		}
	}
	keep := flow.ExpiresAfter + 7*24*time.Hour
	chunks := slices.Collect(slices.Chunk(eligible, startBatch))
	outcomes := make([][]string, len(chunks))
	var g errgroup.Group
	g.SetLimit(dispatchParallel)
	for ci, chunk := range chunks {
		g.Go(func() error {
			starts := make([]storage.Start, len(chunk))
			for i, m := range chunk {
				fam := fams[m.FamilyCode]
				r := flow.Start(b.NewID(), m.ID, now, flows.Env{Role: m.Role, Tags: fam.Tags})
				r.Session.Dispatch = d.Key
				// The validator keeps a flow's first question within one
				// batch of five messages.
				outs := batches(b.NewID, m.ID, m.LineUserID, r.Messages, now)
				starts[i] = storage.Start{MemberID: m.ID, Session: r.Session, Out: outs[0]}
			}
			var err error
			outcomes[ci], err = b.Store.StartSessions(ctx, d.Key, keep, starts)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	for ci, chunk := range chunks {
		for i, o := range outcomes[ci] {
			m := chunk[i]
			switch o {
			case storage.StartStarted:
				record(m, SentStarted)
			case storage.StartDuplicate:
				record(m, SentDuplicate)
			default: // busy: an open session decides, carefully
				outcome, err := b.startBusy(ctx, flow, d, m.ID)
				if err != nil {
					return res, fmt.Errorf("start %s for member %s: %w", flow.ID, m.ID, err)
				}
				record(m, outcome)
			}
		}
	}
	b.Log.Info("dispatch", "flow", flow.ID, "family", d.Family, "key", d.Key, "counts", res.Counts)
	b.Metrics.dispatch(res.Counts)
	return res, nil
}

// Exclusion says why a member gets no dispatch of flow, or "" when they do.
func (b *Bot) Exclusion(flow *flows.Flow, m tsunagu.Member, fam tsunagu.Family) string {
	switch {
	case !flow.ForAudience(m.Role, fam.Tags):
		return SentNotAudience
	case m.Blocked:
		return SentBlocked
	case fam.Paused:
		return SentPaused
	case !flow.OnEnrol && (m.Consent != "" || b.consentRequired()) && !Consented(m):
		return SentNoConsent
	}
	return ""
}

// startBusy starts the flow for a member who has an open session: one of
// the same flow ends as missed first; one of another flow finishes first
// and this check-in waits for it.
func (b *Bot) startBusy(ctx context.Context, flow *flows.Flow, d Dispatch, memberID string) (string, error) {
	var outcome string
	err := b.apply(ctx, d.Key+":"+memberID, memberID, tsunagu.Inbound{}, func(t *turn) error {
		t.ch.Dispatched = d.Key
		cur := t.st.Session
		switch {
		case t.st.Member == nil:
			outcome = SentNotAudience
			return nil
		case !cur.Open():
			outcome = SentStarted
			return t.start(flow)
		case cur.FlowID != flow.ID:
			outcome = SentWaiting
			pending, err := t.st.Pending()
			if err != nil {
				return err
			}
			if slices.ContainsFunc(pending, func(p storage.PendingStart) bool { return p.FlowID == flow.ID }) {
				return nil // already waiting: once is enough
			}
			t.ch.AddPending = &storage.PendingStart{FlowID: flow.ID, EventID: d.Key, Since: t.now}
			return nil
		}
		old, err := t.bot.Flows.Version(t.ctx, cur.FlowID, cur.FlowHash)
		if err != nil {
			return err
		}
		if old == nil {
			old = flow
		}
		env, err := t.env(old)
		if err != nil {
			return err
		}
		// One session per member and flow: the old one ends as missed, with
		// what missing it means (alerts, streak), then the new one starts.
		r := old.Expire(cur, t.now, env)
		fam, err := t.family()
		if err != nil {
			return err
		}
		for i := range r.Alerts {
			a := r.Alerts[i]
			t.alert(&a, fam)
		}
		t.ch.Ended = r.Session
		if old.Missed != nil && env.StreakMissed+1 == old.Missed.Streak {
			t.alert(t.streakAlert(old, env.StreakMissed+1), fam)
		}
		outcome = SentRestarted
		return t.start(flow)
	})
	if err == storage.ErrDuplicate {
		return SentDuplicate, nil
	}
	return outcome, err
}

// Consented reports whether the member agreed in the sign-up flow: its
// `consent` step answered "yes" or "agree". Any other answer declines.
func Consented(m tsunagu.Member) bool { return m.Consent == "yes" || m.Consent == "agree" }

// dispatchTimers are the reminders and the expiry of all the sessions a
// dispatch starts.
func dispatchTimers(flow *flows.Flow, key string, start time.Time) []storage.Timer {
	ts := make([]storage.Timer, 0, len(flow.Reminders)+1)
	for i, r := range flow.Reminders {
		ts = append(ts, storage.Timer{Kind: storage.TimerRemindAll, Due: start.Add(r.After), FlowID: flow.ID, Key: key, Index: i})
	}
	return append(ts, storage.Timer{Kind: storage.TimerExpireAll, Due: start.Add(flow.ExpiresAfter), FlowID: flow.ID, Key: key})
}

// consentRequired reports whether a sign-up flow asks for consent, in
// which case only members who gave it get scheduled check-ins.
func (b *Bot) consentRequired() bool {
	for _, f := range b.Flows.All() {
		if f.OnEnrol && f.Step("consent") != nil {
			return true
		}
	}
	return false
}

// withinQuota cuts the members down to what this month's LINE quota still
// covers, records the rest as not sent, and warns supporters.
func (b *Bot) withinQuota(ctx context.Context, flow *flows.Flow, key string, ms []tsunagu.Member, record func(tsunagu.Member, string)) ([]tsunagu.Member, error) {
	if b.Quota == nil || len(ms) == 0 {
		return ms, nil
	}
	limit, used, err := b.Quota(ctx)
	if err != nil {
		b.Log.Warn("quota unknown; dispatching anyway", "err", err)
		return ms, nil
	}
	// LINE counts what it has sent; what waits in the outbox will count
	// too. (Replies there are free, so this errs on the safe side.)
	pending, err := b.Store.LineOutbox().Len(ctx)
	if err != nil {
		return nil, err
	}
	used += pending
	if limit < 0 || used+int64(len(ms)) <= limit {
		return ms, nil
	}
	left := max(limit-used, 0)
	for _, m := range ms[left:] {
		record(m, SentOverQuota)
	}
	sum := sha256.Sum256([]byte("quota:" + key))
	a := &tsunagu.Alert{
		ID:         hex.EncodeToString(sum[:16]), // once per dispatch, however often it runs
		Severity:   tsunagu.SeverityWarning,
		FamilyCode: "（システム）",
		FlowID:     flow.ID,
		FlowTitle:  flow.Title,
		Reason:     "今月のLINE送信数の上限に近いため、" + strconv.Itoa(len(ms)-int(left)) + "人にチェックインを送れませんでした",
		Answers: []tsunagu.QA{
			{Question: "今月の上限 / 使用済み", Answer: strconv.FormatInt(limit, 10) + " / " + strconv.FormatInt(used, 10)},
			{Question: "送った人数 / 送れなかった人数", Answer: strconv.FormatInt(left, 10) + " / " + strconv.Itoa(len(ms)-int(left))},
		},
		State:     tsunagu.AlertOpen,
		CreatedAt: b.Clock.Now(),
	}
	if err := b.Store.RaiseAlertOnce(ctx, a); err != nil {
		return nil, err
	}
	return ms[:left], nil
}
