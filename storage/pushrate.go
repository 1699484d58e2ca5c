package storage

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// pushBucket is a token bucket for LINE pushes shared by every replica, on
// Redis's clock, so that N replicas together stay under LINE's rate limit
// without dividing the rate by hand.
//
// KEYS[1]: the bucket (pushBucketKey)
// ARGV[1]: tokens per second; ARGV[2]: the burst (the bucket's size)
// Returns 0 when a token was taken, else how many milliseconds to wait
// before one will be there.
var pushBucket = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(b[1]) or burst, tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
`)

// PushRate paces pushes for all replicas together (storage's side of
// delivery.Pacer).
type PushRate struct {
	s            *Store
	perSec       float64
	burst        int
	maxWait      time.Duration
	fallbackWait time.Duration
}

// PushRate returns the shared pace of perSecond pushes, in bursts of at
// most burst.
func (s *Store) PushRate(perSecond float64, burst int) *PushRate {
	return &PushRate{s: s, perSec: perSecond, burst: max(1, burst), maxWait: time.Second, fallbackWait: 50 * time.Millisecond}
}

// Take takes a token, or says how long to wait before trying again.
func (r *PushRate) Take(ctx context.Context) (wait time.Duration, err error) {
	ms, err := pushBucket.Run(ctx, r.s.rdb, []string{pushBucketKey()}, r.perSec, r.burst).Int64()
	if err != nil {
		return 0, unavailable(err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Wait blocks until a push may go. While Redis cannot be asked, pushes go
// at a cautious pace rather than stop: the outbox is in Redis too, so
// there is little to send then.
func (r *PushRate) Wait(ctx context.Context) error {
	for {
		wait, err := r.Take(ctx)
		if err != nil {
			wait = r.fallbackWait
		}
		if err == nil && wait == 0 {
			return nil
		}
		t := time.NewTimer(min(wait, r.maxWait))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if err != nil {
			return nil
		}
	}
}
