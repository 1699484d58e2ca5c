package scheduler

import (
	"context"
	"fmt"

	"github.com/tsunagu/tsunagu/storage"
)

// The jobs tsunagu runs later: the vocabulary of delayed work. Storage
// keeps them (storage.Timer, by kind); this package says what each kind is,
// when it may run, and which handler does it (Jobs).
const (
	JobReminder = "reminder" // push a reminder to a member whose session is still open
	JobExpire   = "expire"   // end a session that is still open as missed
	JobStart    = "start"    // start a check-in that waited for the member's previous one to end
	JobDispatch = "dispatch" // start a flow for its audience (a schedule's occurrence, or `send`)
	JobEscalate = "escalate" // remind on-call supporters of an urgent alert still unclaimed
	JobDigest   = "digest"   // post the weekly support-status report to Slack
	// A dispatch's reminders and expiry are one job each for all the
	// members it started, not one per member; when due they fan out into
	// per-member jobs.
	JobRemindAll = "remind-all"
	JobExpireAll = "expire-all"
)

// Quiet reports whether a job of this kind may run in quiet hours: it
// sends no push to a family (an expiry, a fan-out of expiries), or it is
// for supporters (an escalation, the digest). Every other kind waits for
// the end of quiet hours. Storage files jobs by this rule (storage.Store's
// WithJobs).
func Quiet(kind string) bool {
	switch kind {
	case JobExpire, JobExpireAll, JobEscalate, JobDigest:
		return true
	}
	return false
}

// Handler does one job that came due. It must do nothing when the job is
// no longer wanted (a reminder for a session that moved on), so that a job
// run twice, after a crash, changes nothing the second time.
type Handler func(ctx context.Context, t storage.Timer) error

// Jobs routes each kind of job to its handler: the one table where job
// kinds are registered, built where the service is wired.
type Jobs map[string]Handler

// HandleTimer runs the handler registered for t's kind.
func (j Jobs) HandleTimer(ctx context.Context, t storage.Timer) error {
	h, ok := j[t.Kind]
	if !ok {
		return fmt.Errorf("no handler for jobs of kind %q", t.Kind)
	}
	return h(ctx, t)
}
