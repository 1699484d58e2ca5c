// Package tsunagu holds the domain of the tsunagu check-in bot: families and
// their members, check-in sessions, the messages a session causes and the
// alerts supporters see, plus the small interfaces the edges (LINE, Slack,
// Redis) meet at. It imports nothing of ours and no SDK.
package tsunagu

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Role is who a member is within a family.
type Role string

const (
	RoleChild    Role = "child"
	RoleGuardian Role = "guardian"
)

// Roles lists every valid role, in display order.
var Roles = []Role{RoleChild, RoleGuardian}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleChild || r == RoleGuardian }

// Severity says how soon a supporter should look at an alert.
type Severity string

const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityUrgent  Severity = "urgent"
)

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool {
	return s == SeverityInfo || s == SeverityWarning || s == SeverityUrgent
}

// Family is one household on the roster. Its Code is the only thing about it
// supporters see in Slack; names never enter the system.
type Family struct {
	Code      string   `json:"code"`
	Tags      []string `json:"tags,omitempty"`
	Supporter string   `json:"supporter,omitempty"` // Slack user id, may be empty
	Paused    bool     `json:"paused,omitempty"`    // no scheduled check-ins while paused
}

// Member is one LINE user linked to a family with a role.
type Member struct {
	ID         string    `json:"id"` // UserHash of the LINE user id
	FamilyCode string    `json:"family"`
	Role       Role      `json:"role"`
	LineUserID string    `json:"line_user_id"` // raw; never logged, never sent to Slack
	LinkedAt   time.Time `json:"linked_at"`
	Blocked    bool      `json:"blocked,omitempty"` // unfollowed: gets nothing until they follow again
	// Stopped is the member's own pause (they wrote 停止): no scheduled or
	// manual check-ins until they write 再開. Safety replies still go.
	Stopped bool `json:"stopped,omitempty"`
	// Consent is the member's answer to the sign-up flow's `consent` step:
	// its value ("yes", "no"...), or "" when they have not answered it, and
	// the label of the button they tapped, as supporters read it.
	Consent      string `json:"consent,omitempty"`
	ConsentLabel string `json:"consent_label,omitempty"`
	// Lang is the language the member reads (ja, en, pt...): chosen on the
	// invite or by the member, "" for the programme's default.
	Lang string `json:"lang,omitempty"`
}

// Consented reports whether the member agreed in the sign-up flow: its
// consent step answered "yes" or "agree". Any other answer declines, and
// no answer is no consent.
func Consented(m Member) bool { return m.Consent == "yes" || m.Consent == "agree" }

// Invite is a one-time enrolment code for a family and role.
type Invite struct {
	Code       string    `json:"code"`
	FamilyCode string    `json:"family"`
	Role       Role      `json:"role"`
	ExpiresAt  time.Time `json:"expires_at"`
	Lang       string    `json:"lang,omitempty"` // the member's language, carried to the Member; "" for the default
}

// UserHash is the legacy, unkeyed pseudonym of a LINE user id, used in
// logs, keys and member ids when no hash key is configured. Anyone holding
// a LINE user id can recompute it: configure `hash_key` and use
// Pseudonyms.UserHash instead.
func UserHash(lineUserID string) string {
	sum := sha256.Sum256([]byte("tsunagu:line-user:" + lineUserID))
	return hex.EncodeToString(sum[:8])
}

// Message is one message to a family member.
type Message struct {
	Text         string       `json:"text"`
	QuickReplies []QuickReply `json:"quick_replies,omitempty"`
}

// QuickReply is a button under a message. Tapping it sends Data as a postback
// and shows Label in the chat as if the member had typed it.
type QuickReply struct {
	Label string `json:"label"`
	Data  string `json:"data"`
}

// SessionStatus is where a check-in session stands.
type SessionStatus string

const (
	SessionWaiting   SessionStatus = "waiting"   // waiting for an answer to Step
	SessionCompleted SessionStatus = "completed" // the member reached the end
	SessionMissed    SessionStatus = "missed"    // ended without finishing
	SessionStopped   SessionStatus = "stopped"   // the member asked to stop: neither answered nor missed
)

// Session is one member's run through one flow.
type Session struct {
	ID        string            `json:"id"`
	MemberID  string            `json:"member"`
	FlowID    string            `json:"flow"`
	FlowHash  string            `json:"flow_hash,omitempty"`
	Dispatch  string            `json:"dispatch,omitempty"` // the dispatch that started it, when one did
	Step      string            `json:"step,omitempty"`     // the step waited on
	Answers   map[string]Answer `json:"answers,omitempty"`
	Order     []string          `json:"order,omitempty"` // step ids in the order answered
	Status    SessionStatus     `json:"status"`
	Reasks    int               `json:"reasks,omitempty"`   // re-asks of the current step
	Visits    map[string]int    `json:"visits,omitempty"`   // times each step was entered: the loop guard
	Alerted   []int             `json:"alerted,omitempty"`  // alert rules (by index) already raised
	Reminded  int               `json:"reminded,omitempty"` // reminders sent so far
	Lang      string            `json:"lang,omitempty"`     // the language it speaks, fixed at its start; "" for the flow's default
	Version   int64             `json:"version"`            // bumped on every commit
	StartedAt time.Time         `json:"started_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Open reports whether the session still waits for the member.
func (s *Session) Open() bool { return s != nil && s.Status == SessionWaiting }

// Answer is a member's answer to one step.
type Answer struct {
	Value   string    `json:"value"`             // the choice value, the number, or the text
	Label   string    `json:"label,omitempty"`   // what the member saw, for choices
	Skipped bool      `json:"skipped,omitempty"` // an optional step the member skipped
	At      time.Time `json:"at"`
}

// QA is a question and its answer as supporters see them in an alert.
type QA struct {
	Question string `json:"q"`
	Answer   string `json:"a"`
}

// AlertState is where supporters' work on an alert stands.
type AlertState string

const (
	AlertOpen     AlertState = "open"
	AlertClaimed  AlertState = "claimed"
	AlertResolved AlertState = "resolved"
)

// Alert tells supporters that an answer or a silence needs a human. It
// carries a family code, never a name or a LINE id.
type Alert struct {
	ID         string   `json:"id"`
	Severity   Severity `json:"severity"`
	FamilyCode string   `json:"family"`
	Role       Role     `json:"role,omitempty"`
	FlowID     string   `json:"flow,omitempty"`
	FlowTitle  string   `json:"flow_title,omitempty"`
	Reason     string   `json:"reason"`
	// Stranger is, for someone who never enrolled, a pseudonymous label
	// (#a3f9c2, from the keyed hash; never the LINE id): their alerts are
	// threaded by it, and capped together with other strangers'.
	Stranger   string       `json:"stranger,omitempty"`
	Category   string       `json:"category,omitempty"` // a risk alert's category as supporters read it (希死念慮…)
	Answers    []QA         `json:"answers,omitempty"`
	Lang       string       `json:"lang,omitempty"`      // the language the member answered in, when not the programme's
	Supporter  string       `json:"supporter,omitempty"` // Slack user id to mention
	State      AlertState   `json:"state"`
	ClaimedBy  string       `json:"claimed_by,omitempty"`
	ClaimedAt  time.Time    `json:"claimed_at,omitzero"`
	ResolvedBy string       `json:"resolved_by,omitempty"`
	ResolvedAt time.Time    `json:"resolved_at,omitzero"`
	Note       string       `json:"note,omitempty"`      // what was done, written on resolving
	MemberID   string       `json:"member,omitempty"`    // whom a reply goes to; never shown in Slack
	ThreadTS   string       `json:"thread_ts,omitempty"` // the family thread this alert was posted in
	Escalated  int          `json:"escalated,omitempty"` // escalation levels reached
	History    []AlertEvent `json:"history,omitempty"`   // who did what, for the shared record
	// Grouped are the family's alerts that came within a minute after
	// this one: shown in this one's message, handled with it.
	Grouped []GroupedAlert `json:"grouped,omitempty"`
	GroupOf string         `json:"group_of,omitempty"` // the alert whose message shows this one
	// Thread is, on the first alert of a family thread, what came since.
	Thread    *ThreadInfo `json:"thread,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	Channel   string      `json:"channel,omitempty"` // Slack channel of the posted message
	TS        string      `json:"ts,omitempty"`      // Slack timestamp of the posted message
}

// Inbound is one event from a family member, as the LINE edge hands it on.
type Inbound struct {
	EventID    string      `json:"event_id"`
	Kind       InboundKind `json:"kind"`
	UserID     string      `json:"-"` // raw LINE user id
	ReplyToken string      `json:"-"`
	Text       string      `json:"-"` // typed text
	Data       string      `json:"-"` // postback data
	At         time.Time   `json:"at"`
}

// InboundKind says what a member did.
type InboundKind string

const (
	InboundFollow   InboundKind = "follow"
	InboundUnfollow InboundKind = "unfollow"
	InboundText     InboundKind = "text"
	InboundPostback InboundKind = "postback"
	InboundMedia    InboundKind = "media" // a sticker, image or other message with no text
)

// Outgoing is a batch of at most five messages to one member: the messages
// one event or one check-in causes. It is committed to the outbox together
// with the change that caused it and delivered afterwards.
type Outgoing struct {
	ID       string `json:"id"` // the retry key of a push derives from it
	MemberID string `json:"member"`
	// To is the raw LINE user id. Storage does not keep it in the outbox
	// for a linked member: it fills it in from the member record on read.
	To         string    `json:"to"`
	ReplyToken string    `json:"reply_token,omitempty"`
	ReplyBy    time.Time `json:"reply_by,omitzero"` // the reply token is worth trying until then
	Messages   []Message `json:"messages"`
	CreatedAt  time.Time `json:"created_at"`
}

// GroupedAlert is an alert shown in an earlier alert's message.
type GroupedAlert struct {
	ID        string    `json:"id"`
	Severity  Severity  `json:"severity"`
	Reason    string    `json:"reason"`
	Answers   []QA      `json:"answers,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// ThreadInfo sums up a family thread on its first message.
type ThreadInfo struct {
	Count    int       `json:"count"` // alerts in the thread after the first
	Severity Severity  `json:"severity"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// SeverityRank orders severities: info < warning < urgent.
func SeverityRank(s Severity) int {
	switch s {
	case SeverityUrgent:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}

// AlertEvent is one step of supporters' work on an alert.
type AlertEvent struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`   // Slack user id
	What string    `json:"what"` // claimed, unclaimed, reassigned, resolved, replied
	To   string    `json:"to,omitempty"`
}

// FamilySummary is what a supporter sees of a family at a glance: who is
// linked, how their check-ins went, and what is open. No names.
type FamilySummary struct {
	Family     Family          `json:"family"`
	Members    []MemberSummary `json:"members"`
	OpenAlerts []Alert         `json:"open_alerts"`
}

// MemberSummary is one member of a FamilySummary.
type MemberSummary struct {
	Role     Role      `json:"role"`
	LinkedAt time.Time `json:"linked_at"`
	Blocked  bool      `json:"blocked,omitempty"`
	Stopped  bool      `json:"stopped,omitempty"` // paused by their own word
	Consent  string    `json:"consent,omitempty"`
	// ConsentLabel is the consent answer as the member saw it.
	ConsentLabel string        `json:"consent_label,omitempty"`
	Flows        []FlowSummary `json:"flows"`
}

// FlowSummary is how one member's check-ins of one flow went.
type FlowSummary struct {
	FlowID        string    `json:"flow"`
	Title         string    `json:"title"`
	LastCompleted time.Time `json:"last_completed,omitzero"`
	LastAnswers   []QA      `json:"last_answers,omitempty"`
	StreakMissed  int       `json:"streak_missed"`
	Open          bool      `json:"open"` // a session is waiting for an answer now
}

// AuditEntry is one recorded action on a family's data: who did what, and
// when. Reads count as much as changes: a programme must be able to answer
// "who has seen this child's data". It never holds a message text.
type AuditEntry struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`               // Slack user id, "cli:NAME" for a coordinator's command, or "tsunagu"
	Action string    `json:"action"`           // e.g. claimed, resolved, replied, paused, read-summary, exported, forgotten, refused
	Family string    `json:"family,omitempty"` // the family code acted on, if any
	Detail string    `json:"detail,omitempty"` // what else identifies the action (alert id, flow, channel); never a text
	Count  int       `json:"count,omitempty"`  // records touched: an export's rows, an erasure's or a purge's records
}

// Audited actions (AuditEntry.Action). The Slack side records claims,
// resolutions, replies, pauses and summary reads; the CLI and the service
// record the rest.
const (
	AuditClaimed     = "claimed"
	AuditResolved    = "resolved"
	AuditReplied     = "replied"
	AuditPaused      = "paused"
	AuditResumed     = "resumed"
	AuditReadSummary = "read-summary"
	AuditExported    = "exported"  // answers or a family's data written out
	AuditForgotten   = "forgotten" // everything about a family erased
	AuditRemoved     = "removed"   // a family removed from the roster (and erased)
	AuditUnlinked    = "unlinked"  // a member unlinked from a family
	AuditRevoked     = "revoked"   // an invite code revoked
	AuditRekeyed     = "rekeyed"   // stored free text re-encrypted with the current key
	AuditPurged      = "purged"    // the daily retention purge deleted old records
	AuditImported    = "imported"  // a roster imported
	AuditCasePack    = "case-pack" // a family's case meeting pack made (CLI or Slack)
)
