package main

import (
	"context"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/storage"
)

// retention turns the configured retention into storage's.
func retention(c *config.Config) storage.Retention {
	return storage.Retention{
		Answers:  time.Duration(c.Retention.Answers),
		Alerts:   time.Duration(c.Retention.Alerts),
		Unlinked: time.Duration(c.Retention.Unlinked),
		Audit:    time.Duration(c.Retention.Audit),
	}
}

// purgeDaily runs the retention purge once a day, on one replica: each
// check claims the day (Store.First), and only the first claim purges.
// A purge that fails leaves the rest for the next day's.
//
// The lead moves this into the scheduler's job registry (issue 8).
func (m *Main) purgeDaily(ctx context.Context) {
	every := m.PurgeEvery
	if every == 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		m.purgeToday(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *Main) purgeToday(ctx context.Context) {
	log := m.Log.With("comp", "purge")
	now := m.Clock.Now()
	first, err := m.Store.First(ctx, "purge:"+now.In(m.Config.Location()).Format("2006-01-02"), 36*time.Hour)
	if err != nil || !first {
		return
	}
	rep, err := m.Store.Purge(ctx, now, retention(&m.Config))
	if err != nil {
		log.Error("retention purge failed; the next day's purge deletes what is left", "err", err)
		return
	}
	log.Info("retention purge", "sessions", rep.Sessions, "alerts", rep.Alerts, "members", rep.Members,
		"audit_entries", rep.AuditEntries, "dead_letters", rep.DeadLetters)
	if rep.Total() > 0 {
		_ = m.Store.Audit(ctx, tsunagu.AuditEntry{At: now, By: "tsunagu", Action: tsunagu.AuditPurged, Count: rep.Total()})
	}
}

// warnPersonalData says at start-up what is not protected.
func (m *Main) warnPersonalData(keys *storage.Keyring, p tsunagu.Pseudonyms) {
	if keys == nil {
		m.Log.Warn("free text (answers, messages to supporters, alert texts) is stored in clear: set TSUNAGU_ENCRYPTION_KEY to encrypt it (README, Personal data)")
	}
	if !p.Keyed() {
		m.Log.Warn("member ids are an unkeyed hash of the LINE user id: set TSUNAGU_HASH_KEY on a new deployment (README, Personal data)")
	}
}
