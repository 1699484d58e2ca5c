package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

const readBatch = 1000

// AudienceIDs returns the ids of every linked member, sorted (a stable
// order for a dispatch that the quota cuts short); with family set, only
// that family's.
func (s *Store) AudienceIDs(ctx context.Context, family string) ([]string, error) {
	key := membersKey()
	if family != "" {
		key = familyMembersKey(family)
	}
	ids, err := s.rdb.SMembers(ctx, key).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	slices.Sort(ids)
	return ids, nil
}

// MembersWithFamilies reads members, in the order of ids (skipping any no
// longer there), and the families they belong to.
func (s *Store) MembersWithFamilies(ctx context.Context, ids []string) ([]tsunagu.Member, map[string]tsunagu.Family, error) {
	members, err := readAll[tsunagu.Member](ctx, s, ids, memberKey)
	if err != nil {
		return nil, nil, err
	}
	codes := map[string]bool{}
	for _, m := range members {
		codes[m.FamilyCode] = true
	}
	list, err := readAll[tsunagu.Family](ctx, s, slices.Sorted(maps.Keys(codes)), familyKey)
	if err != nil {
		return nil, nil, err
	}
	fams := make(map[string]tsunagu.Family, len(list))
	for _, f := range list {
		fams[f.Code] = f
	}
	return members, fams, nil
}

// Audience returns every linked member, sorted by id (a stable order for a
// dispatch that the quota cuts short), with the families they belong to.
// With family set, only that family's members.
func (s *Store) Audience(ctx context.Context, family string) ([]tsunagu.Member, map[string]tsunagu.Family, error) {
	ids, err := s.AudienceIDs(ctx, family)
	if err != nil {
		return nil, nil, err
	}
	return s.MembersWithFamilies(ctx, ids)
}

// readAll reads the JSON values of many keys in pipelined batches, in the
// order of ids, skipping keys that do not exist.
func readAll[T any](ctx context.Context, s *Store, ids []string, key func(string) string) ([]T, error) {
	out := make([]T, 0, len(ids))
	for chunk := range slices.Chunk(ids, readBatch) {
		keys := make([]string, len(chunk))
		for i, id := range chunk {
			keys[i] = key(id)
		}
		vals, err := s.mget(ctx, keys)
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			if v == nil {
				continue
			}
			var x T
			if err := json.Unmarshal(v, &x); err != nil {
				return nil, fmt.Errorf("decode %s: %w", keys[i], err)
			}
			out = append(out, x)
		}
	}
	return out, nil
}

func (s *Store) mget(ctx context.Context, keys []string) ([][]byte, error) {
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, unavailable(err)
	}
	out := make([][]byte, len(keys))
	for i, c := range cmds {
		if b, err := c.Bytes(); err == nil {
			out[i] = b
		}
	}
	return out, nil
}

// Start is a session prepared for one member of a dispatch.
type Start struct {
	MemberID string
	Session  *tsunagu.Session
	Out      tsunagu.Outgoing
}

// Outcomes of StartSessions.
const (
	StartStarted   = "started"
	StartDuplicate = "duplicate" // this member already got this dispatch
	StartBusy      = "busy"      // the member has an open session: decide with Apply
)

// startSession is the fast path of a dispatch: it starts a prepared
// session for a member with no open session, with its first message,
// unless the dispatch already reached the member. The dispatch's reminders
// and expiry are timers of the dispatch, not of each member.
//
// KEYS[1] the dispatch's member set, KEYS[2] the member's session,
// KEYS[3] the LINE outbox.
// ARGV[1] member id, ARGV[2] session JSON, ARGV[3] outgoing JSON.
// Returns "started", "duplicate" or "busy".
var startSession = redis.NewScript(`
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'duplicate' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'busy' end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('XADD', KEYS[3], '*', 'd', ARGV[3])
return 'started'
`)

// StartSessions runs the fast path of dispatch key for many members in one
// round trip and returns each outcome, in order. The open-session key of a
// member is the one Apply watches, so a concurrent Apply for the member
// sees the change. The dispatch's member set lives for keep.
func (s *Store) StartSessions(ctx context.Context, key string, keep time.Duration, starts []Start) ([]string, error) {
	if err := startSession.Load(ctx, s.rdb).Err(); err != nil {
		return nil, unavailable(err)
	}
	cmds := make([]*redis.Cmd, len(starts))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, st := range starts {
			sess := *st.Session
			sess.Version = 1
			sb, err := s.encodeSession(&sess)
			if err != nil {
				return err
			}
			out := st.Out
			out.To = "" // the member record holds it; the outbox looks it up
			ob, err := json.Marshal(out)
			if err != nil {
				return err
			}
			keys := []string{dispatchMembersKey(key), sessionKey(st.MemberID), lineOutboxKey()}
			cmds[i] = startSession.EvalSha(ctx, p, keys, st.MemberID, sb, ob)
		}
		p.Expire(ctx, dispatchMembersKey(key), keep)
		return nil
	})
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i], _ = c.Text()
	}
	return out, nil
}

// Dispatched reports, for each member, whether dispatch key reached them.
func (s *Store) Dispatched(ctx context.Context, key string, memberIDs []string) ([]bool, error) {
	if len(memberIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(memberIDs))
	for i, id := range memberIDs {
		args[i] = id
	}
	out, err := s.rdb.SMIsMember(ctx, dispatchMembersKey(key), args...).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	return out, nil
}
