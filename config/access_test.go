package config

import (
	"reflect"
	"strings"
	"testing"
)

const twoOrgsYAML = `
slack:
  channel: C0MAIN
  team_id: T0123
  supporters: [U0AAA]
  admins: [U0COORD]
  routes:
    - {tags: [uwajima], severity: [urgent], channel: C0UWAURG}
    - {severity: [urgent], channel: C0URG}
organisations:
  - id: uwajima-npo
    tags: [uwajima]
    channel: C0UWA
    supporters: [U0SATO, S0UWAJIMA]
  - id: niihama-city
    tags: [niihama]
    channel: C0NII
    supporters: [U0ITO]
`

func TestOrganisations(t *testing.T) {
	c, err := Load(write(t, twoOrgsYAML), true, env(map[string]string{"TSUNAGU_SLACK_ADMINS": "U0COORD,U0BOSS"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Organisations) != 2 || !reflect.DeepEqual([]string(c.Organisations[0].Supporters), []string{"U0SATO", "S0UWAJIMA"}) {
		t.Fatalf("organisations: %+v", c.Organisations)
	}
	if !reflect.DeepEqual([]string(c.Slack.Admins), []string{"U0COORD", "U0BOSS"}) {
		t.Errorf("admins from the environment: %v", c.Slack.Admins)
	}
	// Each organisation's routes, then its channel; the untagged route
	// only for families of no organisation.
	var got []string
	for _, r := range c.AlertRoutes() {
		got = append(got, r.Channel)
	}
	if want := []string{"C0UWAURG", "C0UWA", "C0NII", "C0URG"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AlertRoutes channels = %v, want %v", got, want)
	}
	if got := c.ChannelsOf(&c.Organisations[0]); !reflect.DeepEqual(got, []string{"C0UWA", "C0UWAURG"}) {
		t.Errorf("ChannelsOf(uwajima-npo) = %v", got)
	}
	if got := c.ChannelsOf(nil); !reflect.DeepEqual(got, []string{"C0MAIN", "C0URG"}) {
		t.Errorf("ChannelsOf(none) = %v", got)
	}
	if o := c.OrganisationOf([]string{"x", "niihama", "uwajima"}); o == nil || o.ID != "uwajima-npo" {
		t.Errorf("a family with both tags belongs to %+v, want the first organisation", o)
	}
}

func TestSupportersFromEnvironment(t *testing.T) {
	c, err := Load(write(t, ""), true, env(map[string]string{"TSUNAGU_SLACK_SUPPORTERS": "U0AAA S0BBB", "TSUNAGU_SLACK_TEAM_ID": "T1", "TSUNAGU_SLACK_APP_ID": "A1"}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual([]string(c.Slack.Supporters), []string{"U0AAA", "S0BBB"}) || c.Slack.TeamID != "T1" || c.Slack.AppID != "A1" {
		t.Errorf("got %+v", c.Slack)
	}
}

func TestOrganisationErrors(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"a name for a supporter", "slack: {supporters: ['@sato']}", "TSUNAGU_SLACK_SUPPORTERS"},
		{"bad admin", "slack: {admins: [sato]}", "slack.admins"},
		{"no tags", "organisations: [{id: a, channel: C01}]", "organisations a: tags"},
		{"no channel", "organisations: [{id: a, tags: [x]}]", "organisations a: channel"},
		{"twice", "organisations: [{id: a, tags: [x], channel: C01}, {id: a, tags: [y], channel: C02}]", "used twice"},
		{"bad id", "organisations: [{id: 'A B', tags: [x], channel: C01}]", "organisations[0]"},
		{"a route across organisations", "slack: {routes: [{tags: [x, y], channel: C03}]}\norganisations: [{id: a, tags: [x], channel: C01}, {id: b, tags: [y], channel: C02}]", "slack.routes[0]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(write(t, tt.yaml), true, env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
