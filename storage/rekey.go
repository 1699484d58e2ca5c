package storage

import (
	"context"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Rekey re-encrypts every stored free text that is in clear or sealed with
// a previous key, with the current key, and returns how many records it
// rewrote. Each record is rewritten under WATCH, so it runs safely while
// the service runs; run it again until it returns 0 before dropping a
// previous key.
func (s *Store) Rekey(ctx context.Context) (int, error) {
	if s.keys == nil {
		return 0, errors.New("no encryption key is configured (TSUNAGU_ENCRYPTION_KEY)")
	}
	n := 0
	for _, pattern := range []string{prefix + "session:*", prefix + "alert:*", prefix + "history:*"} {
		err := s.scan(ctx, pattern, func(key string) error {
			c, err := s.rekeyKey(ctx, key)
			n += c
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// rekeyKey rewrites the records of one key that need it.
func (s *Store) rekeyKey(ctx context.Context, key string) (int, error) {
	var changed int
	txf := func(tx *redis.Tx) error {
		changed = 0
		typ, err := tx.Type(ctx, key).Result()
		if err != nil {
			return err
		}
		var vals []string
		switch typ {
		case "string":
			v, err := tx.Get(ctx, key).Result()
			if err != nil {
				return err
			}
			vals = []string{v}
		case "list":
			if vals, err = tx.LRange(ctx, key, 0, -1).Result(); err != nil {
				return err
			}
		default:
			return nil // gone meanwhile
		}
		next := make([]string, len(vals))
		var idx []int
		for i, v := range vals {
			nv, stale, err := s.reseal(key, v)
			if err != nil {
				return err
			}
			if stale {
				next[i] = nv
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range idx {
				if typ == "string" {
					p.Set(ctx, key, next[i], redis.KeepTTL)
				} else {
					p.LSet(ctx, key, int64(i), next[i])
				}
			}
			return nil
		})
		if err == nil {
			changed = len(idx)
		}
		return err
	}
	for range maxAttempts {
		err := s.rdb.Watch(ctx, txf, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			return 0, err
		}
		return changed, nil
	}
	return 0, errors.New("too much contention on " + key)
}

// reseal decodes a stored session or alert and encodes it again when any
// of its texts is stale.
func (s *Store) reseal(key, v string) (string, bool, error) {
	stale := false
	check := func(t string) (string, error) {
		if s.keys.stale(t) {
			stale = true
		}
		return t, nil
	}
	if strings.HasPrefix(key, prefix+"alert:") {
		raw, err := s.decodeRawAlert([]byte(v))
		if err != nil {
			return "", false, err
		}
		if _, err := mapAlert(raw, check); err != nil || !stale {
			return "", false, err
		}
		dec, err := mapAlert(raw, s.keys.open)
		if err != nil {
			return "", false, err
		}
		b, err := s.encodeAlert(dec)
		return string(b), true, err
	}
	raw, err := s.decodeRawSession([]byte(v))
	if err != nil {
		return "", false, err
	}
	if _, err := mapSession(raw, check); err != nil || !stale {
		return "", false, err
	}
	dec, err := s.decodeSession([]byte(v))
	if err != nil {
		return "", false, err
	}
	b, err := s.encodeSession(dec)
	return string(b), true, err
}
