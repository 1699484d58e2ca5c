// Package storage keeps everything tsunagu remembers in Redis, behind
// methods named for what they mean (ImportFamilies, Apply, ClaimAlert), not
// for the keys they touch.
package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// Store is tsunagu's Redis. It holds no state of its own, so any number of
// processes may share one Redis.
type Store struct {
	rdb   redis.UniversalClient
	keys  *Keyring               // nil: free text in clear
	quiet func(kind string) bool // which timers may fire in quiet hours (WithJobs)
	// waitReplicas is how many replicas must confirm an event's commit
	// before Apply returns (Sentinel); waitTimeout how long to wait.
	waitReplicas int
	waitTimeout  time.Duration
}

// Open connects to the Redis that url names (see ParseRedisURL): one
// server (redis://, rediss://, unix://), or the primary that Sentinel
// names (redis+sentinel://, rediss+sentinel://), followed through
// failovers by go-redis's failover client. redis+cluster:// is refused
// with ErrClusterUnsupported. Open does not wait for Redis to answer: a
// Redis that is down now may be up by the time it is needed.
func Open(url string) (*Store, error) {
	u, err := ParseRedisURL(url)
	if err != nil {
		return nil, err
	}
	switch u.Kind {
	case KindSentinel:
		opt := u.failoverOptions()
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = failFast()
		opt.MaxRetries = 1
		opt.DialerRetries = 1
		st := New(redis.NewFailoverClient(opt))
		st.waitReplicas, st.waitTimeout = u.WaitReplicas, waitTimeout
		return st, nil
	case KindCluster:
		return nil, ErrClusterUnsupported
	}
	opt := u.server
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = failFast()
	opt.MaxRetries = 1
	opt.DialerRetries = 1 // go-redis retries a failed dial 5 times by default
	return New(redis.NewClient(opt)), nil
}

// waitTimeout bounds how long a webhook's event waits for its replicas
// (Sentinel): well inside LINE's 2 s.
const waitTimeout = 500 * time.Millisecond

// failFast are the dial, read and write timeouts: when Redis is down or
// switching primaries a webhook answers 503 well inside LINE's 2 s, and
// LINE redelivers.
func failFast() (dial, read, write time.Duration) {
	return 500 * time.Millisecond, time.Second, time.Second
}

// New wraps an existing client (a plain, Sentinel or Cluster client).
func New(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb} }

// Close closes the connection pool.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// unavailable marks an error talking to Redis, so that the HTTP layer
// answers 503 and the caller (LINE) tries again.
func unavailable(err error) error {
	return &tsunagu.Error{Code: tsunagu.EUNAVAILABLE, Message: "storage unavailable", Err: err}
}

// Families returns the roster, sorted by code.
func (s *Store) Families(ctx context.Context) ([]tsunagu.Family, error) {
	codes, err := s.rdb.SMembers(ctx, familiesKey()).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	slices.Sort(codes)
	fams := make([]tsunagu.Family, 0, len(codes))
	for _, c := range codes {
		f, err := s.Family(ctx, c)
		if err != nil {
			return nil, err
		}
		fams = append(fams, *f)
	}
	return fams, nil
}

// Family returns one family, or an ENOTFOUND error.
func (s *Store) Family(ctx context.Context, code string) (*tsunagu.Family, error) {
	var f tsunagu.Family
	if err := getJSON(ctx, s.rdb, familyKey(code), &f); err != nil {
		if errors.Is(err, redis.Nil) {
			return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "family %s is not on the roster", code)
		}
		return nil, err
	}
	return &f, nil
}

// CreateInvite stores a new invite until it expires. A code already in use
// is an ECONFLICT error: the caller draws another.
func (s *Store) CreateInvite(ctx context.Context, inv tsunagu.Invite, now time.Time) error {
	ttl := inv.ExpiresAt.Sub(now)
	if ttl <= 0 {
		return tsunagu.Errorf(tsunagu.EINVALID, "invite expires in the past")
	}
	b, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	ok, err := s.rdb.SetNX(ctx, inviteKey(inv.Code), b, ttl).Result()
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		return tsunagu.Errorf(tsunagu.ECONFLICT, "invite code already in use")
	}
	return nil
}

// Member returns the member with the given id, or an ENOTFOUND error.
func (s *Store) Member(ctx context.Context, id string) (*tsunagu.Member, error) {
	var m tsunagu.Member
	if err := getJSON(ctx, s.rdb, memberKey(id), &m); err != nil {
		if errors.Is(err, redis.Nil) {
			return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "no such member")
		}
		return nil, err
	}
	return &m, nil
}

// FamilyMembers returns the members linked to a family, sorted by role then
// link time.
func (s *Store) FamilyMembers(ctx context.Context, code string) ([]tsunagu.Member, error) {
	ids, err := s.rdb.SMembers(ctx, familyMembersKey(code)).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	ms := make([]tsunagu.Member, 0, len(ids))
	for _, id := range ids {
		m, err := s.Member(ctx, id)
		if err != nil {
			return nil, err
		}
		ms = append(ms, *m)
	}
	slices.SortFunc(ms, func(a, b tsunagu.Member) int {
		if a.Role != b.Role {
			return slices.Index(tsunagu.Roles, a.Role) - slices.Index(tsunagu.Roles, b.Role)
		}
		return a.LinkedAt.Compare(b.LinkedAt)
	})
	return ms, nil
}

// Session returns the member's open session, or nil when there is none.
func (s *Store) Session(ctx context.Context, memberID string) (*tsunagu.Session, error) {
	sess, err := s.getSession(ctx, s.rdb, sessionKey(memberID))
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return sess, err
}

// History returns the member's ended sessions, newest first.
func (s *Store) History(ctx context.Context, memberID string) ([]tsunagu.Session, error) {
	raw, err := s.rdb.LRange(ctx, historyKey(memberID), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	return s.decodeHistory(raw)
}

// getJSON reads a JSON string key into v; a missing key is redis.Nil.
func getJSON(ctx context.Context, c redis.Cmdable, key string, v any) error {
	b, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return err
	}
	if err != nil {
		return unavailable(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", key, err)
	}
	return nil
}

// isNetErr reports whether err came from not reaching Redis.
func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, context.DeadlineExceeded)
}

// SetLogger sends go-redis' own messages (failed dials and the like) to l
// instead of the standard logger. It is process-wide, like go-redis' logger.
func SetLogger(l *slog.Logger) { redis.SetLogger(redisLog{l}) }

type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.l.WarnContext(ctx, fmt.Sprintf(format, v...))
}

// now is the wall clock, for limits that count real time (wrong invite
// codes an hour), whatever clock the service's decisions run on.
func (s *Store) now() time.Time { return time.Now() }
