package storage

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	flowSourceTTL = 90 * 24 * time.Hour
	flowErrorTTL  = 24 * time.Hour
)

// SaveFlowSource keeps the source of a flow version, so that a session
// started on it can finish on it after the flow file changes, on any
// replica.
func (s *Store) SaveFlowSource(ctx context.Context, hash string, src []byte) error {
	if err := s.rdb.Set(ctx, flowSourceKey(hash), src, flowSourceTTL).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// FlowSource returns the source of a flow version, or nil when it is not
// kept.
func (s *Store) FlowSource(ctx context.Context, hash string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, flowSourceKey(hash)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return b, nil
}

// FirstFlowErrorReport reports whether this is the first time (in a day)
// that the set of flow errors with this hash is reported, across replicas.
func (s *Store) FirstFlowErrorReport(ctx context.Context, hash string) (bool, error) {
	return s.First(ctx, flowErrorKey(hash), flowErrorTTL)
}

// First reports whether this is the first call with key within ttl, across
// replicas: for telling supporters something once, not once per
// occurrence.
func (s *Store) First(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, onceKey(key), "1", ttl).Result()
	if err != nil {
		return false, unavailable(err)
	}
	return ok, nil
}
