package storage

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// SlackJob is an entry of the Slack outbox.
type SlackJob struct {
	Op      string `json:"op"` // SlackPost or SlackUpdate
	AlertID string `json:"alert"`
}

const (
	SlackPost   = "post"
	SlackUpdate = "update"
)

func (s *Store) addAlert(ctx context.Context, p redis.Pipeliner, a *tsunagu.Alert) error {
	if err := setJSON(ctx, p, alertKey(a.ID), a); err != nil {
		return err
	}
	p.ZAdd(ctx, alertsKey(), redis.Z{Score: float64(a.CreatedAt.UnixMilli()), Member: a.ID})
	return addJob(ctx, p, slackOutboxKey(), SlackJob{Op: SlackPost, AlertID: a.ID})
}

// RaiseAlert records an alert that no member change caused (a failed
// delivery, for one) and queues it for Slack.
func (s *Store) RaiseAlert(ctx context.Context, a *tsunagu.Alert) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		return s.addAlert(ctx, p, a)
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Alert returns an alert, or an ENOTFOUND error.
func (s *Store) Alert(ctx context.Context, id string) (*tsunagu.Alert, error) {
	var a tsunagu.Alert
	if err := getJSON(ctx, s.rdb, alertKey(id), &a); err != nil {
		if errors.Is(err, redis.Nil) {
			return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "no alert %s", id)
		}
		return nil, err
	}
	return &a, nil
}

// Alerts returns the newest alerts first, at most n.
func (s *Store) Alerts(ctx context.Context, n int64) ([]tsunagu.Alert, error) {
	ids, err := s.rdb.ZRevRange(ctx, alertsKey(), 0, n-1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]tsunagu.Alert, 0, len(ids))
	for _, id := range ids {
		a, err := s.Alert(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, nil
}

// SetAlertPosted records where in Slack the alert was posted.
func (s *Store) SetAlertPosted(ctx context.Context, id, channel, ts string) (*tsunagu.Alert, error) {
	return s.updateAlert(ctx, id, func(a *tsunagu.Alert) bool {
		a.Channel, a.TS = channel, ts
		return true
	})
}

// ClaimAlert records that a supporter took an open alert on. Claiming an
// alert someone else claimed moves it to the new supporter; a resolved alert
// stays resolved.
func (s *Store) ClaimAlert(ctx context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return s.updateAlert(ctx, id, func(a *tsunagu.Alert) bool {
		if a.State == tsunagu.AlertResolved || (a.State == tsunagu.AlertClaimed && a.ClaimedBy == user) {
			return false
		}
		a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertClaimed, user, at
		return true
	})
}

// ResolveAlert records that a supporter finished with an alert.
func (s *Store) ResolveAlert(ctx context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return s.updateAlert(ctx, id, func(a *tsunagu.Alert) bool {
		if a.State == tsunagu.AlertResolved {
			return false
		}
		a.State, a.ResolvedBy, a.ResolvedAt = tsunagu.AlertResolved, user, at
		return true
	})
}

// updateAlert changes an alert under WATCH, so two supporters clicking at
// once both see a consistent result.
func (s *Store) updateAlert(ctx context.Context, id string, change func(*tsunagu.Alert) bool) (*tsunagu.Alert, error) {
	var out tsunagu.Alert
	txf := func(tx *redis.Tx) error {
		var a tsunagu.Alert
		if err := getJSON(ctx, tx, alertKey(id), &a); err != nil {
			if errors.Is(err, redis.Nil) {
				return tsunagu.Errorf(tsunagu.ENOTFOUND, "no alert %s", id)
			}
			return err
		}
		out = a
		if !change(&out) {
			return nil
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			return setJSON(ctx, p, alertKey(id), &out)
		})
		return err
	}
	for range maxAttempts {
		err := s.rdb.Watch(ctx, txf, alertKey(id))
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			if tsunagu.ErrorCode(err) == tsunagu.EINTERNAL && isNetErr(err) {
				return nil, unavailable(err)
			}
			return nil, err
		}
		return &out, nil
	}
	return nil, tsunagu.Errorf(tsunagu.ECONFLICT, "too much contention on alert %s", id)
}
