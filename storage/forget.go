package storage

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// SlackRef is a Slack message tsunagu posted: an alert's, or the root of a
// family thread (whose replies go with it).
type SlackRef struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// FamilySlackMessages returns the Slack messages and thread roots of a
// family's alerts, so that an erasure can delete them in Slack first.
func (s *Store) FamilySlackMessages(ctx context.Context, code string) ([]SlackRef, error) {
	ids, err := s.rdb.ZRange(ctx, familyAlertsKey(code), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	var out []SlackRef
	for _, id := range ids {
		a, err := s.getAlert(ctx, s.rdb, alertKey(id))
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, ts := range []string{a.ThreadTS, a.TS} {
			if r := (SlackRef{a.Channel, ts}); ts != "" && a.Channel != "" && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// ForgetReport says what an erasure deleted.
type ForgetReport struct {
	Family  string `json:"family"`
	Members int    `json:"members"`
	Records int    `json:"records"` // keys and entries deleted
}

// Forget deletes everything held about a family: the roster entry, its
// members and their links, sessions, history and pending check-ins, its
// alerts (and so their Slack message references), invites, outbox and
// dead-letter entries, timers, dispatch records, threads and its audit
// entries; then it records one audit entry of its own (action, by, at,
// how many records). Redeliveries of old LINE events change nothing (their
// marks hold no personal data). Run it with the service up or down.
func (s *Store) Forget(ctx context.Context, code string, e tsunagu.AuditEntry) (*ForgetReport, error) {
	memberIDs, err := s.rdb.SUnion(ctx, familyMembersKey(code), familyUnlinkedKey(code)).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	exists, err := s.rdb.Exists(ctx, familyKey(code)).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	if exists == 0 && len(memberIDs) == 0 {
		n, err := s.rdb.ZCard(ctx, familyAlertsKey(code)).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		if n == 0 {
			return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "family %s: nothing is held about it", code)
		}
	}
	alertIDs, err := s.rdb.ZRange(ctx, familyAlertsKey(code), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	// What names the family in values shared with others: JSON strings.
	needles := []string{`"` + code + `"`}
	for _, id := range memberIDs {
		needles = append(needles, `"`+id+`"`)
		var m tsunagu.Member
		if err := getJSON(ctx, s.rdb, memberKey(id), &m); err == nil && m.LineUserID != "" {
			needles = append(needles, `"`+m.LineUserID+`"`)
		} else if err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
	}
	for _, id := range alertIDs {
		needles = append(needles, `"`+id+`"`)
	}
	rep := &ForgetReport{Family: code, Members: len(memberIDs)}
	w := &eraser{s: s, needles: needles}

	keys := []string{familyKey(code), familyMembersKey(code), familyAlertsKey(code), familyUnlinkedKey(code)}
	for _, id := range memberIDs {
		keys = append(keys, memberKeys(id)...)
	}
	for _, id := range alertIDs {
		keys = append(keys, alertKey(id))
	}
	if err := w.del(ctx, keys...); err != nil {
		return nil, err
	}
	if err := w.scanDel(ctx, prefix+"family:"+code+":*", nil); err != nil {
		return nil, err
	}
	if err := w.srem(ctx, familiesKey(), code); err != nil {
		return nil, err
	}
	for _, k := range []string{membersKey()} {
		if err := w.srem(ctx, k, memberIDs...); err != nil {
			return nil, err
		}
	}
	for _, k := range []string{alertsKey(), openAlertsKey()} {
		if err := w.zrem(ctx, k, alertIDs...); err != nil {
			return nil, err
		}
	}
	unlinked := make([]string, len(memberIDs))
	for i, id := range memberIDs {
		unlinked[i] = unlinkedMember(id, code)
	}
	if err := w.zrem(ctx, unlinkedKey(), unlinked...); err != nil {
		return nil, err
	}
	if err := w.sweepShared(ctx, memberIDs); err != nil {
		return nil, err
	}
	rep.Records = w.n
	e.Action = cmpOr(e.Action, tsunagu.AuditForgotten)
	e.Family, e.Count = code, w.n
	if err := s.Audit(ctx, e); err != nil {
		return rep, err
	}
	return rep, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// memberKeys are the keys that belong to one member alone.
func memberKeys(id string) []string {
	return []string{memberKey(id), sessionKey(id), historyKey(id), pendingKey(id), enrolFailsKey(id)}
}

// eraser deletes what names a family, counting what it deletes.
type eraser struct {
	s       *Store
	needles []string
	n       int
}

func (w *eraser) names(v string) bool {
	for _, n := range w.needles {
		if strings.Contains(v, n) {
			return true
		}
	}
	return false
}

func (w *eraser) del(ctx context.Context, keys ...string) error {
	// One DEL per key: the keys are in different Cluster slots.
	for chunk := range slices.Chunk(keys, 500) {
		cmds := make([]*redis.IntCmd, len(chunk))
		_, err := w.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range chunk {
				cmds[i] = p.Del(ctx, k)
			}
			return nil
		})
		if err != nil {
			return unavailable(err)
		}
		for _, c := range cmds {
			w.n += int(c.Val())
		}
	}
	return nil
}

func (w *eraser) srem(ctx context.Context, key string, members ...string) error {
	for c := range slices.Chunk(members, 500) {
		n, err := w.s.rdb.SRem(ctx, key, toAny(c)...).Result()
		if err != nil {
			return unavailable(err)
		}
		w.n += int(n)
	}
	return nil
}

func (w *eraser) zrem(ctx context.Context, key string, members ...string) error {
	for c := range slices.Chunk(members, 500) {
		n, err := w.s.rdb.ZRem(ctx, key, toAny(c)...).Result()
		if err != nil {
			return unavailable(err)
		}
		w.n += int(n)
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// scanDel deletes the keys matching pattern for which keep (when not nil)
// returns false.
func (w *eraser) scanDel(ctx context.Context, pattern string, keep func(key string) (bool, error)) error {
	var doomed []string
	err := w.s.scan(ctx, pattern, func(key string) error {
		if keep != nil {
			k, err := keep(key)
			if err != nil || k {
				return err
			}
		}
		doomed = append(doomed, key)
		return nil
	})
	if err != nil {
		return err
	}
	return w.del(ctx, doomed...)
}

// sweepShared removes the family from keys it shares with others: queues,
// timers, dispatch records, invites and the audit log.
func (w *eraser) sweepShared(ctx context.Context, memberIDs []string) error {
	for _, st := range []string{lineOutboxKey(), slackOutboxKey(), slackUrgentKey(), timerStreamKey(), deadKey(), accessAuditKey()} {
		if err := w.sweepStream(ctx, st); err != nil {
			return err
		}
	}
	for _, z := range []string{pushTimersKey(), quietTimersKey(), auditKey()} {
		if err := w.sweepZSet(ctx, z); err != nil {
			return err
		}
	}
	err := w.s.scan(ctx, prefix+"dispatch:*:members", func(key string) error { return w.srem(ctx, key, memberIDs...) })
	if err != nil {
		return err
	}
	stringNames := func(key string) (bool, error) {
		if strings.HasSuffix(key, ":members") {
			return true, nil
		}
		v, err := w.s.rdb.Get(ctx, key).Result()
		if errors.Is(err, redis.Nil) {
			return true, nil
		}
		if err != nil {
			return true, unavailable(err)
		}
		return !w.names(v), nil
	}
	if err := w.scanDel(ctx, prefix+"dispatch:*", stringNames); err != nil {
		return err
	}
	return w.scanDel(ctx, prefix+"invite:*", stringNames)
}

func (w *eraser) sweepStream(ctx context.Context, stream string) error {
	start := "-"
	for {
		msgs, err := w.s.rdb.XRangeN(ctx, stream, start, "+", 500).Result()
		if err != nil {
			return unavailable(err)
		}
		for _, m := range msgs {
			var hit bool
			for _, v := range m.Values {
				if s, ok := v.(string); ok && w.names(s) {
					hit = true
				}
			}
			if !hit {
				continue
			}
			// Acknowledged too, so no worker is left holding it.
			_ = w.s.rdb.XAck(ctx, stream, outboxGroup, m.ID).Err()
			n, err := w.s.rdb.XDel(ctx, stream, m.ID).Result()
			if err != nil {
				return unavailable(err)
			}
			w.n += int(n)
		}
		if len(msgs) < 500 {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

func (w *eraser) sweepZSet(ctx context.Context, key string) error {
	var doomed []string
	iter := w.s.rdb.ZScan(ctx, key, 0, "", 500).Iterator()
	for i := 0; iter.Next(ctx); i++ {
		if i%2 == 0 && w.names(iter.Val()) { // member, score, member, score...
			doomed = append(doomed, iter.Val())
		}
	}
	if err := iter.Err(); err != nil {
		return unavailable(err)
	}
	return w.zrem(ctx, key, doomed...)
}

// scan calls fn with every key matching pattern, on every primary of a
// Cluster.
func (s *Store) scan(ctx context.Context, pattern string, fn func(string) error) error {
	one := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return unavailable(err)
		}
		for _, k := range keys {
			if err := fn(k); err != nil {
				return err
			}
		}
		return nil
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return one(ctx, c) })
	}
	return one(ctx, s.rdb)
}
