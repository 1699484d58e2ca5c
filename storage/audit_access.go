package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// slackRequestTTL outlives the 5 minutes a Slack signature is accepted
// for, so a replay within them is always caught.
const slackRequestTTL = 5*time.Minute + 30*time.Second

// accessAuditLen bounds the access record. Each entry is about 200 bytes,
// so this is about 200 MB at most; a programme of a few hundred families
// takes years to reach it.
const accessAuditLen = 1_000_000

// FirstSlackRequest reports whether the Slack request named sum is seen
// for the first time, across replicas: a replayed click, modal
// submission or command is taken once.
func (s *Store) FirstSlackRequest(ctx context.Context, sum string) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, slackRequestKey(sum), "1", slackRequestTTL).Result()
	if err != nil {
		return false, unavailable(err)
	}
	return ok, nil
}

// RecordAccess appends e to the access record (who was refused what, who
// read which family's summary). Entries carry ids and codes, never texts.
func (s *Store) RecordAccess(ctx context.Context, e tsunagu.AuditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	err = s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: accessAuditKey(), MaxLen: accessAuditLen, Approx: true, Values: map[string]any{"e": b},
	}).Err()
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// AccessRecord returns the newest n entries of the access record, newest
// first.
func (s *Store) AccessRecord(ctx context.Context, n int64) ([]tsunagu.AuditEntry, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, accessAuditKey(), "+", "-", n).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]tsunagu.AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		var e tsunagu.AuditEntry
		if s, ok := m.Values["e"].(string); ok && json.Unmarshal([]byte(s), &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}
