package flows

import (
	"time"

	"github.com/tsunagu/tsunagu"
)

// Outcomes are what a member's turn decided, one small type per thing that
// happened (goflow's events). The conversation returns them in order; the
// service maps them to one storage change and the simulator renders them,
// so what a coordinator tries is what production does.
type Outcome interface{ outcome() }

// Said is messages to the member, in order.
type Said struct{ Messages []tsunagu.Message }

// AlertRaised is an alert for supporters, worded and addressed: severity,
// reason, the answers it cites, the family and member. Only delivery is
// left to the caller.
type AlertRaised struct{ Alert tsunagu.Alert }

// RiskDetected is a risk match in the member's text. The Said after it is
// the safety reply for its category and audience, and the AlertRaised
// after that the urgent alert (a Gentle match: no reply, a warning).
type RiskDetected struct {
	Word     string
	Category string // as supporters read it (希死念慮, 身体的虐待…)
	Rule     string // the rule that matched, for `tsunagu risk check` and the simulator
	// Gentle is a negated match (死にたくない): no safety reply, a warning
	// alert only.
	Gentle   bool
	Audience tsunagu.Role // whose safety message was sent ("" before enrolment)
}

// SessionStarted is a check-in that began: its first question is in a Said,
// and it now waits for the member, with reminders and an expiry.
type SessionStarted struct {
	Session   *tsunagu.Session
	Reminders []time.Time // when each of the flow's reminders comes due
	Expires   time.Time
}

// SessionChanged is the open session after an answer, a re-ask or a
// reminder.
type SessionChanged struct{ Session *tsunagu.Session }

// EndReason says why a session ended.
type EndReason string

const (
	EndCompleted  EndReason = "completed"  // the member reached the end
	EndMissed     EndReason = "missed"     // ended unanswered (the loop guard, a simulator's :missed)
	EndExpired    EndReason = "expired"    // expires_after passed
	EndSuperseded EndReason = "superseded" // the next check-in of the same flow came first
	EndFlowGone   EndReason = "flow gone"  // the flow (or the step waited on) was removed
	EndStopped    EndReason = "stopped"    // the member asked to stop (停止)
)

// SessionEnded is a session that is over; its Status says completed or
// missed, and it keeps the answers given.
type SessionEnded struct {
	Session *tsunagu.Session
	Why     EndReason
}

// StreakChanged is the member's run of missed sessions of a flow after a
// session ended: 0 after a completed one.
type StreakChanged struct {
	FlowID string
	Missed int
}

// ConsentRecorded is the member's answer to the sign-up flow's consent
// step.
type ConsentRecorded struct{ Value, Label string }

// MemberLinked is a LINE user enrolled with an invite code.
type MemberLinked struct {
	Member tsunagu.Member
	Invite string // the code used up
}

// EnrolFailed counts the wrong invite codes a message tried.
type EnrolFailed struct{ Codes int }

// MemberChanged is the member record after a follow or an unfollow.
type MemberChanged struct{ Member tsunagu.Member }

// CheckInWaiting is a check-in that waits for the member's open session of
// another flow to end.
type CheckInWaiting struct {
	FlowID string
	Key    string // what asked for it
}

// WaitingTaken is the oldest waiting check-in taken off the list: started
// in this turn, started later (StartLater), or dropped (its flow is gone).
type WaitingTaken struct{}

// StartLater asks for a waiting check-in to start in a turn of its own, now:
// a push, which quiet hours hold back and which checks again who may get it.
type StartLater struct {
	FlowID string
	Key    string
}

func (Said) outcome()            {}
func (AlertRaised) outcome()     {}
func (RiskDetected) outcome()    {}
func (SessionStarted) outcome()  {}
func (SessionChanged) outcome()  {}
func (SessionEnded) outcome()    {}
func (StreakChanged) outcome()   {}
func (ConsentRecorded) outcome() {}
func (MemberLinked) outcome()    {}
func (EnrolFailed) outcome()     {}
func (MemberChanged) outcome()   {}
func (CheckInWaiting) outcome()  {}
func (WaitingTaken) outcome()    {}
func (StartLater) outcome()      {}
