package storage

import (
	"context"
	"time"
)

// NextTimers returns when the earliest push timer and the earliest quiet
// timer (one that sends nothing) not yet forwarded are due; a zero time
// where there is none. `tsunagu dev` moves its clock from one due timer to
// the next, so that a jump of two weeks still fires every reminder and
// expiry in between, in order.
func (s *Store) NextTimers(ctx context.Context) (push, quiet time.Time, err error) {
	first := func(key string) (time.Time, error) {
		zs, err := s.rdb.ZRangeWithScores(ctx, key, 0, 0).Result()
		if err != nil {
			return time.Time{}, unavailable(err)
		}
		if len(zs) == 0 {
			return time.Time{}, nil
		}
		return time.UnixMilli(int64(zs[0].Score)), nil
	}
	if push, err = first(pushTimersKey()); err != nil {
		return
	}
	quiet, err = first(quietTimersKey())
	return
}
