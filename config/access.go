package config

import (
	"fmt"
	"regexp"
	"slices"
)

var (
	slackMemberID  = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)
	slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	orgID          = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// checkAccess validates slack.supporters, slack.admins, organisations and
// how routes fit them. Ids only: a name or an @handle would silently match
// nobody.
func (c *Config) checkAccess() error {
	for _, l := range []struct {
		name string
		ids  IDList
	}{{"TSUNAGU_SLACK_SUPPORTERS", c.Slack.Supporters}, {"slack.admins", c.Slack.Admins}} {
		for _, id := range l.ids {
			if !slackMemberID.MatchString(id) {
				return fmt.Errorf("%s: %q is not a Slack user id (U…) or user group id (S…)", l.name, id)
			}
		}
	}
	seen := map[string]bool{}
	for i, o := range c.Organisations {
		where := fmt.Sprintf("organisations[%d]", i)
		switch {
		case !orgID.MatchString(o.ID):
			return fmt.Errorf("%s: id %q: use lowercase letters, digits and '-', such as uwajima-npo", where, o.ID)
		case seen[o.ID]:
			return fmt.Errorf("%s: id %q is used twice", where, o.ID)
		case len(o.Tags) == 0:
			return fmt.Errorf("organisations %s: tags are required (the families it has)", o.ID)
		case !slackChannelID.MatchString(o.Channel):
			return fmt.Errorf("organisations %s: channel %q is not a Slack channel id (C…)", o.ID, o.Channel)
		}
		seen[o.ID] = true
		for _, id := range o.Supporters {
			if !slackMemberID.MatchString(id) {
				return fmt.Errorf("organisations %s: supporter %q is not a Slack user id (U…) or user group id (S…)", o.ID, id)
			}
		}
	}
	for i, r := range c.Slack.Routes {
		if _, err := c.routeOrganisation(r); err != nil {
			return fmt.Errorf("slack.routes[%d]: %v", i, err)
		}
	}
	return nil
}

// OrganisationOf is the organisation a family with tags belongs to: the
// first that has one of them; nil for none.
func (c *Config) OrganisationOf(tags []string) *Organisation {
	for i, o := range c.Organisations {
		if slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(o.Tags, t) }) {
			return &c.Organisations[i]
		}
	}
	return nil
}

// routeOrganisation is the organisation whose families a route may carry:
// with organisations, a route's tags must all be tags of one of them, so
// that a route can never send one organisation's alerts to a channel
// meant for another. nil for a route of the families of no organisation
// (tags of none, or no tags).
func (c *Config) routeOrganisation(r Route) (*Organisation, error) {
	if len(c.Organisations) == 0 || len(r.Tags) == 0 {
		return nil, nil
	}
	owner := c.OrganisationOf(r.Tags[:1])
	for _, t := range r.Tags[1:] {
		if o := c.OrganisationOf([]string{t}); o != owner {
			return nil, fmt.Errorf("tags %v belong to more than one organisation; give each its own route", r.Tags)
		}
	}
	return owner, nil
}

// AlertRoutes is where alerts go, in order, the first that matches
// winning: each organisation's own routes, then its channel (for any
// family with one of its tags), in the order of organisations; then the
// routes of families of no organisation, which also catch alerts with no
// family. What matches none goes to slack.channel. Without organisations
// this is slack.routes as written.
//
// Because an organisation's channel comes before every later
// organisation's routes, a family is routed by the organisation it
// belongs to (the first with one of its tags), whatever other tags it has.
func (c *Config) AlertRoutes() []Route {
	if len(c.Organisations) == 0 {
		return c.Slack.Routes
	}
	var out, rest []Route
	for i := range c.Organisations {
		o := &c.Organisations[i]
		for _, r := range c.Slack.Routes {
			if owner, _ := c.routeOrganisation(r); owner == o {
				out = append(out, r)
			}
		}
		out = append(out, Route{Tags: o.Tags, Channel: o.Channel})
	}
	for _, r := range c.Slack.Routes {
		if owner, _ := c.routeOrganisation(r); owner == nil {
			rest = append(rest, r)
		}
	}
	return append(out, rest...)
}

// ChannelsOf lists the channels an organisation's alerts can be posted to
// (its channel and those of its routes); o nil lists those of the families
// of no organisation (slack.channel and the routes of none).
func (c *Config) ChannelsOf(o *Organisation) []string {
	var out []string
	if o != nil {
		out = append(out, o.Channel)
	} else {
		out = append(out, c.Slack.Channel)
	}
	for _, r := range c.Slack.Routes {
		if owner, _ := c.routeOrganisation(r); owner == o && !slices.Contains(out, r.Channel) {
			out = append(out, r.Channel)
		}
	}
	return out
}
