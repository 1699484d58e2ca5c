package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

const readBatch = 1000

// Audience returns every linked member, sorted by id (a stable order for a
// dispatch that the quota cuts short), with the families they belong to.
// With family set, only that family's members.
func (s *Store) Audience(ctx context.Context, family string) ([]tsunagu.Member, map[string]tsunagu.Family, error) {
	key := membersKey()
	if family != "" {
		key = familyMembersKey(family)
	}
	ids, err := s.rdb.SMembers(ctx, key).Result()
	if err != nil {
		return nil, nil, unavailable(err)
	}
	slices.Sort(ids)
	members, err := readAll[tsunagu.Member](ctx, s, ids, memberKey)
	if err != nil {
		return nil, nil, err
	}
	codes := map[string]bool{}
	for _, m := range members {
		codes[m.FamilyCode] = true
	}
	list, err := readAll[tsunagu.Family](ctx, s, slices.Collect(maps.Keys(codes)), familyKey)
	if err != nil {
		return nil, nil, err
	}
	fams := make(map[string]tsunagu.Family, len(list))
	for _, f := range list {
		fams[f.Code] = f
	}
	return members, fams, nil
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
	EventID  string // once per member and occurrence
	MemberID string
	Session  *tsunagu.Session
	Out      tsunagu.Outgoing
	Timers   []Timer
}

// Outcomes of StartSessions.
const (
	StartStarted   = "started"
	StartDuplicate = "duplicate" // this member already got this occurrence
	StartBusy      = "busy"      // the member has an open session: decide with Apply
)

// startSession is the fast path of a dispatch: it starts a prepared
// session for a member with no open session, with its first message and
// its timers, unless the event was already processed.
//
// KEYS[1] event, KEYS[2] session, KEYS[3] LINE outbox, KEYS[4] push timers,
// KEYS[5] quiet timers.
// ARGV[1] session JSON, ARGV[2] outgoing JSON, ARGV[3] event TTL (s), then
// per timer: "p" or "q" (which set), the due time (unix ms), the JSON.
// Returns "started", "duplicate" or "busy".
var startSession = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'duplicate' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'busy' end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'd', ARGV[2])
redis.call('SET', KEYS[1], '1', 'EX', tonumber(ARGV[3]))
for i = 4, #ARGV, 3 do
	local key = KEYS[4]
	if ARGV[i] == 'q' then key = KEYS[5] end
	redis.call('ZADD', key, ARGV[i+1], ARGV[i+2])
end
return 'started'
`)

// StartSessions runs the fast path for many members in one round trip and
// returns each outcome, in order. The open-session key of a member is the
// one Apply watches, so a concurrent Apply for the member sees the change.
func (s *Store) StartSessions(ctx context.Context, starts []Start) ([]string, error) {
	if err := startSession.Load(ctx, s.rdb).Err(); err != nil {
		return nil, unavailable(err)
	}
	cmds := make([]*redis.Cmd, len(starts))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, st := range starts {
			sess := *st.Session
			sess.Version = 1
			sb, err := json.Marshal(&sess)
			if err != nil {
				return err
			}
			ob, err := json.Marshal(st.Out)
			if err != nil {
				return err
			}
			args := []any{sb, ob, strconv.Itoa(int(eventTTL.Seconds()))}
			for _, t := range st.Timers {
				tb, err := json.Marshal(t)
				if err != nil {
					return err
				}
				set := "p"
				if t.quiet() {
					set = "q"
				}
				args = append(args, set, t.Due.UnixMilli(), tb)
			}
			keys := []string{eventKey(st.EventID), sessionKey(st.MemberID), lineOutboxKey(), pushTimersKey(), quietTimersKey()}
			cmds[i] = startSession.EvalSha(ctx, p, keys, args...)
		}
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

// Seen reports, for each event id, whether it was already processed.
func (s *Store) Seen(ctx context.Context, eventIDs []string) ([]bool, error) {
	cmds := make([]*redis.IntCmd, len(eventIDs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range eventIDs {
			cmds[i] = p.Exists(ctx, eventKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]bool, len(cmds))
	for i, c := range cmds {
		out[i] = c.Val() > 0
	}
	return out, nil
}
