package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

const (
	outboxGroup = "senders"
	deadLen     = 10000
)

// Outbox is a durable queue of work to deliver, a Redis stream read through
// a consumer group: an entry stays pending until a worker says it is done,
// and an entry left pending by a worker that died is taken over by another.
type Outbox struct {
	rdb     redis.UniversalClient
	stream  string
	minIdle time.Duration
	// open, when set, turns an entry as stored into the job handed out,
	// or says to drop it (ok false): see Store.openDelivery.
	open func(ctx context.Context, data []byte) (out []byte, ok bool, err error)
	// seal turns a job back into its stored form (for the dead letters).
	seal func(data []byte) []byte
}

// LineOutbox is the queue of messages to family members.
func (s *Store) LineOutbox() *Outbox {
	return &Outbox{rdb: s.rdb, stream: lineOutboxKey(), minIdle: 30 * time.Second, open: s.openDelivery, seal: stripRecipient}
}

// SlackOutbox is the queue of alerts to post and update in Slack.
func (s *Store) SlackOutbox() *Outbox {
	return &Outbox{rdb: s.rdb, stream: slackOutboxKey(), minIdle: 30 * time.Second, open: s.openSlackJob, seal: s.sealSlackJob}
}

// WithMinIdle returns a copy of the outbox that takes over entries left
// pending for d (tests shorten it).
func (o *Outbox) WithMinIdle(d time.Duration) *Outbox {
	c := *o
	c.minIdle = d
	return &c
}

// Job is one entry read from an outbox.
type Job struct {
	ID       string // stream entry id
	Data     []byte // JSON payload
	Attempts int64  // how many times it has been handed to a worker, this time included
}

// Decode unmarshals the payload.
func (j Job) Decode(v any) error { return json.Unmarshal(j.Data, v) }

func addJob(ctx context.Context, p redis.Pipeliner, stream string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode job: %w", err)
	}
	p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"d", b}})
	return nil
}

// Read returns up to count jobs for the named consumer: first any that
// another consumer left pending for longer than the outbox's idle limit,
// then new ones, waiting up to block for them.
func (o *Outbox) Read(ctx context.Context, consumer string, count int, block time.Duration) ([]Job, error) {
	return o.readMaybeClaim(ctx, consumer, count, block, true)
}

func (o *Outbox) readMaybeClaim(ctx context.Context, consumer string, count int, block time.Duration, claim bool) ([]Job, error) {
	jobs, err := o.read(ctx, consumer, count, block, claim)
	if isNoGroup(err) {
		// First use, or Redis lost the group (it restarted empty).
		if err := o.createGroup(ctx); err != nil {
			return nil, err
		}
		jobs, err = o.read(ctx, consumer, count, block, claim)
	}
	return jobs, err
}

func (o *Outbox) read(ctx context.Context, consumer string, count int, block time.Duration, claim bool) ([]Job, error) {
	if !claim {
		return o.readNew(ctx, consumer, count, block)
	}
	claimed, _, err := o.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: o.stream, Group: outboxGroup, Consumer: consumer,
		MinIdle: o.minIdle, Start: "0-0", Count: int64(count),
	}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		if isNoGroup(err) {
			return nil, err
		}
		return nil, unavailable(err)
	}
	if len(claimed) > 0 {
		return o.jobs(ctx, claimed, true)
	}
	return o.readNew(ctx, consumer, count, block)
}

func (o *Outbox) readNew(ctx context.Context, consumer string, count int, block time.Duration) ([]Job, error) {
	streams, err := o.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: outboxGroup, Consumer: consumer,
		Streams: []string{o.stream, ">"}, Count: int64(count), Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if isNoGroup(err) {
			return nil, err
		}
		return nil, unavailable(err)
	}
	var msgs []redis.XMessage
	for _, st := range streams {
		msgs = append(msgs, st.Messages...)
	}
	return o.jobs(ctx, msgs, false)
}

func (o *Outbox) jobs(ctx context.Context, msgs []redis.XMessage, reclaimed bool) ([]Job, error) {
	attempts := make([]int64, len(msgs))
	if reclaimed {
		// One XPENDING per entry: a range query could be filled up by other
		// pending entries between the claimed ones.
		cmds := make([]*redis.XPendingExtCmd, len(msgs))
		_, err := o.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, m := range msgs {
				cmds[i] = p.XPendingExt(ctx, &redis.XPendingExtArgs{
					Stream: o.stream, Group: outboxGroup, Start: m.ID, End: m.ID, Count: 1,
				})
			}
			return nil
		})
		if err != nil {
			return nil, unavailable(err)
		}
		for i, c := range cmds {
			if p := c.Val(); len(p) == 1 {
				attempts[i] = p[0].RetryCount
			}
		}
	}
	out := make([]Job, 0, len(msgs))
	for i, m := range msgs {
		d, _ := m.Values["d"].(string)
		data := []byte(d)
		if o.open != nil {
			var ok bool
			var err error
			if data, ok, err = o.open(ctx, data); err != nil {
				return nil, err
			}
			if !ok { // nobody to deliver to any more (the member was erased)
				if err := o.Done(ctx, m.ID); err != nil {
					return nil, err
				}
				continue
			}
		}
		out = append(out, Job{ID: m.ID, Data: data, Attempts: max(attempts[i], 1)})
	}
	return out, nil
}

// Done removes a delivered job.
func (o *Outbox) Done(ctx context.Context, id string) error {
	_, err := o.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, o.stream, outboxGroup, id)
		p.XDel(ctx, o.stream, id)
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Dead moves a job that can never be delivered to the dead-letter stream,
// with the reason, so it is recorded rather than silently dropped.
func (o *Outbox) Dead(ctx context.Context, j Job, reason string) error {
	if o.seal != nil {
		j.Data = o.seal(j.Data)
	}
	_, err := o.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAdd(ctx, &redis.XAddArgs{
			Stream: deadKey(), MaxLen: deadLen, Approx: true,
			Values: []any{"stream", o.stream, "d", j.Data, "reason", reason},
		})
		p.XAck(ctx, o.stream, outboxGroup, j.ID)
		p.XDel(ctx, o.stream, j.ID)
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Len returns the number of jobs not yet done.
func (o *Outbox) Len(ctx context.Context) (int64, error) {
	n, err := o.rdb.XLen(ctx, o.stream).Result()
	if err != nil {
		return 0, unavailable(err)
	}
	return n, nil
}

// Added returns how many jobs were ever added to the outbox (XINFO
// STREAM's entries-added; 0 before the first). With Len it tells a quiet
// outbox from one whose jobs come and go between two looks: tests use it
// to wait until all work is done.
func (o *Outbox) Added(ctx context.Context) (int64, error) {
	info, err := o.rdb.XInfoStream(ctx, o.stream).Result()
	if err != nil {
		if strings.Contains(err.Error(), "no such key") {
			return 0, nil
		}
		return 0, unavailable(err)
	}
	return info.EntriesAdded, nil
}

func isNoGroup(err error) bool {
	return err != nil && (strings.HasPrefix(err.Error(), "NOGROUP") || strings.Contains(err.Error(), "no such key"))
}

func (o *Outbox) createGroup(ctx context.Context) error {
	err := o.rdb.XGroupCreateMkStream(ctx, o.stream, outboxGroup, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return unavailable(err)
	}
	return nil
}

// Work reads up to batch jobs at a time for the named consumer and hands
// each to do until ctx ends. A batch of one suits slow jobs: jobs read but
// not yet begun could be taken over by another worker meanwhile. do marks a job Done (or Dead) itself; a job it returns an error
// for stays pending and is taken over after the outbox's idle time. Several
// may run, in one process or many.
func (o *Outbox) Work(ctx context.Context, consumer string, batch int, log *slog.Logger, do func(context.Context, Job) error) {
	idle := 100 * time.Millisecond
	var lastClaim time.Time
	for ctx.Err() == nil {
		// Looking for work abandoned by a dead worker costs Redis a scan;
		// a few times per idle limit is enough, not once per job.
		claim := time.Since(lastClaim) >= min(time.Second, o.minIdle/4)
		if claim {
			lastClaim = time.Now()
		}
		jobs, err := o.readMaybeClaim(ctx, consumer, batch, 500*time.Millisecond, claim)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("outbox read failed; retrying", "outbox", o.stream, "err", err)
			wait(ctx, idle)
			idle = min(idle*2, 5*time.Second)
			continue
		}
		idle = 100 * time.Millisecond
		for _, j := range jobs {
			release := o.lease(ctx, consumer, j.ID)
			err := do(ctx, j)
			release()
			if err != nil && ctx.Err() == nil {
				log.Warn("job left for retry", "outbox", o.stream, "job", j.ID, "attempts", j.Attempts, "err", err)
			}
		}
	}
}

// lease keeps a job with consumer while it is being worked on: a job that
// runs long (a push waiting out LINE's Retry-After, a large dispatch) is
// claimed again every third of the take-over time, which resets its idle
// time, so that no other worker takes it over mid-flight. Only a worker
// that stops answering — a crashed replica — loses its jobs. release ends
// the lease once the job is done or left for retry.
func (o *Outbox) lease(ctx context.Context, consumer, id string) (release func()) {
	if o.minIdle <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(o.minIdle / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				// Renewed only while the job is still ours: one done is no
				// longer pending, and one another worker took over (this
				// one stalled past the take-over time) is theirs now.
				p, err := o.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
					Stream: o.stream, Group: outboxGroup, Start: id, End: id, Count: 1,
				}).Result()
				if err != nil {
					continue // Redis blinked: try at the next tick
				}
				if len(p) == 0 || p[0].Consumer != consumer {
					return
				}
				// JUSTID leaves the delivery count alone: a lease is not a
				// new attempt.
				o.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
					Stream: o.stream, Group: outboxGroup, Consumer: consumer, Messages: []string{id},
				})
			}
		}
	}()
	return func() { cancel(); <-done }
}

func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// stripRecipient removes the LINE user id from a stored delivery: the id
// is kept in the member record only, and looked up when the delivery is
// read (openDelivery).
func stripRecipient(data []byte) []byte {
	var out tsunagu.Outgoing
	if json.Unmarshal(data, &out) != nil || out.To == "" || out.MemberID == "" {
		return data
	}
	out.To = ""
	b, err := json.Marshal(out)
	if err != nil {
		return data
	}
	return b
}

// openDelivery fills in the LINE user id of a delivery from the member
// record; a delivery to a member no longer linked is dropped.
func (s *Store) openDelivery(ctx context.Context, data []byte) ([]byte, bool, error) {
	var out tsunagu.Outgoing
	if err := json.Unmarshal(data, &out); err != nil || out.To != "" || out.MemberID == "" {
		return data, true, nil // an old entry with its recipient, or not ours to judge
	}
	var m tsunagu.Member
	if err := getJSON(ctx, s.rdb, memberKey(out.MemberID), &m); err != nil {
		if errors.Is(err, redis.Nil) {
			return nil, false, nil
		}
		return nil, false, err
	}
	out.To = m.LineUserID
	b, err := json.Marshal(out)
	return b, err == nil, err
}

// sealSlackJob encrypts the text a Slack job carries (a member's message
// or a reply on its way to a thread).
func (s *Store) sealSlackJob(data []byte) []byte {
	var j SlackJob
	if s.keys == nil || json.Unmarshal(data, &j) != nil || j.Text == "" || strings.HasPrefix(j.Text, sealedPrefix) {
		return data
	}
	j.Text = s.keys.seal(j.Text)
	b, err := json.Marshal(j)
	if err != nil {
		return data
	}
	return b
}

func (s *Store) openSlackJob(ctx context.Context, data []byte) ([]byte, bool, error) {
	var j SlackJob
	if err := json.Unmarshal(data, &j); err != nil || !strings.HasPrefix(j.Text, sealedPrefix) {
		return data, true, nil
	}
	var err error
	if j.Text, err = s.keys.open(j.Text); err != nil {
		return nil, false, err
	}
	b, err := json.Marshal(j)
	return b, err == nil, err
}
