package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// ImportOptions says what a roster file carries, so that an import changes
// only that: a column the file lacks leaves the field as it is, and what
// no file ever carries (a pause, the links, consent) always survives.
type ImportOptions struct {
	Tags, Supporter bool // the file has the column
	// Batch is how many families go in one transaction (default 500).
	Batch int
	// Progress, when set, is called after each batch with the families
	// written so far.
	Progress func(done, total int)
}

// ImportReport says what an import did.
type ImportReport struct {
	Created   int      `json:"created"`
	Updated   int      `json:"updated"`
	Unchanged int      `json:"unchanged"`
	Missing   []string `json:"missing"` // on the roster but not in the file, sorted
}

// ImportFamilies creates or updates the given families (tags and supporter
// from the file; a pause survives) and reports how many were new.
func (s *Store) ImportFamilies(ctx context.Context, fams []tsunagu.Family) (created int, err error) {
	rep, err := s.ImportRoster(ctx, fams, ImportOptions{Tags: true, Supporter: true})
	return rep.Created, err
}

// ImportRoster creates or updates the families of a roster file in batches,
// each batch one transaction. A batch that fails stops the import: the
// report then counts the batches written before it.
func (s *Store) ImportRoster(ctx context.Context, fams []tsunagu.Family, o ImportOptions) (ImportReport, error) {
	var rep ImportReport
	batch := o.Batch
	if batch <= 0 {
		batch = 500
	}
	inFile := make(map[string]bool, len(fams))
	done := 0
	for chunk := range slices.Chunk(fams, batch) {
		if err := s.importBatch(ctx, chunk, o, &rep); err != nil {
			return rep, err
		}
		for _, f := range chunk {
			inFile[f.Code] = true
		}
		done += len(chunk)
		if o.Progress != nil {
			o.Progress(done, len(fams))
		}
	}
	codes, err := s.rdb.SMembers(ctx, familiesKey()).Result()
	if err != nil {
		return rep, unavailable(err)
	}
	for _, c := range codes {
		if !inFile[c] {
			rep.Missing = append(rep.Missing, c)
		}
	}
	slices.Sort(rep.Missing)
	return rep, nil
}

func (s *Store) importBatch(ctx context.Context, fams []tsunagu.Family, o ImportOptions, rep *ImportReport) error {
	keys := make([]string, len(fams))
	for i, f := range fams {
		keys[i] = familyKey(f.Code)
	}
	var created, updated, unchanged int
	txf := func(tx *redis.Tx) error {
		created, updated, unchanged = 0, 0, 0
		old, err := tx.MGet(ctx, keys...).Result()
		if err != nil {
			return err
		}
		var writes []tsunagu.Family
		for i, f := range fams {
			s, _ := old[i].(string)
			if s == "" {
				created++
				writes = append(writes, f)
				continue
			}
			var cur tsunagu.Family
			if err := json.Unmarshal([]byte(s), &cur); err != nil {
				return fmt.Errorf("decode family %s: %w", f.Code, err)
			}
			next := cur
			if o.Tags {
				next.Tags = f.Tags
			}
			if o.Supporter {
				next.Supporter = f.Supporter
			}
			if slices.Equal(next.Tags, cur.Tags) && next.Supporter == cur.Supporter {
				unchanged++
				continue
			}
			updated++
			writes = append(writes, next)
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, f := range writes {
				if err := setJSON(ctx, p, familyKey(f.Code), &f); err != nil {
					return err
				}
				p.SAdd(ctx, familiesKey(), f.Code)
			}
			return nil
		})
		return err
	}
	for range maxAttempts {
		err := s.rdb.Watch(ctx, txf, keys...)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			if tsunagu.ErrorCode(err) == tsunagu.EINTERNAL && isNetErr(err) {
				return unavailable(err)
			}
			return err
		}
		rep.Created += created
		rep.Updated += updated
		rep.Unchanged += unchanged
		return nil
	}
	return tsunagu.Errorf(tsunagu.ECONFLICT, "too much contention on the roster")
}

// UnlinkMember ends a member's link to a family: the member record (with
// the LINE user id), the open session and waiting check-ins go now; the
// member's history stays for retention.unlinked, then the daily purge
// deletes it (forgetting the family deletes it at once). The LINE user can
// be linked again with a new invite.
func (s *Store) UnlinkMember(ctx context.Context, code, memberID string, at time.Time) error {
	m, err := s.Member(ctx, memberID)
	if err != nil {
		return err
	}
	if m.FamilyCode != code {
		return tsunagu.Errorf(tsunagu.ENOTFOUND, "member %s is not linked to family %s", memberID, code)
	}
	// Under WATCH of the keys Apply watches, so a conversation in flight
	// does not write the member back.
	txf := func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, memberKey(memberID), sessionKey(memberID), pendingKey(memberID), enrolFailsKey(memberID))
			p.SRem(ctx, familyMembersKey(code), memberID)
			p.SRem(ctx, membersKey(), memberID)
			p.SAdd(ctx, familyUnlinkedKey(code), memberID)
			p.ZAdd(ctx, unlinkedKey(), redis.Z{Score: float64(at.UnixMilli()), Member: unlinkedMember(memberID, code)})
			return nil
		})
		return err
	}
	for range maxAttempts {
		err := s.rdb.Watch(ctx, txf, memberKey(memberID), sessionKey(memberID), pendingKey(memberID))
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return unavailable(err)
		}
		return nil
	}
	return tsunagu.Errorf(tsunagu.ECONFLICT, "too much contention on member %s", memberID)
}

// RevokeInvite deletes an invite code before it is used.
func (s *Store) RevokeInvite(ctx context.Context, code string) (*tsunagu.Invite, error) {
	var inv tsunagu.Invite
	if err := getJSON(ctx, s.rdb, inviteKey(code), &inv); err != nil {
		if errors.Is(err, redis.Nil) {
			return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "invite %s does not exist (already used, expired or revoked)", code)
		}
		return nil, err
	}
	if err := s.rdb.Del(ctx, inviteKey(code)).Err(); err != nil {
		return nil, unavailable(err)
	}
	return &inv, nil
}

// CheckPseudonyms records the fingerprint of the hash key member ids are
// made with the first time it is called, and afterwards refuses a
// different one while members are linked: their ids would no longer match
// their LINE users, and every member would be treated as a stranger.
func (s *Store) CheckPseudonyms(ctx context.Context, fingerprint string) error {
	// Members linked before the fingerprint was recorded were made with the
	// legacy hash.
	n, err := s.rdb.SCard(ctx, membersKey()).Result()
	if err != nil {
		return unavailable(err)
	}
	initial := fingerprint
	if n > 0 {
		initial = "legacy"
	}
	if err := s.rdb.SetNX(ctx, pseudonymKey(), initial, 0).Err(); err != nil {
		return unavailable(err)
	}
	got, err := s.rdb.Get(ctx, pseudonymKey()).Result()
	if err != nil {
		return unavailable(err)
	}
	if got == fingerprint {
		return nil
	}
	if n == 0 {
		return s.rdb.Set(ctx, pseudonymKey(), fingerprint, 0).Err()
	}
	return tsunagu.Errorf(tsunagu.EINVALID, "the member ids in Redis were made with a different hash key (%s) than the configured one (%s): keep the old TSUNAGU_HASH_KEY (or none), or start a new deployment; see README, Personal data", got, fingerprint)
}

// UnlinkedMembers returns the ids of a family's unlinked members whose
// history is still kept.
func (s *Store) UnlinkedMembers(ctx context.Context, code string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, familyUnlinkedKey(code)).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	slices.Sort(ids)
	return ids, nil
}

// AllFamilyAlerts returns every alert held for a family, resolved or not,
// oldest first (for a disclosure request).
func (s *Store) AllFamilyAlerts(ctx context.Context, code string) ([]tsunagu.Alert, error) {
	ids, err := s.rdb.ZRange(ctx, familyAlertsKey(code), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := []tsunagu.Alert{}
	for _, id := range ids {
		a, err := s.Alert(ctx, id)
		if tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, nil
}
