package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// devClock is the playground's clock: the wall clock plus however far the
// page has moved it. The service reads it as its injected Clock, so
// schedules, reminders, expiry and escalation follow it.
type devClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *devClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// set moves the clock forward to t (never back) and returns by how much.
func (c *devClock) set(t time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := t.Sub(time.Now().Add(c.offset))
	if d <= 0 {
		return 0
	}
	c.offset += d
	return d
}

// maxStep bounds one move of the clock: under the catch-up window, so no
// scheduled occurrence is ever skipped as late.
func (p *playground) maxStep() time.Duration {
	return max(time.Minute, time.Duration(p.cfg.CatchUp)/2)
}

// advance moves the clock to target the way time would pass: step by step
// to each scheduled occurrence, due timer and end of quiet hours in
// between, letting the service finish what each step caused before the
// next, so that two weeks pass in seconds with every reminder, expiry and
// missed-streak alert in its order.
func (p *playground) advance(ctx context.Context, target time.Time) error {
	p.clockMu.Lock()
	defer p.clockMu.Unlock()
	for {
		if err := p.settle(ctx); err != nil {
			return err
		}
		now := p.clock.Now()
		if !now.Before(target) {
			return nil
		}
		step, err := p.nextStop(ctx, now, target)
		if err != nil {
			return err
		}
		moved := p.clock.set(step)
		if p.mini != nil {
			p.mini.FastForward(moved) // key lifetimes follow the clock
		}
	}
}

// nextStop is the earliest moment after now, and at most target, at which
// something is due.
func (p *playground) nextStop(ctx context.Context, now, target time.Time) (time.Time, error) {
	stop := target
	earlier := func(t time.Time) {
		if !t.IsZero() && t.After(now) && t.Before(stop) {
			stop = t
		}
	}
	earlier(now.Add(p.maxStep()))
	push, quiet, err := p.m.Store.NextTimers(ctx)
	if err != nil {
		return stop, err
	}
	earlier(push)
	earlier(quiet)
	earlier(p.nextCheckIn(now, nil))
	if p.m.Scheduler.Digest != nil {
		earlier(p.m.Scheduler.Digest.Next(now, p.cfg.Location()))
	}
	earlier(p.quietBoundary(now))
	return stop, nil
}

// nextCheckIn is the next scheduled occurrence of any flow in force for
// the member (any member when nil), zero when there is none.
func (p *playground) nextCheckIn(now time.Time, m *devMember) time.Time {
	var next time.Time
	for _, f := range p.m.Bot.Flows.All() {
		if m != nil && !f.ForAudience(m.Role, m.tags) {
			continue
		}
		for _, s := range f.Schedules {
			if t := s.Next(now, p.cfg.Location()); next.IsZero() || t.Before(next) {
				next = t
			}
		}
	}
	return next
}

// quietBoundary is when quiet hours next start or end, zero without them.
func (p *playground) quietBoundary(now time.Time) time.Time {
	q := p.m.Scheduler.Quiet
	if q.Start == q.End {
		return time.Time{}
	}
	loc := p.cfg.Location()
	day := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	var next time.Time
	for d := 0; d < 2; d++ {
		for _, off := range []time.Duration{q.Start, q.End} {
			t := day.AddDate(0, 0, d).Add(off)
			if t.After(now) && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
	}
	return next
}

// settle ticks the scheduler and waits until the service has done all the
// work that is due: timers forwarded and handled, LINE messages and Slack
// posts delivered.
func (p *playground) settle(ctx context.Context) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := p.m.Scheduler.Tick(ctx); err != nil {
			return err
		}
		busy, err := p.busy(ctx)
		if err != nil || !busy {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("the service is still busy after 20 s (see the log)")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// busy reports whether due work is still waiting or in progress.
func (p *playground) busy(ctx context.Context) (bool, error) {
	s := p.m.Store
	for _, o := range []interface {
		Len(context.Context) (int64, error)
	}{s.TimerOutbox(), s.LineOutbox(), s.SlackOutbox(), s.SlackUrgentOutbox()} {
		n, err := o.Len(ctx)
		if err != nil || n > 0 {
			return true, err
		}
	}
	now := p.clock.Now()
	push, quiet, err := s.NextTimers(ctx)
	if err != nil {
		return true, err
	}
	due := func(t time.Time) bool { return !t.IsZero() && !t.After(now) }
	if due(quiet) || (due(push) && !p.m.Scheduler.Quiet.In(now)) {
		return true, nil
	}
	return false, nil
}

// clockMove turns the page's button into a target time; "next" is the
// next check-in of the member the page plays.
func (p *playground) clockMove(what string, m *devMember) (time.Time, error) {
	now := p.clock.Now()
	switch what {
	case "hour":
		return now.Add(time.Hour), nil
	case "day":
		return now.Add(24 * time.Hour), nil
	case "week":
		return now.Add(7 * 24 * time.Hour), nil
	case "next":
		next := p.nextCheckIn(now, m)
		if next.IsZero() {
			return now, errors.New("このメンバーに予定されたチェックインはありません")
		}
		return next.Add(time.Second), nil
	}
	return now, fmt.Errorf("unknown clock move %q", what)
}
