// Package scheduler decides when check-ins, reminders and expiries happen.
// robfig/cron's parsed schedules say when a flow's occurrences fall; the
// work itself is durable in Redis (claimed occurrences and timers), so a
// restart or a second replica neither loses nor repeats it.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// Runner does the work of a timer that came due: Jobs, which routes it to
// the handler of its kind.
type Runner interface {
	HandleTimer(ctx context.Context, t storage.Timer) error
}

// Flows is the set of flows in force.
type Flows interface {
	All() []*flows.Flow
}

// Scheduler finds due occurrences and timers and hands them to workers.
type Scheduler struct {
	Store    *storage.Store
	Flows    Flows
	Handler  Runner
	Clock    tsunagu.Clock
	Location *time.Location // for schedules without their own time zone
	CatchUp  time.Duration  // an occurrence missed by less than this is still dispatched
	Quiet    QuietHours
	MaxTries int64         // hand-outs of a timer that keeps failing before it is dead
	TakeOver time.Duration // how long a due timer stays with a silent worker; 0 for 30 s
	// Digest is when the weekly report goes to Slack; nil for never.
	Digest *flows.Schedule
	Log    *slog.Logger
}

func (s *Scheduler) outbox() *storage.Outbox {
	o := s.Store.TimerOutbox()
	if s.TakeOver > 0 {
		o = o.WithMinIdle(s.TakeOver)
	}
	return o
}

// maxOccurrencesPerLook bounds the work after a long downtime with a
// frequent schedule.
const maxOccurrencesPerLook = 1000

// Tick claims the occurrences due by now and forwards the timers due by
// now to the workers. It is safe to run on every replica at once.
func (s *Scheduler) Tick(ctx context.Context) error {
	now := s.Clock.Now()
	var errs []error
	for _, f := range s.Flows.All() {
		for i, sched := range f.Schedules {
			t := storage.Timer{Kind: JobDispatch, FlowID: f.ID, Schedule: i}
			if err := s.look(ctx, t, sched, now); err != nil {
				errs = append(errs, fmt.Errorf("flow %s schedule %d: %w", f.ID, i, err))
			}
		}
	}
	if s.Digest != nil {
		if err := s.look(ctx, storage.Timer{Kind: JobDigest, FlowID: "(digest)"}, *s.Digest, now); err != nil {
			errs = append(errs, fmt.Errorf("digest: %w", err))
		}
	}
	if _, err := s.Store.ForwardTimers(ctx, now, s.Quiet.In(now)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// look claims the occurrences of one schedule between the last look and
// now, each as a copy of timer due then. A first look starts from now: a
// new flow does not replay its past.
func (s *Scheduler) look(ctx context.Context, timer storage.Timer, sched flows.Schedule, now time.Time) error {
	id, i := timer.FlowID, timer.Schedule
	last, err := s.Store.LastLook(ctx, id, i)
	if err != nil {
		return err
	}
	if !last.IsZero() {
		// A second before the window, as robfig/cron's Next is strictly
		// after the time given and whole seconds.
		if from := now.Add(-s.CatchUp - time.Second); last.Before(from) {
			// Down for longer than the catch-up window: what fell before it
			// is skipped; say so once rather than once per occurrence.
			if first := sched.Next(last, s.Location); first.Before(from) {
				s.Log.Warn("occurrences skipped: missed by more than catch_up", "flow", id, "from", first, "until", from)
			}
			last = from
		}
		n := 0
		for at := sched.Next(last, s.Location); !at.After(now) && n < maxOccurrencesPerLook; at = sched.Next(at, s.Location) {
			n++
			if late := now.Sub(at); late > s.CatchUp {
				s.Log.Warn("occurrence skipped: missed by more than catch_up", "flow", id, "at", at, "late", late.Round(time.Second))
				continue
			}
			t := timer
			t.Due, t.Occurs = at, at
			won, err := s.Store.ClaimOccurrence(ctx, t)
			if err != nil {
				return err
			}
			if won {
				s.Log.Info("occurrence claimed", "flow", id, "at", at)
			}
		}
	}
	return s.Store.SetLastLook(ctx, id, i, now)
}

// Run ticks every interval and works the due timers until ctx ends.
func (s *Scheduler) Run(ctx context.Context, consumer string, interval time.Duration) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.outbox().Work(ctx, consumer, 1, s.Log, s.do)
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("tick", "err", err)
		}
		select {
		case <-ctx.Done():
			<-done
			return
		case <-t.C:
		}
	}
}

// do handles one due timer.
func (s *Scheduler) do(ctx context.Context, j storage.Job) error {
	var tm storage.Timer
	if err := j.Decode(&tm); err != nil {
		return s.outbox().Dead(ctx, j, "undecodable timer")
	}
	if err := s.Handler.HandleTimer(ctx, tm); err != nil {
		if s.MaxTries > 0 && j.Attempts >= s.MaxTries {
			s.Log.Error("timer failed for good", "kind", tm.Kind, "err", err)
			if err := s.outbox().Dead(ctx, j, err.Error()); err != nil {
				return err
			}
			// Never dropped silently: supporters hear of it.
			return s.Store.RaiseAlert(ctx, &tsunagu.Alert{
				ID: "timer-" + tm.ID(), Severity: tsunagu.SeverityWarning, FamilyCode: "（システム）", FlowID: tm.FlowID,
				Reason:    "予定していた処理（" + tm.Kind + "）が何度も失敗したため、止めました。運用担当に確認してください",
				State:     tsunagu.AlertOpen,
				CreatedAt: s.Clock.Now(),
			})
		}
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return s.outbox().Done(ctx, j.ID)
}

// QuietHours is the daily window in which no push is sent: what comes due
// then waits, in order, for its end. Start == End means none.
type QuietHours struct {
	Start, End time.Duration // since local midnight
	Location   *time.Location
}

// In reports whether t falls in quiet hours.
func (q QuietHours) In(t time.Time) bool {
	if q.Start == q.End {
		return false
	}
	if q.Location != nil {
		t = t.In(q.Location)
	}
	// By the wall clock, not elapsed time: on a daylight-saving day the
	// two differ by an hour.
	h, m, sec := t.Clock()
	since := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second
	if q.Start < q.End {
		return since >= q.Start && since < q.End
	}
	return since >= q.Start || since < q.End // across midnight
}
