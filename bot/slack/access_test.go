package slack_test

import (
	"context"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	tslack "github.com/tsunagu/tsunagu/bot/slack"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

const (
	chUWA  = "C0UWA"
	chNII  = "C0NII"
	chMain = fakeslack.Channel
)

var (
	uwajima = []string{"uwajima"}
	niihama = []string{"niihama"}
)

// twoOrgs is the example of the README: two organisations in one
// workspace, one of which lists a user group, and a coordinator.
func twoOrgs() tslack.AccessConfig {
	return tslack.AccessConfig{
		TeamID:  fakeslack.TeamID,
		Default: tslack.Organisation{Channels: []string{chMain}},
		Organisations: []tslack.Organisation{
			{ID: "uwajima-npo", Tags: uwajima, Channels: []string{chUWA}, Supporters: []string{"U0SATO", "S0UWAJIMA"}},
			{ID: "niihama-city", Tags: niihama, Channels: []string{chNII}, Supporters: []string{"U0ITO"}},
		},
		Admins: []string{"U0COORD"},
	}
}

func newAccess(t *testing.T, cfg tslack.AccessConfig) (*tslack.Access, *fakeslack.Server) {
	t.Helper()
	n, fake := newNotifier(t)
	fake.SetUserGroup("S0UWAJIMA", "U0KATO", "U0MORI")
	return tslack.NewAccess(cfg, n, tsunagu.ClockFunc(func() time.Time { return clickTime })), fake
}

// TestAccess is every action × own organisation, other organisation,
// other workspace and other channel, through a click on the alert (and
// the modals it opens) or a command, whichever the action is done by.
func TestAccess(t *testing.T) {
	a, _ := newAccess(t, twoOrgs())
	via := func(act tslack.Action) tslack.Via {
		switch act {
		case tslack.DoSummary, tslack.DoPause, tslack.DoResume, tslack.DoSend:
			return tslack.ViaCommand
		}
		return tslack.ViaAlert
	}
	cases := []struct {
		name       string
		team, user string
		channel    string
		tags       []string
		want       string // "" allowed, else the reason
	}{
		{"own organisation", fakeslack.TeamID, "U0SATO", chUWA, uwajima, ""},
		{"own organisation through its user group", fakeslack.TeamID, "U0KATO", chUWA, uwajima, ""},
		{"other organisation's supporter in our channel", fakeslack.TeamID, "U0ITO", chUWA, uwajima, tslack.ReasonNotSupporter},
		{"other organisation's supporter in theirs", fakeslack.TeamID, "U0ITO", chNII, uwajima, tslack.ReasonOtherChannel},
		{"other workspace", "T0OTHER", "U0SATO", chUWA, uwajima, tslack.ReasonOtherWorkspace},
		{"other channel", fakeslack.TeamID, "U0SATO", chNII, uwajima, tslack.ReasonOtherChannel},
		{"a direct message", fakeslack.TeamID, "U0SATO", "D0SATO", uwajima, tslack.ReasonOtherChannel},
		{"the second organisation's own", fakeslack.TeamID, "U0ITO", chNII, niihama, ""},
		{"a family with both tags is the first organisation's", fakeslack.TeamID, "U0ITO", chNII, []string{"niihama", "uwajima"}, tslack.ReasonOtherChannel},
		{"no user", fakeslack.TeamID, "", chUWA, uwajima, tslack.ReasonNotSupporter},
		{"admin", fakeslack.TeamID, "U0COORD", chUWA, uwajima, ""},
	}
	for _, act := range tslack.AllActions {
		for _, c := range cases {
			t.Run(string(act)+"/"+c.name, func(t *testing.T) {
				alertChannel := ""
				if via(act) == tslack.ViaAlert {
					alertChannel = a.OrganisationOf(c.tags).Channels[0]
				}
				r := tslack.Request{Team: c.team, App: "A0TSUNAGU", User: c.user, Channel: c.channel, Via: via(act)}
				d := a.Decide(context.Background(), r, c.tags, alertChannel, act)
				got := d.Reason
				if d.Allowed {
					got = ""
				}
				if d.Allowed != (c.want == "") || got != c.want {
					t.Errorf("Decide = %+v, want reason %q", d, c.want)
				}
			})
		}
	}
}

func TestAccessChannels(t *testing.T) {
	a, _ := newAccess(t, twoOrgs())
	ctx := context.Background()
	req := func(user, channel string, via tslack.Via) tslack.Request {
		return tslack.Request{Team: fakeslack.TeamID, User: user, Channel: channel, Via: via}
	}
	tests := []struct {
		name         string
		r            tslack.Request
		tags         []string
		alertChannel string
		allowed      bool
	}{
		// A routed alert is clicked where it was posted, not in the
		// organisation's main channel.
		{"click where the alert is", req("U0SATO", "C0UWAURGENT", tslack.ViaAlert), uwajima, "C0UWAURGENT", true},
		{"click elsewhere than the alert", req("U0SATO", chUWA, tslack.ViaAlert), uwajima, "C0UWAURGENT", false},
		{"admin clicks where the alert is", req("U0COORD", chNII, tslack.ViaAlert), niihama, chNII, true},
		{"admin clicks elsewhere", req("U0COORD", chNII, tslack.ViaAlert), uwajima, chUWA, false},
		{"admin command in another organisation's channel", req("U0COORD", chNII, tslack.ViaCommand), uwajima, "", true},
		{"admin command in the default channel", req("U0COORD", chMain, tslack.ViaCommand), uwajima, "", true},
		{"admin command in a DM", req("U0COORD", "D0COORD", tslack.ViaCommand), uwajima, "", false},
		{"a family of no organisation: anyone, in the default channel", req("U0ANYONE", chMain, tslack.ViaCommand), []string{"other"}, "", true},
		{"a family of no organisation: not in an organisation's channel", req("U0SATO", chUWA, tslack.ViaCommand), nil, "", false},
		{"a stranger's alert in the default channel", req("U0ANYONE", chMain, tslack.ViaAlert), nil, chMain, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := a.Decide(ctx, tt.r, tt.tags, tt.alertChannel, tslack.DoClaim)
			if d.Allowed != tt.allowed {
				t.Errorf("Decide = %+v, want allowed %v", d, tt.allowed)
			}
		})
	}
}

func TestAccessSingleOrganisation(t *testing.T) {
	ctx := context.Background()
	anyone := tslack.AccessConfig{TeamID: fakeslack.TeamID, Default: tslack.Organisation{Channels: []string{chMain}}}
	listed := anyone
	listed.Default.Supporters = []string{"U0AAA", "S0UWAJIMA"}
	listed.AppID = "A0TSUNAGU"
	tests := []struct {
		name    string
		cfg     tslack.AccessConfig
		user    string
		channel string
		app     string
		via     tslack.Via
		allowed bool
	}{
		{"anyone, from the channel", anyone, "U0ANYONE", chMain, "", tslack.ViaCommand, true},
		{"anyone, but a command elsewhere", anyone, "U0ANYONE", "C0ELSE", "", tslack.ViaCommand, false},
		{"anyone, but a command in a DM", anyone, "U0ANYONE", "D0ANYONE", "", tslack.ViaCommand, false},
		{"anyone, clicking the alert", anyone, "U0ANYONE", chMain, "", tslack.ViaAlert, true},
		{"listed", listed, "U0AAA", chMain, "A0TSUNAGU", tslack.ViaCommand, true},
		{"listed through a group", listed, "U0MORI", chMain, "A0TSUNAGU", tslack.ViaCommand, true},
		{"not listed", listed, "U0ANYONE", chMain, "A0TSUNAGU", tslack.ViaCommand, false},
		{"another app", listed, "U0AAA", chMain, "A0OTHER", tslack.ViaCommand, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newAccess(t, tt.cfg)
			alertChannel := ""
			if tt.via == tslack.ViaAlert {
				alertChannel = chMain
			}
			r := tslack.Request{Team: fakeslack.TeamID, App: tt.app, User: tt.user, Channel: tt.channel, Via: tt.via}
			if d := a.Decide(ctx, r, []string{"uwajima"}, alertChannel, tslack.DoPause); d.Allowed != tt.allowed {
				t.Errorf("Decide = %+v, want allowed %v", d, tt.allowed)
			}
		})
	}
}

// TestAccessUserGroups asks Slack for a group's members once per TTL,
// refuses when Slack cannot say and nothing is known, and uses what it
// knew for a while when Slack is down.
func TestAccessUserGroups(t *testing.T) {
	ctx := context.Background()
	now := clickTime
	n, fake := newNotifier(t)
	fake.SetUserGroup("S0UWAJIMA", "U0KATO")
	cfg := twoOrgs()
	cfg.GroupTTL = time.Minute
	a := tslack.NewAccess(cfg, n, tsunagu.ClockFunc(func() time.Time { return now }))
	r := tslack.Request{Team: fakeslack.TeamID, User: "U0KATO", Channel: chUWA, Via: tslack.ViaCommand}
	decide := func() tslack.Decision { return a.Decide(ctx, r, uwajima, "", tslack.DoSummary) }

	if d := decide(); !d.Allowed {
		t.Fatalf("group member refused: %+v", d)
	}
	decide()
	if got := fake.Calls("usergroups.users.list"); got != 1 {
		t.Errorf("usergroups.users.list called %d times within the TTL, want 1", got)
	}
	// Removed from the group: refused once the cache is older than the TTL.
	fake.SetUserGroup("S0UWAJIMA", "U0MORI")
	now = now.Add(2 * time.Minute)
	if d := decide(); d.Allowed || d.Reason != tslack.ReasonNotSupporter {
		t.Errorf("after leaving the group: %+v", d)
	}
	// Slack down: the members known a minute ago stand in.
	fake.FailNext("usergroups.users.list", 1, 500, 0)
	now = now.Add(2 * time.Minute)
	r.User = "U0MORI"
	if d := decide(); !d.Allowed {
		t.Errorf("Slack down with members known: %+v", d)
	}
	// A group Slack does not know, and nothing cached: refused, with why.
	cfg.Organisations[0].Supporters = []string{"S0GONE"}
	a = tslack.NewAccess(cfg, n, nil)
	if d := a.Decide(ctx, r, uwajima, "", tslack.DoSummary); d.Allowed || d.Reason != tslack.ReasonGroupsUnknown {
		t.Errorf("unknown group: %+v", d)
	}
}

func TestMayBeAssigned(t *testing.T) {
	a, _ := newAccess(t, twoOrgs())
	ctx := context.Background()
	for _, tt := range []struct {
		user string
		tags []string
		want bool
	}{
		{"U0SATO", uwajima, true},
		{"U0KATO", uwajima, true}, // through S0UWAJIMA
		{"U0COORD", uwajima, true},
		{"U0ITO", uwajima, false},
		{"U0ITO", niihama, true},
		{"U0ANYONE", nil, true}, // the default organisation lists nobody
	} {
		if got, err := a.MayBeAssigned(ctx, tt.user, tt.tags); got != tt.want || err != nil {
			t.Errorf("MayBeAssigned(%s, %v) = %v, %v; want %v", tt.user, tt.tags, got, err, tt.want)
		}
	}
}
