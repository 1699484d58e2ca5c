package slack

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tsunagu/tsunagu"
)

// Action is something a supporter does to a family from Slack: a click on
// its alert, the submission of a modal that click opened, or a command.
type Action string

const (
	DoClaim    Action = "claim"
	DoUnclaim  Action = "unclaim"
	DoResolve  Action = "resolve"
	DoReassign Action = "reassign"
	DoReply    Action = "reply"
	DoDetail   Action = "detail"  // 詳細: the family summary
	DoSummary  Action = "summary" // /tsunagu CODE
	DoPause    Action = "pause"
	DoResume   Action = "resume"
	DoSend     Action = "send"
	DoCase     Action = "case" // /tsunagu case CODE: the case meeting pack
)

// Actions lists every Action, for tests and documentation.
var AllActions = []Action{DoClaim, DoUnclaim, DoResolve, DoReassign, DoReply, DoDetail, DoSummary, DoPause, DoResume, DoSend, DoCase}

// Via is how a request reached us, which decides where it may come from.
type Via int

const (
	// ViaAlert is a click on an alert message or the submission of a modal
	// that such a click opened: allowed only from the channel the alert
	// was posted to.
	ViaAlert Via = iota
	// ViaCommand is /tsunagu: allowed only from a channel of the family's
	// organisation (its answer may be shown there).
	ViaCommand
)

// Refusal reasons: what a refusal is recorded and logged with. The
// supporter is told none of them (see refusedText).
const (
	ReasonOtherWorkspace = "other-workspace"
	ReasonOtherApp       = "other-app"
	ReasonNotSupporter   = "not-a-supporter"
	ReasonOtherChannel   = "other-channel"
	ReasonGroupsUnknown  = "user-groups-unavailable"
	ReasonAssignee       = "assignee-outside-organisation"
)

// refusedText is all a refused supporter reads: nothing about the family,
// not even whether it exists.
const refusedText = "申し訳ありません。この操作はできません。担当の団体のチャンネルから、その団体の支援者の方が行ってください。"

// Request is who asks, from where.
type Request struct {
	Team, App string // the workspace and app the request names
	User      string
	Channel   string // where the click or command was made; for a modal, the alert's channel it was opened from
	Via       Via
}

// Decision is the answer of Access.
type Decision struct {
	Allowed bool
	Reason  string // why not, or "admin" when only slack.admins allowed it
	Org     string // the family's organisation, "" for none
}

// Organisation is what Access knows of one organisation.
type Organisation struct {
	ID         string
	Tags       []string
	Channels   []string // where its alerts are posted; its commands are taken only here
	Supporters []string // user ids U…/W… and user group ids S…; empty: anyone of the workspace
}

// AccessConfig is the configuration Access is built from (cmd converts
// config.Config to it, so that this package stays free of ours).
type AccessConfig struct {
	TeamID, AppID string
	// Default is whoever acts on families of no organisation — every
	// family when Organisations is empty (single-organisation mode): ID "",
	// Channels slack.channel and routes, Supporters slack.supporters.
	Default       Organisation
	Organisations []Organisation
	Admins        []string // may act on every family from any configured channel
	// GroupTTL is how long a user group's members are cached; 0 for 5 minutes.
	GroupTTL time.Duration
}

// GroupMembers lists the members of a Slack user group
// (usergroups.users.list; *Notifier is one).
type GroupMembers interface {
	UserGroupMembers(ctx context.Context, group string) ([]string, error)
}

// Access decides who may do what to which family from where. It is the one
// place that rule lives; the handlers ask it before anything else.
type Access struct {
	cfg    AccessConfig
	groups GroupMembers
	clock  tsunagu.Clock

	mu    sync.Mutex
	cache map[string]groupEntry
}

// maxStaleGroup bounds how long known members of a user group stand in
// while Slack cannot be asked.
const maxStaleGroup = time.Hour

// groupTimeout bounds asking Slack for a group's members, well inside the
// 3 seconds a click must be answered in.
const groupTimeout = 1500 * time.Millisecond

type groupEntry struct {
	members []string
	at      time.Time
}

// NewAccess returns the rule for cfg. groups answers user group
// membership (nil when no supporters list names a group); clock nil is
// the wall clock.
func NewAccess(cfg AccessConfig, groups GroupMembers, clock tsunagu.Clock) *Access {
	if cfg.GroupTTL == 0 {
		cfg.GroupTTL = 5 * time.Minute
	}
	if clock == nil {
		clock = tsunagu.SystemClock
	}
	return &Access{cfg: cfg, groups: groups, clock: clock, cache: map[string]groupEntry{}}
}

// Mode says in one line which rule is in force, for the start-up log.
func (a *Access) Mode() string {
	if len(a.cfg.Organisations) == 0 {
		who := "anyone of the workspace"
		if len(a.cfg.Default.Supporters) > 0 {
			who = fmt.Sprintf("%d listed supporters or groups", len(a.cfg.Default.Supporters))
		}
		return fmt.Sprintf("single organisation: %s, from %s", who, strings.Join(a.cfg.Default.Channels, " "))
	}
	ids := make([]string, len(a.cfg.Organisations))
	for i, o := range a.cfg.Organisations {
		ids[i] = o.ID
	}
	return fmt.Sprintf("%d organisations (%s), %d admins", len(ids), strings.Join(ids, ", "), len(a.cfg.Admins))
}

// Workspace tells whether a request comes from the configured workspace
// and app; reason says why not.
func (a *Access) Workspace(team, app string) (ok bool, reason string) {
	if team != a.cfg.TeamID {
		return false, ReasonOtherWorkspace
	}
	if a.cfg.AppID != "" && app != a.cfg.AppID {
		return false, ReasonOtherApp
	}
	return true, ""
}

// OrganisationOf is the organisation a family with tags belongs to: the
// first that has one of its tags, else the default.
func (a *Access) OrganisationOf(tags []string) *Organisation {
	for i, o := range a.cfg.Organisations {
		if slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(o.Tags, t) }) {
			return &a.cfg.Organisations[i]
		}
	}
	return &a.cfg.Default
}

// Decide says whether r may do act to the family with tags (nil for an
// alert with no family, such as a stranger's). alertChannel is where the
// alert clicked was posted ("" for a command). It checks, in order: the
// workspace and app; the channel (a click only where its alert is, a
// command only in a channel of the family's organisation); and the user
// (a supporter of that organisation, directly or through a user group,
// or an admin). An organisation with no supporters listed lets anyone of
// the workspace act from its channels.
func (a *Access) Decide(ctx context.Context, r Request, tags []string, alertChannel string, act Action) Decision {
	org := a.OrganisationOf(tags)
	d := Decision{Org: org.ID}
	if ok, why := a.Workspace(r.Team, r.App); !ok {
		d.Reason = why
		return d
	}
	if r.User == "" {
		d.Reason = ReasonNotSupporter
		return d
	}
	admin := slices.Contains(a.cfg.Admins, r.User)
	if !a.fromChannel(r, org, alertChannel, admin) {
		d.Reason = ReasonOtherChannel
		return d
	}
	if admin {
		d.Allowed, d.Reason = true, "admin"
		return d
	}
	member, err := a.member(ctx, r.User, org.Supporters)
	switch {
	case err != nil:
		d.Reason = ReasonGroupsUnknown
	case !member:
		d.Reason = ReasonNotSupporter
	default:
		d.Allowed = true
	}
	return d
}

// fromChannel applies the channel rule. A click is where its alert is
// (Slack says so in the signed payload). A command must be typed in one
// of the organisation's channels, or, by an admin, in any configured
// channel: its answer is shown where it was typed.
func (a *Access) fromChannel(r Request, org *Organisation, alertChannel string, admin bool) bool {
	if r.Channel == "" {
		return false
	}
	if r.Via == ViaAlert && alertChannel != "" {
		return r.Channel == alertChannel
	}
	if slices.Contains(org.Channels, r.Channel) {
		return true
	}
	return admin && slices.Contains(a.channels(), r.Channel)
}

// channels is every configured channel.
func (a *Access) channels() []string {
	all := slices.Clone(a.cfg.Default.Channels)
	for _, o := range a.cfg.Organisations {
		all = append(all, o.Channels...)
	}
	return all
}

// MayBeAssigned tells whether user may be handed a family with tags: a
// supporter of its organisation or an admin. Anyone may when the
// organisation lists nobody.
func (a *Access) MayBeAssigned(ctx context.Context, user string, tags []string) (bool, error) {
	if slices.Contains(a.cfg.Admins, user) {
		return true, nil
	}
	return a.member(ctx, user, a.OrganisationOf(tags).Supporters)
}

// member tells whether user is in list, directly or through a user group.
// An empty list lets everyone in. Groups are asked only when the user is
// not listed directly, and each group's members are cached for GroupTTL;
// when Slack cannot answer, the last known members are used, and without
// them the answer is an error (refused).
func (a *Access) member(ctx context.Context, user string, list []string) (bool, error) {
	if len(list) == 0 || slices.Contains(list, user) {
		return true, nil
	}
	var lastErr error
	for _, id := range list {
		if !strings.HasPrefix(id, "S") {
			continue
		}
		members, err := a.groupMembers(ctx, id)
		if err != nil {
			lastErr = err
			continue
		}
		if slices.Contains(members, user) {
			return true, nil
		}
	}
	return false, lastErr
}

func (a *Access) groupMembers(ctx context.Context, group string) ([]string, error) {
	now := a.clock.Now()
	a.mu.Lock()
	e, ok := a.cache[group]
	a.mu.Unlock()
	if ok && now.Sub(e.at) < a.cfg.GroupTTL {
		return e.members, nil
	}
	if a.groups == nil {
		return nil, fmt.Errorf("user group %s: no Slack client to ask", group)
	}
	gctx, cancel := context.WithTimeout(ctx, groupTimeout)
	defer cancel()
	members, err := a.groups.UserGroupMembers(gctx, group)
	if err != nil {
		if ok && now.Sub(e.at) < maxStaleGroup {
			return e.members, nil // stale beats refusing everyone while Slack is down
		}
		return nil, fmt.Errorf("user group %s: %w", group, err)
	}
	a.mu.Lock()
	a.cache[group] = groupEntry{members: members, at: now}
	a.mu.Unlock()
	return members, nil
}
