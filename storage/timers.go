package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tsunagu/tsunagu"
)

// Timer is durable delayed work: a job of a kind the scheduler defines
// (scheduler.Job*). It carries what it was set for (the session and the
// step or reminder), so one that fires after the member moved on does
// nothing.
type Timer struct {
	Kind      string    `json:"kind"`
	Due       time.Time `json:"due"`
	MemberID  string    `json:"member,omitempty"`
	SessionID string    `json:"session,omitempty"`
	Index     int       `json:"index,omitempty"` // reminder number
	FlowID    string    `json:"flow,omitempty"`
	Family    string    `json:"family,omitempty"`   // dispatch to one family only (`send`)
	Schedule  int       `json:"schedule,omitempty"` // dispatch: the flow's schedule index
	Occurs    time.Time `json:"occurs,omitzero"`    // dispatch: the occurrence it is for
	Key       string    `json:"key,omitempty"`      // dispatch by `send`: names it, for its result
	Replace   bool      `json:"replace,omitempty"`  // dispatch by `send`: end an open session of the flow first
	AlertID   string    `json:"alert,omitempty"`    // escalate: the alert, and Index the level
}

// ID names the timer by its content: the same timer set twice is one.
func (t Timer) ID() string {
	b, _ := json.Marshal(t)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// WithJobs gives the store the scheduler's rule for which jobs may run in
// quiet hours (scheduler.Quiet): those are filed apart from the ones that
// wait for the morning. A store without it refuses to file a timer rather
// than guess.
func (s *Store) WithJobs(quiet func(kind string) bool) *Store {
	s.quiet = quiet
	return s
}

func (s *Store) addTimer(ctx context.Context, p redis.Pipeliner, t Timer) error {
	if s.quiet == nil {
		return tsunagu.Errorf(tsunagu.EINTERNAL, "storage: no rule for quiet jobs (Store.WithJobs) to file a %q timer", t.Kind)
	}
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode timer: %w", err)
	}
	key := pushTimersKey()
	if s.quiet(t.Kind) {
		key = quietTimersKey()
	}
	p.ZAdd(ctx, key, redis.Z{Score: float64(t.Due.UnixMilli()), Member: b})
	return nil
}

// AddTimers sets timers outside any member change (a dispatch, say).
func (s *Store) AddTimers(ctx context.Context, ts ...Timer) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, t := range ts {
			if err := s.addTimer(ctx, p, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// forwardTimers moves due timers from a sorted set into the timer stream,
// atomically, so that of several replicas polling at once exactly one moves
// each timer. Moving in small batches keeps each call short.
//
// KEYS[1] the sorted set, KEYS[2] the stream.
// ARGV[1] now (unix ms), ARGV[2] the most to move.
// Returns the number moved.
var forwardTimers = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do
	redis.call('XADD', KEYS[2], '*', 'd', m)
	redis.call('ZREM', KEYS[1], m)
end
return #due
`)

const forwardBatch = 100

// ForwardTimers moves the timers due by now into the timer stream, where
// any worker takes them. While quiet, only timers that send no push move;
// the others wait, in their order, for the end of quiet hours.
func (s *Store) ForwardTimers(ctx context.Context, now time.Time, quiet bool) (int, error) {
	keys := []string{quietTimersKey()}
	if !quiet {
		keys = append(keys, pushTimersKey())
	}
	total := 0
	for _, k := range keys {
		for {
			n, err := forwardTimers.Run(ctx, s.rdb, []string{k, timerStreamKey()}, now.UnixMilli(), forwardBatch).Int()
			if err != nil {
				return total, unavailable(err)
			}
			total += n
			if n < forwardBatch {
				break
			}
		}
	}
	return total, nil
}

// PendingTimers counts timers not yet due or held back.
func (s *Store) PendingTimers(ctx context.Context) (int64, error) {
	a, err := s.rdb.ZCard(ctx, pushTimersKey()).Result()
	if err != nil {
		return 0, unavailable(err)
	}
	b, err := s.rdb.ZCard(ctx, quietTimersKey()).Result()
	if err != nil {
		return 0, unavailable(err)
	}
	return a + b, nil
}

// HeldTimers counts push timers that are due but not yet forwarded: held
// back by quiet hours (or, for a moment, waiting for the next tick).
func (s *Store) HeldTimers(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.rdb.ZCount(ctx, pushTimersKey(), "-inf", fmt.Sprint(now.UnixMilli())).Result()
	if err != nil {
		return 0, unavailable(err)
	}
	return n, nil
}

// DueTimers counts timers of either kind that are due by now but not yet
// forwarded to the timer stream.
func (s *Store) DueTimers(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	for _, key := range []string{pushTimersKey(), quietTimersKey()} {
		c, err := s.rdb.ZCount(ctx, key, "-inf", fmt.Sprint(now.UnixMilli())).Result()
		if err != nil {
			return 0, unavailable(err)
		}
		n += c
	}
	return n, nil
}

// TimerOutbox is the stream of timers that came due.
func (s *Store) TimerOutbox() *Outbox {
	return &Outbox{rdb: s.rdb, stream: timerStreamKey(), minIdle: 30 * time.Second}
}

// ClaimOccurrence claims one occurrence of a flow's schedule for dispatch.
// Of all replicas and restarts, exactly one claim succeeds; it sets the
// dispatch timer in the same transaction, so a claimed occurrence is never
// lost.
func (s *Store) ClaimOccurrence(ctx context.Context, t Timer) (bool, error) {
	key := occurrenceKey(t.FlowID, t.Schedule, t.Occurs.UnixMilli())
	var won bool
	txf := func(tx *redis.Tx) error {
		n, err := tx.Exists(ctx, key).Result()
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, "1", occurrenceTTL)
			return s.addTimer(ctx, p, t)
		})
		won = err == nil
		return err
	}
	for range maxAttempts {
		err := s.rdb.Watch(ctx, txf, key)
		if err == redis.TxFailedErr {
			continue // another replica claimed it in between; look again
		}
		if err != nil {
			return false, unavailable(err)
		}
		return won, nil
	}
	return false, nil
}

const occurrenceTTL = 90 * 24 * time.Hour

// LastLook returns when the scheduler last looked for occurrences of a
// flow's schedule, or the zero time.
func (s *Store) LastLook(ctx context.Context, flowID string, index int) (time.Time, error) {
	ms, err := s.rdb.ZScore(ctx, lastOccurrenceKey(), fmt.Sprintf("%s|%d", flowID, index)).Result()
	if err == redis.Nil {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, unavailable(err)
	}
	return time.UnixMilli(int64(ms)), nil
}

// SetLastLook records that the scheduler looked up to at. It only moves
// forward, whatever order replicas write in.
func (s *Store) SetLastLook(ctx context.Context, flowID string, index int, at time.Time) error {
	err := s.rdb.ZAddGT(ctx, lastOccurrenceKey(), redis.Z{Score: float64(at.UnixMilli()), Member: fmt.Sprintf("%s|%d", flowID, index)}).Err()
	if err != nil {
		return unavailable(err)
	}
	return nil
}

const dispatchResultTTL = 24 * time.Hour

// SaveDispatchResult keeps what a dispatch did, for whoever asked for it.
func (s *Store) SaveDispatchResult(ctx context.Context, key string, result []byte) error {
	if err := s.rdb.Set(ctx, dispatchResultKey(key), result, dispatchResultTTL).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// DispatchResult returns what a dispatch did, or nil while it has not run.
func (s *Store) DispatchResult(ctx context.Context, key string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, dispatchResultKey(key)).Bytes()
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return b, nil
}

// DispatchMembers calls fn with the members a dispatch started, in
// batches, until it returns an error.
func (s *Store) DispatchMembers(ctx context.Context, key string, fn func([]string) error) error {
	var cursor uint64
	for {
		ids, next, err := s.rdb.SScan(ctx, dispatchMembersKey(key), cursor, "", 1000).Result()
		if err != nil {
			return unavailable(err)
		}
		if len(ids) > 0 {
			if err := fn(ids); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}
