package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// Report counters. The programme report counts a year of weekly
// check-ins over every member; reading each member's history for that
// is a scan of millions of sessions, so each ended session is counted
// once, when it ends, into the hash of the hour it started in
// (statsHourKey). A report then reads one small hash per hour of its
// period. Counting happens in the same transaction as the session's end,
// so a count is never lost or doubled.

// StatKind says how a step's answers are counted.
type StatKind int

const (
	StatNone   StatKind = iota // not counted (free text: never a field name)
	StatChoice                 // each value counted (choices, yes/no)
	StatNumber                 // summed and counted, for a mean
	StatScale                  // both: each point counted, and the mean
)

// statsTTL is how long an hour's counters are kept after their last
// change: two years and a little, for a review against the year before.
const statsTTL = 800 * 24 * time.Hour

// maxStatValue bounds a counted choice value; longer ones are not counted.
const maxStatValue = 64

const sep = "\x1f"

// WithStats gives the store the rule for counting answers (the flows
// know each step's kind). Without it, ended sessions are not counted.
func (s *Store) WithStats(kind func(flowID, stepID string) StatKind) *Store {
	s.stats = kind
	return s
}

// statFields are the counter increments of one ended session.
type statFields struct {
	hour   int64
	counts map[string]int64
	sums   map[string]float64
}

// statsOf works out what an ended session adds to the counters, for the
// family tags given ("" stands for every family).
func (s *Store) statsOf(sess *tsunagu.Session, tags []string) statFields {
	f := statFields{hour: sess.StartedAt.Unix() / 3600, counts: map[string]int64{}, sums: map[string]float64{}}
	for _, tag := range append([]string{""}, tags...) {
		f.counts["s"+sep+sess.FlowID+sep+tag+sep+string(sess.Status)]++
		for step, a := range sess.Answers {
			if a.Skipped {
				continue
			}
			k := s.stats(sess.FlowID, step)
			base := sess.FlowID + sep + tag + sep + step
			if (k == StatChoice || k == StatScale) && len(a.Value) <= maxStatValue && !strings.Contains(a.Value, sep) {
				f.counts["a"+sep+base+sep+a.Value]++
			}
			if k == StatNumber || k == StatScale {
				if v, err := strconv.ParseFloat(a.Value, 64); err == nil {
					f.sums["n"+sep+base] += v
					f.counts["c"+sep+base]++
				}
			}
		}
	}
	return f
}

// countEnded adds an ended session to the counters and the member's
// streak, inside the transaction that ends it.
func (s *Store) countEnded(ctx context.Context, p redis.Pipeliner, memberID string, sess *tsunagu.Session, tags []string) {
	if s.stats == nil || sess == nil {
		return
	}
	f := s.statsOf(sess, tags)
	key := statsHourKey(f.hour)
	for k, n := range f.counts {
		p.HIncrBy(ctx, key, k, n)
	}
	for k, v := range f.sums {
		p.HIncrByFloat(ctx, key, k, v)
	}
	p.Expire(ctx, key, statsTTL)
	countStreak(ctx, p, memberID, sess)
}

// countStreak moves the member's missed streak of the session's flow.
func countStreak(ctx context.Context, p redis.Pipeliner, memberID string, sess *tsunagu.Session) {
	field := memberID + sep + sess.FlowID
	switch sess.Status {
	case tsunagu.SessionMissed:
		p.HIncrBy(ctx, statsStreakKey(), field, 1)
	case tsunagu.SessionCompleted:
		p.HDel(ctx, statsStreakKey(), field)
		p.HSet(ctx, statsLastDoneKey(), field, sess.UpdatedAt.UnixMilli())
	}
}

// CountEnded counts sessions that ended outside Apply: a rebuild of the
// counters from history, or a benchmark's data. Each session must be
// counted once, oldest first (streaks follow the order). Counters are
// added up across the batch first, so a batch of one hour's sessions
// costs one command per counter.
func (s *Store) CountEnded(ctx context.Context, sessions []tsunagu.Session, tags map[string][]string) error {
	if s.stats == nil {
		return nil
	}
	type hf struct {
		hour  int64
		field string
	}
	counts, sums := map[hf]int64{}, map[hf]float64{}
	for i := range sessions {
		f := s.statsOf(&sessions[i], tags[sessions[i].MemberID])
		for k, n := range f.counts {
			counts[hf{f.hour, k}] += n
		}
		for k, v := range f.sums {
			sums[hf{f.hour, k}] += v
		}
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		hours := map[int64]bool{}
		for k, n := range counts {
			p.HIncrBy(ctx, statsHourKey(k.hour), k.field, n)
			hours[k.hour] = true
		}
		for k, v := range sums {
			p.HIncrByFloat(ctx, statsHourKey(k.hour), k.field, v)
		}
		for h := range hours {
			p.Expire(ctx, statsHourKey(h), statsTTL)
		}
		for i := range sessions {
			countStreak(ctx, p, sessions[i].MemberID, &sessions[i])
		}
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// StatCounter is one counter of one hour, its field split into parts:
// Kind "s" (sessions: Flow, Tag, Value = status), "a" (answers: Flow,
// Tag, Step, Value), "n" (sum of numbers: Flow, Tag, Step) or "c" (how
// many numbers: Flow, Tag, Step).
type StatCounter struct {
	Hour                         time.Time
	Kind, Flow, Tag, Step, Value string
	N                            float64
}

// statsPage is how many hours are read per round trip.
const statsPage = 500

// Stats calls fn with every counter of the hours that start in
// [since, until), hour by hour, reading them in pages.
func (s *Store) Stats(ctx context.Context, since, until time.Time, fn func(StatCounter)) error {
	first, last := since.Unix()/3600, (until.Unix()-1)/3600
	if since.Unix()%3600 != 0 {
		first++ // only whole hours: a session of a cut hour may lie outside
	}
	for h := first; h <= last; h += statsPage {
		end := min(h+statsPage-1, last)
		cmds := make([]*redis.MapStringStringCmd, 0, end-h+1)
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for x := h; x <= end; x++ {
				cmds = append(cmds, p.HGetAll(ctx, statsHourKey(x)))
			}
			return nil
		})
		if err != nil {
			return unavailable(err)
		}
		for i, c := range cmds {
			hour := time.Unix((h+int64(i))*3600, 0).UTC()
			for field, v := range c.Val() {
				if sc, ok := parseStat(field, v); ok {
					sc.Hour = hour
					fn(sc)
				}
			}
		}
	}
	return nil
}

func parseStat(field, v string) (StatCounter, bool) {
	parts := strings.Split(field, sep)
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || len(parts) < 4 {
		return StatCounter{}, false
	}
	sc := StatCounter{Kind: parts[0], Flow: parts[1], Tag: parts[2], N: n}
	switch {
	case sc.Kind == "s" && len(parts) == 4:
		sc.Value = parts[3]
	case sc.Kind == "a" && len(parts) == 5:
		sc.Step, sc.Value = parts[3], parts[4]
	case (sc.Kind == "n" || sc.Kind == "c") && len(parts) == 4:
		sc.Step = parts[3]
	default:
		return StatCounter{}, false
	}
	return sc, true
}

// Streak is a member who missed a flow's check-ins in a row.
type Streak struct {
	MemberID, Flow string
	Missed         int
	LastCompleted  time.Time // zero when never
}

// Streaks calls fn with the members in a missed streak, a page at a time
// (HSCAN: a member may rarely come twice; callers key by member and flow).
func (s *Store) Streaks(ctx context.Context, fn func([]Streak) error) error {
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, statsStreakKey(), cursor, "", 1000).Result()
		if err != nil {
			return unavailable(err)
		}
		page := make([]Streak, 0, len(kv)/2)
		fields := make([]string, 0, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			member, flow, ok := strings.Cut(kv[i], sep)
			n, err := strconv.Atoi(kv[i+1])
			if !ok || err != nil || n <= 0 {
				continue
			}
			page = append(page, Streak{MemberID: member, Flow: flow, Missed: n})
			fields = append(fields, kv[i])
		}
		if len(fields) > 0 {
			done, err := s.rdb.HMGet(ctx, statsLastDoneKey(), fields...).Result()
			if err != nil {
				return unavailable(err)
			}
			for i, d := range done {
				if ms, err := strconv.ParseInt(asString(d), 10, 64); err == nil {
					page[i].LastCompleted = time.UnixMilli(ms)
				}
			}
			if err := fn(page); err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

func asString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// ForgetMemberStats removes members' streaks and last completions (on
// erasure or unlinking); the hourly counters name no member. It scans the
// two hashes for each member's fields, which erasure can afford.
func (s *Store) ForgetMemberStats(ctx context.Context, memberIDs ...string) (int, error) {
	n := 0
	for _, key := range []string{statsStreakKey(), statsLastDoneKey()} {
		for _, id := range memberIDs {
			iter := s.rdb.HScan(ctx, key, 0, id+sep+"*", 100).Iterator()
			var fields []string
			for i := 0; iter.Next(ctx); i++ {
				if i%2 == 0 {
					fields = append(fields, iter.Val())
				}
			}
			if err := iter.Err(); err != nil {
				return n, unavailable(err)
			}
			if len(fields) == 0 {
				continue
			}
			if err := s.rdb.HDel(ctx, key, fields...).Err(); err != nil {
				return n, unavailable(err)
			}
			n += len(fields)
		}
	}
	return n, nil
}

// AlertsBetween calls fn with the alerts created in [since, until),
// oldest first, a page at a time. Their texts stay sealed: a report reads
// times, severities and who, never what was written.
func (s *Store) AlertsBetween(ctx context.Context, since, until time.Time, fn func([]tsunagu.Alert) error) error {
	var offset int64
	for {
		ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
			Key: alertsKey(), ByScore: true,
			Start: strconv.FormatInt(since.UnixMilli(), 10), Stop: "(" + strconv.FormatInt(until.UnixMilli(), 10),
			Offset: offset, Count: readBatch,
		}).Result()
		if err != nil {
			return unavailable(err)
		}
		if len(ids) == 0 {
			return nil
		}
		alerts, err := readAll[tsunagu.Alert](ctx, s, ids, alertKey)
		if err != nil {
			return err
		}
		if err := fn(alerts); err != nil {
			return err
		}
		offset += int64(len(ids))
	}
}

// OpenSessions reads the open sessions of the members ids, in pipelined
// batches (nil entries skipped).
func (s *Store) OpenSessions(ctx context.Context, ids []string) ([]tsunagu.Session, error) {
	return readAll[tsunagu.Session](ctx, s, ids, sessionKey)
}

// familyTags reads the tags of the member's family for the counters; the
// read is not watched (a tag changed meanwhile counts either way).
func (st *State) familyTags(ch *Change) ([]string, error) {
	m := st.Member
	if ch.Member != nil {
		m = ch.Member
	}
	if m == nil {
		return nil, nil
	}
	var f tsunagu.Family
	if err := getJSON(st.ctx, st.tx, familyKey(m.FamilyCode), &f); err != nil {
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		return nil, err
	}
	return f.Tags, nil
}

// RecountStats rebuilds the report counters from the members' history
// (what an installation that predates the counters, or one whose
// counters are in doubt, has): it deletes every counter and streak, then
// counts each member's kept sessions, oldest first. Sessions ending
// while it runs may be counted twice or not at all: run it with serve
// stopped. It reads no free text (choices and numbers are stored in
// clear). It returns how many sessions it counted.
func (s *Store) RecountStats(ctx context.Context) (int, error) {
	if s.stats == nil {
		return 0, tsunagu.Errorf(tsunagu.EINTERNAL, "storage: no rule for counting answers (Store.WithStats)")
	}
	iter := s.rdb.Scan(ctx, 0, prefix+"stats:*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return 0, unavailable(err)
	}
	for chunk := range slices.Chunk(keys, 1000) {
		if err := s.rdb.Unlink(ctx, chunk...).Err(); err != nil {
			return 0, unavailable(err)
		}
	}
	ids, err := s.AudienceIDs(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for page := range slices.Chunk(ids, 500) {
		members, fams, err := s.MembersWithFamilies(ctx, page)
		if err != nil {
			return n, err
		}
		cmds := make([]*redis.StringSliceCmd, len(members))
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, m := range members {
				cmds[i] = p.LRange(ctx, historyKey(m.ID), 0, -1)
			}
			return nil
		}); err != nil {
			return n, unavailable(err)
		}
		var sessions []tsunagu.Session
		tags := map[string][]string{}
		for i, m := range members {
			tags[m.ID] = fams[m.FamilyCode].Tags
			raw := cmds[i].Val()
			for j := len(raw) - 1; j >= 0; j-- { // oldest first, for the streaks
				var sess tsunagu.Session
				if err := json.Unmarshal([]byte(raw[j]), &sess); err != nil {
					return n, fmt.Errorf("decode history of %s: %w", m.ID, err)
				}
				sess.MemberID = m.ID
				sessions = append(sessions, sess)
			}
		}
		if err := s.CountEnded(ctx, sessions, tags); err != nil {
			return n, err
		}
		n += len(sessions)
	}
	return n, nil
}
