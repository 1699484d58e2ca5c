package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// FamilyAlertsSince returns a family's alerts created since, resolved
// ones too, oldest first. Their texts (answers, reason, note) are
// decrypted only when decrypt is set; otherwise sealed ones are blanked.
func (s *Store) FamilyAlertsSince(ctx context.Context, code string, since time.Time, decrypt bool) ([]tsunagu.Alert, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: familyAlertsKey(code), ByScore: true, Start: strconv.FormatInt(since.UnixMilli(), 10), Stop: "+inf",
	}).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	alerts, err := readAll[tsunagu.Alert](ctx, s, ids, alertKey)
	if err != nil {
		return nil, err
	}
	open := blankSealed
	if decrypt {
		open = s.keys.open
	}
	for i := range alerts {
		a, err := mapAlert(&alerts[i], open)
		if err != nil {
			return nil, err
		}
		alerts[i] = *a
	}
	return alerts, nil
}

// CaseSessions returns a member's open session (if any) and ended ones,
// newest first, for a case meeting pack: free-text answers are decrypted
// only when decrypt is set, and otherwise left sealed for the caller to
// hide.
func (s *Store) CaseSessions(ctx context.Context, memberID string, decrypt bool) ([]tsunagu.Session, error) {
	raw, err := s.rdb.LRange(ctx, historyKey(memberID), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	open, err := s.rdb.Get(ctx, sessionKey(memberID)).Result()
	switch {
	case err == nil:
		raw = append([]string{open}, raw...)
	case !errors.Is(err, redis.Nil):
		return nil, unavailable(err)
	}
	if decrypt {
		return s.decodeHistory(raw)
	}
	out := make([]tsunagu.Session, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal([]byte(r), &out[i]); err != nil {
			return nil, fmt.Errorf("decode history: %w", err)
		}
	}
	return out, nil
}

// blankSealed replaces a sealed text with nothing: what cannot be shown.
func blankSealed(v string) (string, error) {
	if strings.HasPrefix(v, sealedPrefix) {
		return "", nil
	}
	return v, nil
}
