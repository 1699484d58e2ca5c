package storage

import (
	"fmt"
	"path"
	"time"
)

// Every Redis key tsunagu uses is built here. Member-scoped keys carry the
// member id in a {hash tag} so that one member's keys share a Cluster slot.

const prefix = "tsunagu:"

// familyKey: string, JSON tsunagu.Family; lives until the family is removed.
func familyKey(code string) string { return prefix + "family:" + code }

// familiesKey: set of family codes on the roster; permanent.
func familiesKey() string { return prefix + "families" }

// familyMembersKey: set of member ids linked to a family; permanent.
func familyMembersKey(code string) string { return prefix + "family:" + code + ":members" }

// inviteKey: string, JSON tsunagu.Invite; expires with the invite.
func inviteKey(code string) string { return prefix + "invite:" + code }

// memberKey: string, JSON tsunagu.Member; permanent.
func memberKey(id string) string { return prefix + "member:{" + id + "}" }

// sessionKey: string, JSON tsunagu.Session of the member's open session;
// deleted when the session ends.
func sessionKey(memberID string) string { return prefix + "session:{" + memberID + "}" }

// historyKey: list of JSON tsunagu.Session, the member's ended sessions,
// newest first, trimmed to historyLen.
func historyKey(memberID string) string { return prefix + "history:{" + memberID + "}" }

// enrolFailsKey: string counter of wrong invite codes; expires an hour after
// the first failure.
func enrolFailsKey(memberID string) string { return prefix + "enrolfails:{" + memberID + "}" }

// enrolFailsAllKey: string counter of everyone's wrong invite codes in the
// hour of now; expires two hours after it is first written.
func enrolFailsAllKey(now time.Time) string {
	return prefix + "enrolfails-all:" + now.UTC().Format("2006010215")
}

// eventKey: string "1" marking a LINE webhook event as processed; expires
// after eventTTL, well beyond LINE's redelivery window.
func eventKey(eventID string) string { return prefix + "event:" + eventID }

// alertKey: string, JSON tsunagu.Alert; permanent (the shared record).
func alertKey(id string) string { return prefix + "alert:" + id }

// alertsKey: sorted set of alert ids scored by creation time (unix ms).
func alertsKey() string { return prefix + "alerts" }

// lineOutboxKey: stream of LINE deliveries (field "d": JSON Delivery),
// consumed by the "senders" group; entries are deleted once delivered.
func lineOutboxKey() string { return prefix + "outbox:line" }

// slackOutboxKey: stream of Slack jobs (field "d": JSON SlackJob), consumed
// by the "senders" group; entries are deleted once done.
func slackOutboxKey() string { return prefix + "outbox:slack" }

// slackUrgentKey: stream like slackOutboxKey for urgent alerts and their
// escalations, which never wait behind the others.
func slackUrgentKey() string { return prefix + "outbox:slack:urgent" }

// deadKey: stream of deliveries that failed for good, kept for supporters
// and operators (capped at deadLen).
func deadKey() string { return prefix + "outbox:dead" }

// flowSourceKey: string, the YAML source of one version of a flow, by its
// content hash; expires flowSourceTTL after it was last put in force, long
// after any session started on it has ended.
func flowSourceKey(hash string) string { return prefix + "flowsrc:" + hash }

// flowErrorKey names a set of flow errors for Store.First, so that replicas
// and repeated reloads report it once a day.
func flowErrorKey(hash string) string { return "flowerr:" + hash }

// onceKey: string marking something as done once (see Store.First);
// expires with the window it was done for.
func onceKey(name string) string { return prefix + "once:" + name }

// pushTimersKey: sorted set of JSON Timer that send a push when they fire
// (reminders, dispatches), scored by due time (unix ms). Held back during
// quiet hours.
func pushTimersKey() string { return prefix + "timers:push" }

// quietTimersKey: sorted set of JSON Timer that send nothing (expiry),
// scored by due time (unix ms); they fire at any hour.
func quietTimersKey() string { return prefix + "timers:quiet" }

// timerStreamKey: stream of timers that came due (field "d": JSON Timer),
// consumed by the "senders" group.
func timerStreamKey() string { return prefix + "outbox:timers" }

// lastOccurrenceKey: sorted set of "flow|schedule index" scored by the last
// time (unix ms) the scheduler looked for occurrences; only moves forward.
func lastOccurrenceKey() string { return prefix + "sched:last" }

// occurrenceKey: string marking one occurrence of a flow's schedule as
// claimed, so that replicas dispatch it once; expires after occurrenceTTL.
func occurrenceKey(flowID string, index int, at int64) string {
	return fmt.Sprintf("%socc:%s:%d:%d", prefix, flowID, index, at)
}

// pendingKey: list of JSON PendingStart, check-ins waiting for the member's
// current session of another flow to end; permanent until popped.
func pendingKey(memberID string) string { return prefix + "pending:{" + memberID + "}" }

// membersKey: set of every linked member id; permanent.
func membersKey() string { return prefix + "members" }

// dispatchResultKey: string, JSON result of a dispatch asked for by `send`;
// expires after a day.
func dispatchResultKey(key string) string { return prefix + "dispatch:" + key }

// familyAlertsKey: sorted set of a family's alert ids by creation time
// (unix ms); permanent.
func familyAlertsKey(code string) string { return prefix + "family:" + code + ":alerts" }

// familyThreadKey: string "ts|alert id" of the Slack thread a family's
// alerts go into in a channel, and the alert that started it; expires
// thread_window after it was started.
func familyThreadKey(code, channel string) string {
	return prefix + "family:" + code + ":thread:" + channel
}

// strangerMinuteKey: string counter of new stranger messages in a channel
// in the minute of now; expires two minutes after it is first written.
func strangerMinuteKey(channel string, now time.Time) string {
	return prefix + "strangers:" + channel + ":minute:" + now.UTC().Format("200601021504")
}

// strangerLeadKey: string, the alert id of the newest stranger message in
// a channel, which strangers over the cap join; expires after an hour.
func strangerLeadKey(channel string) string { return prefix + "strangers:" + channel + ":lead" }

// strangerEscalatedKey: string "1", a stranger's alerts escalated once;
// expires with the thread window.
func strangerEscalatedKey(stranger string) string { return prefix + "strangers:escalated:" + stranger }

// coalesceKey: string, the alert whose message a family's next alerts in a
// channel join; expires a minute after that alert was posted.
func coalesceKey(code, channel string) string {
	return prefix + "family:" + code + ":coalesce:" + channel
}

// dispatchMembersKey: set of the member ids a dispatch has started (or
// found busy and decided for), so that running it again starts nobody
// twice and its reminders and expiry find its sessions; expires a week
// after the sessions would.
func dispatchMembersKey(key string) string { return prefix + "dispatch:" + key + ":members" }

// openAlertsKey: sorted set of the ids of alerts not resolved, by creation
// time (unix ms), so that old unclaimed ones are never out of sight.
func openAlertsKey() string { return prefix + "alerts:open" }

// slackRequestKey: string "1" marking a signed Slack request (by a hash of
// its timestamp and signature) as taken; expires after slackRequestTTL,
// just beyond the 5 minutes in which Slack's signature is accepted.
func slackRequestKey(sum string) string { return prefix + "slackreq:" + sum }

// accessAuditKey: stream of JSON tsunagu.AuditEntry (field "e") from the
// Slack edge — refused actions and reads of family summaries — capped at
// about accessAuditLen entries, oldest dropped first.
func accessAuditKey() string { return prefix + "audit:access" }

// auditKey: sorted set of JSON tsunagu.AuditEntry scored by time (unix
// ms); entries older than retention.audit are purged.
func auditKey() string { return prefix + "audit" }

// unlinkedKey: sorted set of the ids of members unlinked from their family,
// scored by when (unix ms); their history is purged retention.unlinked
// after.
func unlinkedKey() string { return prefix + "unlinked" }

// familyUnlinkedKey: set of the ids of members unlinked from a family whose
// history is still kept, so that erasing the family finds them.
func familyUnlinkedKey(code string) string { return prefix + "family:" + code + ":unlinked" }

// pseudonymKey: string, the fingerprint of the hash key member ids were
// made with (tsunagu.Pseudonyms.Fingerprint); set once, permanent, no
// personal data.
func pseudonymKey() string { return prefix + "pseudonym" }

// Lifetimes of keys: how the records in a key come to an end.
const (
	LifeTTL      = "ttl"                // the key expires (a TTL is set on every write)
	LifeSession  = "session"            // until the check-in ends; every session has an expiry timer
	LifeRoster   = "roster"             // until the family leaves the roster (remove, prune, forget) or the member is unlinked
	LifeAnswers  = "retention.answers"  // ended sessions older than retention.answers are purged
	LifeAlerts   = "retention.alerts"   // resolved alerts older than retention.alerts are purged
	LifeUnlinked = "retention.unlinked" // unlinked members' records are purged after retention.unlinked
	LifeAudit    = "retention.audit"    // audit entries older than retention.audit are purged
	LifeQueue    = "queue"              // entries are deleted once done (or moved to the dead letters)
	LifeConfig   = "config"             // no personal data: bounded by the flows and settings
)

// KeyRule says how long the keys matching Pattern (a path.Match pattern)
// live.
type KeyRule struct {
	Pattern  string
	Lifetime string // one of the Life* constants
}

// KeyRules lists every key pattern tsunagu writes, the more specific
// first. A test scans Redis after an end-to-end run and fails on a key
// that matches none, or on a LifeTTL key without a TTL.
var KeyRules = []KeyRule{
	{prefix + "family:*:members", LifeRoster},
	{prefix + "family:*:unlinked", LifeUnlinked},
	{prefix + "family:*:alerts", LifeAlerts},
	{prefix + "family:*:thread:*", LifeTTL},
	{prefix + "family:*:coalesce:*", LifeTTL},
	{prefix + "family:*", LifeRoster},
	{prefix + "families", LifeRoster},
	{prefix + "invite:*", LifeTTL},
	{prefix + "member:*", LifeRoster},
	{prefix + "members", LifeRoster},
	{prefix + "session:*", LifeSession},
	{prefix + "pending:*", LifeSession},
	{prefix + "history:*", LifeAnswers},
	{prefix + "enrolfails:*", LifeTTL},
	{prefix + "enrolfails-all:*", LifeTTL},
	{prefix + "strangers:*", LifeTTL},
	{prefix + "event:*", LifeTTL},
	{prefix + "alert:*", LifeAlerts},
	{prefix + "alerts", LifeAlerts},
	{prefix + "alerts:open", LifeAlerts},
	{prefix + "outbox:dead", LifeAlerts},
	{prefix + "outbox:*", LifeQueue},
	{prefix + "timers:*", LifeQueue},
	{prefix + "flowsrc:*", LifeTTL},
	{prefix + "once:*", LifeTTL},
	{prefix + "sched:last", LifeConfig},
	{prefix + "occ:*", LifeTTL},
	{prefix + "dispatch:*:members", LifeTTL},
	{prefix + "dispatch:*", LifeTTL},
	{prefix + "audit", LifeAudit},
	{prefix + "audit:access", LifeAudit},
	{prefix + "slackreq:*", LifeTTL},
	{prefix + "unlinked", LifeUnlinked},
	{prefix + "pseudonym", LifeConfig},
}

// RuleFor returns the rule of a key, and false when no pattern matches.
func RuleFor(key string) (KeyRule, bool) {
	for _, r := range KeyRules {
		if ok, _ := path.Match(r.Pattern, key); ok {
			return r, true
		}
	}
	return KeyRule{}, false
}
