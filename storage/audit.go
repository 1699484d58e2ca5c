package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// Audit records an action on personal data: who, when, what, for which
// family. Entries are kept for retention.audit; erasing a family removes
// its entries but the erasure's own.
func (s *Store) Audit(ctx context.Context, e tsunagu.AuditEntry) error {
	b, err := json.Marshal(auditRecord{AuditEntry: e, ID: newAuditID()})
	if err != nil {
		return err
	}
	if err := s.rdb.ZAdd(ctx, auditKey(), redis.Z{Score: float64(e.At.UnixMilli()), Member: b}).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// auditRecord makes two identical entries (a double click in the same
// millisecond) two members of the sorted set.
type auditRecord struct {
	tsunagu.AuditEntry
	ID string `json:"id"`
}

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	Since, Until time.Time // Until is exclusive
	Family       string
}

// AuditLog returns the audit entries that f selects, oldest first: those
// recorded with Audit and the Slack edge's access record (RecordAccess).
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) ([]tsunagu.AuditEntry, error) {
	min, max := "-inf", "+inf"
	if !f.Since.IsZero() {
		min = strconv.FormatInt(f.Since.UnixMilli(), 10)
	}
	if !f.Until.IsZero() {
		max = "(" + strconv.FormatInt(f.Until.UnixMilli(), 10)
	}
	raw, err := s.rdb.ZRangeByScore(ctx, auditKey(), &redis.ZRangeBy{Min: min, Max: max}).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := []tsunagu.AuditEntry{}
	for _, r := range raw {
		var rec auditRecord
		if err := json.Unmarshal([]byte(r), &rec); err != nil {
			return nil, fmt.Errorf("decode audit entry: %w", err)
		}
		if f.Family != "" && rec.Family != f.Family {
			continue
		}
		out = append(out, rec.AuditEntry)
	}
	// The Slack edge's access record (RecordAccess) is part of the log.
	start, end := "-", "+"
	if !f.Since.IsZero() {
		start = strconv.FormatInt(f.Since.UnixMilli(), 10)
	}
	if !f.Until.IsZero() {
		end = "(" + strconv.FormatInt(f.Until.UnixMilli(), 10)
	}
	msgs, err := s.rdb.XRange(ctx, accessAuditKey(), start, end).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	for _, m := range msgs {
		var e tsunagu.AuditEntry
		if v, ok := m.Values["e"].(string); ok && json.Unmarshal([]byte(v), &e) == nil && (f.Family == "" || e.Family == f.Family) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b tsunagu.AuditEntry) int { return a.At.Compare(b.At) })
	return out, nil
}

func newAuditID() string {
	return strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + tsunagu.NewInviteCode()
}
