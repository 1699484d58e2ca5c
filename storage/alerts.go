package storage

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tsunagu/tsunagu"
)

// SlackJob is an entry of the Slack outbox.
type SlackJob struct {
	Op      string `json:"op"` // SlackPost, SlackUpdate, SlackThread or SlackEscalate
	AlertID string `json:"alert,omitempty"`
	Text    string `json:"text,omitempty"`    // SlackThread: what to post in the alert's thread
	Level   int    `json:"level,omitempty"`   // SlackEscalate
	Channel string `json:"channel,omitempty"` // SlackThread without an alert: post at the top here
}

const (
	SlackPost     = "post"
	SlackUpdate   = "update"
	SlackThread   = "thread"
	SlackEscalate = "escalate"
)

// QueueSlack queues Slack work that no member change causes; escalations
// go with the urgent alerts.
func (s *Store) QueueSlack(ctx context.Context, jobs ...SlackJob) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, j := range jobs {
			stream := slackOutboxKey()
			if j.Op == SlackEscalate {
				stream = slackUrgentKey()
			}
			if err := s.addSlackJob(ctx, p, stream, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

func (s *Store) addAlert(ctx context.Context, p redis.Pipeliner, a *tsunagu.Alert) error {
	if err := s.setAlert(ctx, p, a); err != nil {
		return err
	}
	p.ZAdd(ctx, alertsKey(), redis.Z{Score: float64(a.CreatedAt.UnixMilli()), Member: a.ID})
	p.ZAdd(ctx, openAlertsKey(), redis.Z{Score: float64(a.CreatedAt.UnixMilli()), Member: a.ID})
	p.ZAdd(ctx, familyAlertsKey(a.FamilyCode), redis.Z{Score: float64(a.CreatedAt.UnixMilli()), Member: a.ID})
	return addJob(ctx, p, slackStream(a), SlackJob{Op: SlackPost, AlertID: a.ID})
}

// slackStream is the Slack outbox an alert's posts go through: urgent
// alerts have their own, read first.
func slackStream(a *tsunagu.Alert) string {
	// A stranger's alert is urgent, but a flood of them must not hold up an
	// enrolled child's: they go with the rest, capped (SlackPoster).
	if a.Severity == tsunagu.SeverityUrgent && a.Stranger == "" {
		return slackUrgentKey()
	}
	return slackOutboxKey()
}

// SlackUrgentOutbox is the queue of urgent alerts and their escalations.
func (s *Store) SlackUrgentOutbox() *Outbox {
	return &Outbox{rdb: s.rdb, stream: slackUrgentKey(), minIdle: 30 * time.Second, open: s.openSlackJob, seal: s.sealSlackJob}
}

// RaiseAlertOnce is RaiseAlert for an alert whose id names the cause (a
// dispatch's quota warning): raising it again does nothing.
func (s *Store) RaiseAlertOnce(ctx context.Context, a *tsunagu.Alert) error {
	b, err := s.encodeAlert(a)
	if err != nil {
		return err
	}
	ok, err := s.rdb.SetNX(ctx, alertKey(a.ID), b, 0).Result()
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		return nil
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, alertsKey(), redis.Z{Score: float64(a.CreatedAt.UnixMilli()), Member: a.ID})
		p.ZAdd(ctx, openAlertsKey(), redis.Z{Score: float64(a.CreatedAt.UnixMilli()), Member: a.ID})
		p.ZAdd(ctx, openAlertsKey(), redis.Z{Score: float64(a.CreatedAt.UnixMilli()), Member: a.ID})
		p.ZAdd(ctx, familyAlertsKey(a.FamilyCode), redis.Z{Score: float64(a.CreatedAt.UnixMilli()), Member: a.ID})
		return addJob(ctx, p, slackStream(a), SlackJob{Op: SlackPost, AlertID: a.ID})
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// RaiseAlert records an alert that no member change caused (a failed
// delivery, for one) and queues it for Slack.
func (s *Store) RaiseAlert(ctx context.Context, a *tsunagu.Alert) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		return s.addAlert(ctx, p, a)
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Alert returns an alert, or an ENOTFOUND error.
func (s *Store) Alert(ctx context.Context, id string) (*tsunagu.Alert, error) {
	a, err := s.getAlert(ctx, s.rdb, alertKey(id))
	if errors.Is(err, redis.Nil) {
		return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "no alert %s", id)
	}
	return a, err
}

// Alerts returns the newest alerts first, at most n.
func (s *Store) Alerts(ctx context.Context, n int64) ([]tsunagu.Alert, error) {
	ids, err := s.rdb.ZRevRange(ctx, alertsKey(), 0, n-1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]tsunagu.Alert, 0, len(ids))
	for _, id := range ids {
		a, err := s.Alert(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, nil
}

// SetAlertPosted records where in Slack the alert was posted, and the
// family thread it went into ("" for none).
func (s *Store) SetAlertPosted(ctx context.Context, id, channel, ts, threadTS string) (*tsunagu.Alert, error) {
	return s.updateAlert(ctx, id, func(a *tsunagu.Alert) bool {
		a.Channel, a.TS, a.ThreadTS = channel, ts, threadTS
		return true
	})
}

// ClaimAlert records that a supporter took an open alert on. Claiming an
// alert someone else claimed moves it to the new supporter; a resolved alert
// stays resolved.
func (s *Store) ClaimAlert(ctx context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return s.withGroup(ctx, id, func(id string) (*tsunagu.Alert, error) { return s.claim(ctx, id, user, at) })
}

func (s *Store) claim(ctx context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return s.updateAlert(ctx, id, func(a *tsunagu.Alert) bool {
		if a.State == tsunagu.AlertResolved || (a.State == tsunagu.AlertClaimed && a.ClaimedBy == user) {
			return false
		}
		a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertClaimed, user, at
		a.History = append(a.History, tsunagu.AlertEvent{At: at, By: user, What: "claimed"})
		return true
	})
}

// UnclaimAlert reopens a claimed alert.
func (s *Store) UnclaimAlert(ctx context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return s.withGroup(ctx, id, func(id string) (*tsunagu.Alert, error) { return s.unclaim(ctx, id, user, at) })
}

func (s *Store) unclaim(ctx context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return s.updateAlert(ctx, id, func(a *tsunagu.Alert) bool {
		if a.State != tsunagu.AlertClaimed {
			return false
		}
		a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertOpen, "", time.Time{}
		a.History = append(a.History, tsunagu.AlertEvent{At: at, By: user, What: "unclaimed"})
		return true
	})
}

// ReassignAlert hands an alert that is not resolved to another supporter.
func (s *Store) ReassignAlert(ctx context.Context, id, by, to string, at time.Time) (*tsunagu.Alert, error) {
	return s.withGroup(ctx, id, func(id string) (*tsunagu.Alert, error) { return s.reassign(ctx, id, by, to, at) })
}

func (s *Store) reassign(ctx context.Context, id, by, to string, at time.Time) (*tsunagu.Alert, error) {
	return s.updateAlert(ctx, id, func(a *tsunagu.Alert) bool {
		if a.State == tsunagu.AlertResolved || (a.State == tsunagu.AlertClaimed && a.ClaimedBy == to) {
			return false
		}
		a.State, a.ClaimedBy, a.ClaimedAt = tsunagu.AlertClaimed, to, at
		a.History = append(a.History, tsunagu.AlertEvent{At: at, By: by, What: "reassigned", To: to})
		return true
	})
}

// ResolveAlert records that a supporter finished with an alert.
func (s *Store) ResolveAlert(ctx context.Context, id, user string, at time.Time) (*tsunagu.Alert, error) {
	return s.ResolveAlertNote(ctx, id, user, "", at)
}

// ResolveAlertNote resolves an alert with a note of what was done.
func (s *Store) ResolveAlertNote(ctx context.Context, id, user, note string, at time.Time) (*tsunagu.Alert, error) {
	return s.withGroup(ctx, id, func(id string) (*tsunagu.Alert, error) {
		a, err := s.resolve(ctx, id, user, note, at)
		if err == nil {
			// Out of the open set; should this fail, the set still says
			// what each alert's own state corrects.
			_ = s.rdb.ZRem(ctx, openAlertsKey(), id).Err()
		}
		return a, err
	})
}

// OpenAlerts returns the alerts not resolved, oldest first.
func (s *Store) OpenAlerts(ctx context.Context) ([]tsunagu.Alert, error) {
	ids, err := s.rdb.ZRange(ctx, openAlertsKey(), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]tsunagu.Alert, 0, len(ids))
	for _, id := range ids {
		a, err := s.Alert(ctx, id)
		if tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if a.State != tsunagu.AlertResolved {
			out = append(out, *a)
		}
	}
	return out, nil
}

func (s *Store) resolve(ctx context.Context, id, user, note string, at time.Time) (*tsunagu.Alert, error) {
	return s.updateAlert(ctx, id, func(a *tsunagu.Alert) bool {
		if a.State == tsunagu.AlertResolved {
			return false
		}
		a.State, a.ResolvedBy, a.ResolvedAt, a.Note = tsunagu.AlertResolved, user, at, note
		a.History = append(a.History, tsunagu.AlertEvent{At: at, By: user, What: "resolved"})
		return true
	})
}

// RecordAlertEvent adds a step of work (a reply sent, an escalation) to an
// alert's history.
func (s *Store) RecordAlertEvent(ctx context.Context, id string, ev tsunagu.AlertEvent, escalated int) (*tsunagu.Alert, error) {
	return s.updateAlert(ctx, id, func(a *tsunagu.Alert) bool {
		a.History = append(a.History, ev)
		a.Escalated = max(a.Escalated, escalated)
		return true
	})
}

// FamilyAlerts returns a family's alerts that are not resolved, newest
// first.
func (s *Store) FamilyAlerts(ctx context.Context, code string) ([]tsunagu.Alert, error) {
	ids, err := s.rdb.ZRevRange(ctx, familyAlertsKey(code), 0, 99).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	var out []tsunagu.Alert
	for _, id := range ids {
		a, err := s.Alert(ctx, id)
		if err != nil {
			return nil, err
		}
		if a.State != tsunagu.AlertResolved {
			out = append(out, *a)
		}
	}
	return out, nil
}

// FamilyThread returns the thread a family's alerts go into in a channel,
// if one was started there within the thread window: its ts and the alert
// that started it.
func (s *Store) FamilyThread(ctx context.Context, code, channel string) (ts, rootAlert string, err error) {
	v, err := s.rdb.Get(ctx, familyThreadKey(code, channel)).Result()
	if errors.Is(err, redis.Nil) {
		return "", "", nil
	}
	if err != nil {
		return "", "", unavailable(err)
	}
	ts, rootAlert, _ = strings.Cut(v, "|")
	return ts, rootAlert, nil
}

// StartFamilyThread makes a posted alert's message the family's thread in
// its channel for the window, unless another was started first (replicas).
func (s *Store) StartFamilyThread(ctx context.Context, code, channel, ts, alertID string, window time.Duration) error {
	if err := s.rdb.SetNX(ctx, familyThreadKey(code, channel), ts+"|"+alertID, window).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// NoteInThread records on a thread's first alert that another alert was
// posted in its thread, and returns the first alert as it now stands.
func (s *Store) NoteInThread(ctx context.Context, rootID string, a *tsunagu.Alert) (*tsunagu.Alert, error) {
	return s.updateAlert(ctx, rootID, func(root *tsunagu.Alert) bool {
		n := 1
		if root.Thread != nil {
			n = root.Thread.Count + 1
		}
		root.Thread = &tsunagu.ThreadInfo{Count: n, Severity: a.Severity, Reason: a.Reason, At: a.CreatedAt}
		return true
	})
}

// Lead makes alert the one whose message a family's next alerts in the
// channel join for the window, unless another already is: it returns the
// lead in force (alert itself when it won).
func (s *Store) Lead(ctx context.Context, code, channel, alertID string, window time.Duration) (string, error) {
	lead, err := s.rdb.SetArgs(ctx, coalesceKey(code, channel), alertID, redis.SetArgs{Mode: "NX", TTL: window, Get: true}).Result()
	if errors.Is(err, redis.Nil) {
		return alertID, nil // it was free: this alert leads
	}
	if err != nil {
		return "", unavailable(err)
	}
	return lead, nil
}

// GroupAlert shows alert a in the message of lead, in one transaction: a
// joins lead's group and lead lists a, and a redraw of lead's message is
// queued, so that a is never recorded as shown without being shown. It
// reports false, changing nothing, when lead is no longer open or not yet
// posted: a then gets a message of its own (an urgent alert must not
// silently join someone's claim) or waits.
func (s *Store) GroupAlert(ctx context.Context, leadID string, a *tsunagu.Alert) (grouped bool, err error) {
	txf := func(tx *redis.Tx) error {
		grouped = false
		lead, err := s.getAlert(ctx, tx, alertKey(leadID))
		if err != nil {
			return err
		}
		if lead.GroupOf != "" {
			// The lead joined another message itself (a stranger over the
			// cap): join that message, or a redraw of the lead would
			// overwrite it.
			if err := tx.Watch(ctx, alertKey(lead.GroupOf)).Err(); err != nil {
				return unavailable(err)
			}
			if lead, err = s.getAlert(ctx, tx, alertKey(lead.GroupOf)); err != nil {
				return err
			}
		}
		cur, err := s.getAlert(ctx, tx, alertKey(a.ID))
		if err != nil {
			return err
		}
		if cur.GroupOf == lead.ID {
			grouped = true // done before a crash: the redraw was queued with it
			return nil
		}
		if lead.State != tsunagu.AlertOpen || lead.TS == "" {
			return nil
		}
		lead.Grouped = append(lead.Grouped, tsunagu.GroupedAlert{ID: a.ID, Severity: a.Severity, Reason: a.Reason, Answers: a.Answers, CreatedAt: a.CreatedAt})
		cur.GroupOf, cur.Channel, cur.TS, cur.ThreadTS = lead.ID, lead.Channel, lead.TS, lead.ThreadTS
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if err := s.setAlert(ctx, p, lead); err != nil {
				return err
			}
			if err := s.setAlert(ctx, p, cur); err != nil {
				return err
			}
			// The redraw is what shows a: an urgent alert's goes in the
			// urgent lane, whatever the lead's severity.
			stream := slackStream(lead)
			if urgent := slackStream(a); urgent == slackUrgentKey() {
				stream = urgent
			}
			return addJob(ctx, p, stream, SlackJob{Op: SlackUpdate, AlertID: lead.ID})
		})
		grouped = err == nil
		return err
	}
	for range maxAttempts {
		err := s.rdb.Watch(ctx, txf, alertKey(leadID), alertKey(a.ID))
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			if errors.Is(err, redis.Nil) {
				return false, nil // the lead is gone: post on its own
			}
			if tsunagu.ErrorCode(err) == tsunagu.EINTERNAL && isNetErr(err) {
				return false, unavailable(err)
			}
			return false, err
		}
		return grouped, nil
	}
	return false, tsunagu.Errorf(tsunagu.ECONFLICT, "too much contention on alert %s", leadID)
}

// QueueRedraw queues a redraw of an alert's message from its state at the
// time of drawing: for a redraw that failed, or that must not be lost.
func (s *Store) QueueRedraw(ctx context.Context, a *tsunagu.Alert) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		return addJob(ctx, p, slackStream(a), SlackJob{Op: SlackUpdate, AlertID: a.ID})
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// SetFamilyPaused pauses or resumes a family's scheduled check-ins.
func (s *Store) SetFamilyPaused(ctx context.Context, code string, paused bool) error {
	txf := func(tx *redis.Tx) error {
		var f tsunagu.Family
		if err := getJSON(ctx, tx, familyKey(code), &f); err != nil {
			if errors.Is(err, redis.Nil) {
				return tsunagu.Errorf(tsunagu.ENOTFOUND, "family %s is not on the roster", code)
			}
			return err
		}
		f.Paused = paused
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error { return setJSON(ctx, p, familyKey(code), &f) })
		return err
	}
	for range maxAttempts {
		err := s.rdb.Watch(ctx, txf, familyKey(code))
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil && tsunagu.ErrorCode(err) == tsunagu.EINTERNAL {
			return unavailable(err)
		}
		return err
	}
	return tsunagu.Errorf(tsunagu.ECONFLICT, "too much contention on family %s", code)
}

// withGroup applies op to an alert and then to the alerts grouped in its
// message, which supporters handle together.
func (s *Store) withGroup(ctx context.Context, id string, op func(string) (*tsunagu.Alert, error)) (*tsunagu.Alert, error) {
	a, err := op(id)
	if err != nil {
		return nil, err
	}
	for _, g := range a.Grouped {
		if _, err := op(g.ID); err != nil && tsunagu.ErrorCode(err) != tsunagu.ENOTFOUND {
			return nil, err
		}
	}
	return a, nil
}

// updateAlert changes an alert under WATCH, so two supporters clicking at
// once both see a consistent result.
func (s *Store) updateAlert(ctx context.Context, id string, change func(*tsunagu.Alert) bool) (*tsunagu.Alert, error) {
	var out tsunagu.Alert
	txf := func(tx *redis.Tx) error {
		a, err := s.getAlert(ctx, tx, alertKey(id))
		if errors.Is(err, redis.Nil) {
			return tsunagu.Errorf(tsunagu.ENOTFOUND, "no alert %s", id)
		}
		if err != nil {
			return err
		}
		out = *a
		if !change(&out) {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			return s.setAlert(ctx, p, &out)
		})
		return err
	}
	for range maxAttempts {
		err := s.rdb.Watch(ctx, txf, alertKey(id))
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			if tsunagu.ErrorCode(err) == tsunagu.EINTERNAL && isNetErr(err) {
				return nil, unavailable(err)
			}
			return nil, err
		}
		return &out, nil
	}
	return nil, tsunagu.Errorf(tsunagu.ECONFLICT, "too much contention on alert %s", id)
}

// addSlackJob queues a Slack job with its text sealed.
func (s *Store) addSlackJob(ctx context.Context, p redis.Pipeliner, stream string, j SlackJob) error {
	j.Text = s.keys.seal(j.Text)
	return addJob(ctx, p, stream, j)
}
