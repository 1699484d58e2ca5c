package storage

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Anyone can add a LINE bot, and someone who never enrolled and writes a
// risk word gets the safety reply at once. Their alerts are threaded per
// stranger and capped for all strangers together, so that forty strangers
// in a minute cannot drown a channel.

// StrangerSlot takes one of the cap new stranger messages that channel may
// have in the minute of now; false when the minute's are all taken.
func (s *Store) StrangerSlot(ctx context.Context, channel string, limit int, now time.Time) (bool, error) {
	key := strangerMinuteKey(channel, now)
	n, err := s.rdb.Incr(ctx, key).Result()
	if err != nil {
		return false, unavailable(err)
	}
	if n == 1 {
		s.rdb.Expire(ctx, key, 2*time.Minute)
	}
	return n <= int64(limit), nil
}

// StrangerLead is the newest stranger message posted in channel (its
// alert id), for an alert over the cap to join; "" for none.
func (s *Store) StrangerLead(ctx context.Context, channel string) (string, error) {
	id, err := s.rdb.Get(ctx, strangerLeadKey(channel)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", unavailable(err)
	}
	return id, nil
}

// SetStrangerLead records a stranger message just posted in channel as the
// one later strangers over the cap join.
func (s *Store) SetStrangerLead(ctx context.Context, channel, alertID string) error {
	if err := s.rdb.Set(ctx, strangerLeadKey(channel), alertID, time.Hour).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// StrangerEscalated reports whether a stranger's alerts were escalated
// already: on-call supporters are reminded of a stranger once, however
// many alerts they raise.
func (s *Store) StrangerEscalated(ctx context.Context, stranger string) (bool, error) {
	n, err := s.rdb.Exists(ctx, strangerEscalatedKey(stranger)).Result()
	if err != nil {
		return false, unavailable(err)
	}
	return n > 0, nil
}

// MarkStrangerEscalated records, after the escalation is queued, that a
// stranger was escalated, for window.
func (s *Store) MarkStrangerEscalated(ctx context.Context, stranger string, window time.Duration) error {
	if err := s.rdb.Set(ctx, strangerEscalatedKey(stranger), "1", window).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}
