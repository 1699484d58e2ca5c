package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

const (
	eventTTL      = 7 * 24 * time.Hour // LINE redelivers for far less than this
	historyLen    = 100
	enrolFailsTTL = time.Hour
	maxAttempts   = 200 // optimistic retries before giving up under contention
	// dispatchMembersTTL bounds a dispatch's member set that only Apply
	// wrote to (every member was busy).
	dispatchMembersTTL = 30 * 24 * time.Hour
)

// ErrDuplicate is returned by Apply for an event it has already committed:
// a redelivery, which must change nothing.
var ErrDuplicate = errors.New("event already processed")

// State is what Apply reads for one member before deciding a change. Reads
// made through it are watched: if another process changes them before the
// commit, the decision is made again on fresh data.
type State struct {
	Member     *tsunagu.Member  // nil when the LINE user is not linked yet
	Session    *tsunagu.Session // the open session, or nil
	EnrolFails int              // wrong invite codes in the last hour
	// EnrolFailsAll is everyone's wrong invite codes this hour: a limit on
	// guessing that one user with many LINE accounts cannot get round.
	EnrolFailsAll int

	ctx      context.Context
	tx       *redis.Tx
	memberID string
	store    *Store
}

// Invite returns the invite with the given code, or nil when there is none
// (never was, used, or expired).
func (st *State) Invite(code string) (*tsunagu.Invite, error) {
	if err := st.tx.Watch(st.ctx, inviteKey(code)).Err(); err != nil {
		return nil, unavailable(err)
	}
	var inv tsunagu.Invite
	if err := getJSON(st.ctx, st.tx, inviteKey(code), &inv); err != nil {
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		return nil, err
	}
	return &inv, nil
}

// History returns the member's ended sessions, newest first.
func (st *State) History() ([]tsunagu.Session, error) {
	raw, err := st.tx.LRange(st.ctx, historyKey(st.memberID), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	return st.store.decodeHistory(raw)
}

// PendingStart is a check-in waiting for the member's current session of
// another flow to end.
type PendingStart struct {
	FlowID  string    `json:"flow"`
	EventID string    `json:"event"` // what asked for it, for the record
	Since   time.Time `json:"since"`
}

// Pending returns the check-ins waiting for the member, oldest first.
func (st *State) Pending() ([]PendingStart, error) {
	raw, err := st.tx.LRange(st.ctx, pendingKey(st.memberID), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]PendingStart, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal([]byte(r), &out[i]); err != nil {
			return nil, fmt.Errorf("decode pending: %w", err)
		}
	}
	return out, nil
}

// Family returns the family with the given code, or nil.
func (st *State) Family(code string) (*tsunagu.Family, error) {
	var f tsunagu.Family
	if err := getJSON(st.ctx, st.tx, familyKey(code), &f); err != nil {
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		return nil, err
	}
	return &f, nil
}

// Change is what one event or command does for one member. Apply commits
// all of it or none of it.
type Change struct {
	Session      *tsunagu.Session // store as the open session (its Version is set by Apply)
	ClearSession bool             // end the open session
	Ended        *tsunagu.Session // a session that ended now, kept in history

	Member      *tsunagu.Member // create or update the member (and its family link)
	UseInvite   string          // the invite code this change uses up
	EnrolFailed int             // wrong invite codes tried, counted for the member and for everyone

	Out    []tsunagu.Outgoing // messages to deliver
	Alerts []*tsunagu.Alert   // alerts to post
	Timers []Timer            // reminders and expiry of the session started
	Slack  []SlackJob         // Slack posts besides the alerts (a reply's record)

	Dispatched string        // the dispatch (key) this change decided for the member
	AddPending *PendingStart // a check-in to start when the current session ends
	PopPending bool          // the oldest pending check-in was started
}

// Apply reads the member's state, asks decide what to do, and commits the
// change atomically together with the event id (when not empty), so that the
// event is processed exactly once: a redelivered event returns ErrDuplicate
// and changes nothing. Concurrent events for one member are serialised by
// optimistic concurrency: when another commit for the member lands between
// the read and the commit, decide runs again on the new state. decide must
// therefore have no side effects.
func (s *Store) Apply(ctx context.Context, eventID, memberID string, decide func(*State) (*Change, error)) error {
	keys := []string{sessionKey(memberID), memberKey(memberID), enrolFailsKey(memberID), pendingKey(memberID)}
	if eventID != "" {
		keys = append(keys, eventKey(eventID))
	}
	txf := func(tx *redis.Tx) error {
		if eventID != "" {
			n, err := tx.Exists(ctx, eventKey(eventID)).Result()
			if err != nil {
				return unavailable(err)
			}
			if n > 0 {
				return ErrDuplicate
			}
		}
		st, err := s.readState(ctx, tx, memberID)
		if err != nil {
			return err
		}
		ch, err := decide(st)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			return s.write(ctx, p, eventID, memberID, st, ch)
		})
		if err == nil && eventID != "" {
			err = s.replicated(ctx, tx)
		}
		return err
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		err := s.rdb.Watch(ctx, txf, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			if err != nil && tsunagu.ErrorCode(err) == tsunagu.EINTERNAL && isNetErr(err) {
				return unavailable(err)
			}
			return err
		}
		// Another commit for this member won; back off a little so that a
		// burst of events does not spin.
		select {
		case <-ctx.Done():
			return unavailable(ctx.Err())
		case <-time.After(time.Duration(rand.IntN(1+attempt)) * time.Millisecond):
		}
	}
	return tsunagu.Errorf(tsunagu.ECONFLICT, "too much contention on member %s", memberID)
}

func (s *Store) readState(ctx context.Context, tx *redis.Tx, memberID string) (*State, error) {
	st := &State{ctx: ctx, tx: tx, memberID: memberID, store: s}
	var m tsunagu.Member
	switch err := getJSON(ctx, tx, memberKey(memberID), &m); {
	case err == nil:
		st.Member = &m
	case !errors.Is(err, redis.Nil):
		return nil, err
	}
	switch sess, err := s.getSession(ctx, tx, sessionKey(memberID)); {
	case err == nil:
		st.Session = sess
	case !errors.Is(err, redis.Nil):
		return nil, err
	}
	n, err := tx.Get(ctx, enrolFailsKey(memberID)).Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	st.EnrolFails = n
	// Read but not watched: a guess at everyone's wrong codes this hour is
	// enough to slow a guesser down, and must not make every event contend.
	all, err := tx.Get(ctx, enrolFailsAllKey(s.now())).Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	st.EnrolFailsAll = all
	return st, nil
}

func (s *Store) write(ctx context.Context, p redis.Pipeliner, eventID, memberID string, st *State, ch *Change) error {
	if eventID != "" {
		p.Set(ctx, eventKey(eventID), "1", eventTTL)
	}
	if ch == nil {
		return nil
	}
	switch {
	case ch.Session != nil:
		next := *ch.Session
		next.Version = 1
		if st.Session != nil {
			next.Version = st.Session.Version + 1
		}
		if err := s.setSession(ctx, p, sessionKey(memberID), &next); err != nil {
			return err
		}
	case ch.ClearSession:
		p.Del(ctx, sessionKey(memberID))
	}
	if ch.Ended != nil {
		b, err := s.encodeSession(ch.Ended)
		if err != nil {
			return err
		}
		p.LPush(ctx, historyKey(memberID), b)
		p.LTrim(ctx, historyKey(memberID), 0, historyLen-1)
	}
	if ch.Member != nil {
		if err := setJSON(ctx, p, memberKey(memberID), ch.Member); err != nil {
			return err
		}
		p.SAdd(ctx, familyMembersKey(ch.Member.FamilyCode), memberID)
		p.SAdd(ctx, membersKey(), memberID)
		if st.Member != nil && st.Member.FamilyCode != ch.Member.FamilyCode {
			p.SRem(ctx, familyMembersKey(st.Member.FamilyCode), memberID)
		}
	}
	if ch.UseInvite != "" {
		p.Del(ctx, inviteKey(ch.UseInvite))
	}
	if ch.EnrolFailed > 0 {
		p.IncrBy(ctx, enrolFailsKey(memberID), int64(ch.EnrolFailed))
		if st.EnrolFails == 0 {
			p.Expire(ctx, enrolFailsKey(memberID), enrolFailsTTL)
		}
		all := enrolFailsAllKey(s.now())
		p.IncrBy(ctx, all, int64(ch.EnrolFailed))
		p.Expire(ctx, all, 2*enrolFailsTTL)
	}
	linked := ch.Member != nil || st.Member != nil
	for _, out := range ch.Out {
		if linked && out.MemberID == memberID {
			out.To = "" // the member record holds it; the outbox looks it up
		}
		if err := addJob(ctx, p, lineOutboxKey(), out); err != nil {
			return err
		}
	}
	for _, a := range ch.Alerts {
		if err := s.addAlert(ctx, p, a); err != nil {
			return err
		}
	}
	for _, j := range ch.Slack {
		if err := s.addSlackJob(ctx, p, slackOutboxKey(), j); err != nil {
			return err
		}
	}
	for _, t := range ch.Timers {
		if err := s.addTimer(ctx, p, t); err != nil {
			return err
		}
	}
	if ch.Dispatched != "" {
		p.SAdd(ctx, dispatchMembersKey(ch.Dispatched), memberID)
		// StartSessions sets the dispatch's own lifetime; this one only
		// keeps a set the fast path never touched from living for ever.
		p.ExpireNX(ctx, dispatchMembersKey(ch.Dispatched), dispatchMembersTTL)
	}
	if ch.PopPending {
		p.LPop(ctx, pendingKey(memberID))
	}
	if ch.AddPending != nil {
		b, err := json.Marshal(ch.AddPending)
		if err != nil {
			return err
		}
		p.RPush(ctx, pendingKey(memberID), b)
	}
	return nil
}

func setJSON(ctx context.Context, p redis.Pipeliner, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	p.Set(ctx, key, b, 0)
	return nil
}

// errNotReplicated: the commit is on the primary but no replica confirmed
// it in time.
var errNotReplicated = errors.New("the event is committed but not yet on a replica")

// replicated waits, on the connection that committed, until s.waitReplicas
// replicas have the commit (WAIT). With Sentinel a primary can be demoted
// just after it acknowledged a write that never reached the replica taking
// its place; an event acknowledged to LINE then would be lost. Answered
// 503 instead, LINE redelivers: the new primary (or this one, if it stays)
// then records it, or recognises it as a duplicate.
func (s *Store) replicated(ctx context.Context, tx *redis.Tx) error {
	if s.waitReplicas <= 0 {
		return nil
	}
	n, err := tx.Wait(ctx, s.waitReplicas, s.waitTimeout).Result()
	if err != nil {
		return unavailable(err)
	}
	if n < int64(s.waitReplicas) {
		return unavailable(errNotReplicated)
	}
	return nil
}
