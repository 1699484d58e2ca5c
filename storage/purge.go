package storage

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// Retention is how long records are kept; 0 keeps them for ever.
type Retention struct {
	Answers  time.Duration // ended sessions: answers and free text
	Alerts   time.Duration // resolved alerts (from when they were resolved), and dead letters
	Unlinked time.Duration // what is kept of a member after they were unlinked
	Audit    time.Duration // audit entries
}

// PurgeReport says what a purge deleted.
type PurgeReport struct {
	Sessions     int `json:"sessions"`      // ended sessions, from history
	Alerts       int `json:"alerts"`        // resolved alerts
	Members      int `json:"members"`       // unlinked members whose history went
	AuditEntries int `json:"audit_entries"` // audit entries
	DeadLetters  int `json:"dead_letters"`  // failed deliveries
}

// Total is the number of records deleted.
func (r PurgeReport) Total() int {
	return r.Sessions + r.Alerts + r.Members + r.AuditEntries + r.DeadLetters
}

// Purge deletes what is older than the retention allows. It is safe to run
// on several replicas at once and to run again after a failure: each step
// deletes only what is still too old.
func (s *Store) Purge(ctx context.Context, now time.Time, r Retention) (PurgeReport, error) {
	var rep PurgeReport
	var err error
	if r.Unlinked > 0 {
		if rep.Members, err = s.purgeUnlinked(ctx, now.Add(-r.Unlinked)); err != nil {
			return rep, err
		}
	}
	if r.Answers > 0 {
		if rep.Sessions, err = s.purgeHistory(ctx, now.Add(-r.Answers)); err != nil {
			return rep, err
		}
	}
	if r.Alerts > 0 {
		if rep.Alerts, err = s.purgeAlerts(ctx, now.Add(-r.Alerts)); err != nil {
			return rep, err
		}
		n, err := s.rdb.XTrimMinID(ctx, deadKey(), strconv.FormatInt(now.Add(-r.Alerts).UnixMilli(), 10)).Result()
		if err != nil {
			return rep, unavailable(err)
		}
		rep.DeadLetters = int(n)
	}
	if r.Audit > 0 {
		cutoff := strconv.FormatInt(now.Add(-r.Audit).UnixMilli(), 10)
		n, err := s.rdb.ZRemRangeByScore(ctx, auditKey(), "-inf", "("+cutoff).Result()
		if err != nil {
			return rep, unavailable(err)
		}
		// The Slack edge's access record: a stream whose ids are times.
		m, err := s.rdb.XTrimMinID(ctx, accessAuditKey(), cutoff).Result()
		if err != nil {
			return rep, unavailable(err)
		}
		rep.AuditEntries = int(n + m)
	}
	return rep, nil
}

// unlinkedMember is the member of unlinkedKey for a member unlinked from a
// family.
func unlinkedMember(id, code string) string { return id + "|" + code }

func (s *Store) purgeUnlinked(ctx context.Context, before time.Time) (int, error) {
	due, err := s.rdb.ZRangeByScore(ctx, unlinkedKey(), &redis.ZRangeBy{Min: "-inf", Max: "(" + strconv.FormatInt(before.UnixMilli(), 10)}).Result()
	if err != nil {
		return 0, unavailable(err)
	}
	n := 0
	for _, m := range due {
		id, code, _ := strings.Cut(m, "|")
		linked, err := s.rdb.SIsMember(ctx, membersKey(), id).Result()
		if err != nil {
			return n, unavailable(err)
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if !linked { // linked again since: their history is theirs again
				p.Del(ctx, memberKeys(id)...)
			}
			p.SRem(ctx, familyUnlinkedKey(code), id)
			p.ZRem(ctx, unlinkedKey(), m)
			return nil
		})
		if err != nil {
			return n, unavailable(err)
		}
		if !linked {
			n++
		}
	}
	return n, nil
}

// ended is what a purge reads of a session: when it ended.
type ended struct {
	UpdatedAt time.Time `json:"updated_at"`
}

func (s *Store) purgeHistory(ctx context.Context, before time.Time) (int, error) {
	total := 0
	err := s.scan(ctx, prefix+"history:*", func(key string) error {
		n, err := s.trimHistory(ctx, key, before)
		total += n
		return err
	})
	return total, err
}

// trimHistory drops the sessions that ended before the cutoff from the
// tail (the oldest end) of one history, under WATCH: a session ending
// meanwhile makes it look again.
func (s *Store) trimHistory(ctx context.Context, key string, before time.Time) (int, error) {
	// Most histories have nothing to drop: look at the oldest first.
	oldest, err := s.rdb.LIndex(ctx, key, -1).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable(err)
	}
	var e ended
	if json.Unmarshal([]byte(oldest), &e) == nil && !e.UpdatedAt.Before(before) {
		return 0, nil
	}
	var dropped int
	txf := func(tx *redis.Tx) error {
		dropped = 0
		raw, err := tx.LRange(ctx, key, 0, -1).Result()
		if err != nil {
			return err
		}
		keep := len(raw)
		for keep > 0 {
			var e ended
			if err := json.Unmarshal([]byte(raw[keep-1]), &e); err != nil || !e.UpdatedAt.Before(before) {
				break
			}
			keep--
		}
		if keep == len(raw) {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if keep == 0 {
				p.Del(ctx, key)
			} else {
				p.LTrim(ctx, key, 0, int64(keep-1))
			}
			return nil
		})
		if err == nil {
			dropped = len(raw) - keep
		}
		return err
	}
	for range maxAttempts {
		err := s.rdb.Watch(ctx, txf, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return 0, unavailable(err)
		}
		return dropped, nil
	}
	return 0, tsunagu.Errorf(tsunagu.ECONFLICT, "too much contention on %s", key)
}

// resolved is what a purge reads of an alert.
type resolved struct {
	Family     string             `json:"family"`
	State      tsunagu.AlertState `json:"state"`
	ResolvedAt time.Time          `json:"resolved_at"`
}

func (s *Store) purgeAlerts(ctx context.Context, before time.Time) (int, error) {
	// An alert is resolved after it is created: only those created before
	// the cutoff can be due.
	ids, err := s.rdb.ZRangeByScore(ctx, alertsKey(), &redis.ZRangeBy{Min: "-inf", Max: "(" + strconv.FormatInt(before.UnixMilli(), 10)}).Result()
	if err != nil {
		return 0, unavailable(err)
	}
	n := 0
	for _, id := range ids {
		b, err := s.rdb.Get(ctx, alertKey(id)).Bytes()
		if errors.Is(err, redis.Nil) {
			_ = s.rdb.ZRem(ctx, alertsKey(), id).Err() // a stray index entry
			continue
		}
		if err != nil {
			return n, unavailable(err)
		}
		var a resolved
		if err := json.Unmarshal(b, &a); err != nil || a.State != tsunagu.AlertResolved || !a.ResolvedAt.Before(before) {
			continue
		}
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, alertKey(id))
			p.ZRem(ctx, alertsKey(), id)
			p.ZRem(ctx, openAlertsKey(), id)
			p.ZRem(ctx, familyAlertsKey(a.Family), id)
			return nil
		})
		if err != nil {
			return n, unavailable(err)
		}
		n++
	}
	return n, nil
}
