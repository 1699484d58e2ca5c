package main

import (
	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot/slack"
	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/storage"
)

// slackGuard builds who may act from Slack (see bot/slack/access.go) from
// the configuration, recording refusals and reads in Redis and taking
// each signed request once.
func slackGuard(c *config.Config, store *storage.Store, n *slack.Notifier, clock tsunagu.Clock) *slack.Guard {
	return &slack.Guard{
		Access:  slack.NewAccess(accessConfig(c), n, clock),
		Lookup:  store,
		Record:  slack.RecorderFunc(store.RecordAccess),
		Replays: store,
	}
}

func accessConfig(c *config.Config) slack.AccessConfig {
	ac := slack.AccessConfig{
		TeamID: c.Slack.TeamID, AppID: c.Slack.AppID, Admins: c.Slack.Admins,
		Default: slack.Organisation{Channels: c.ChannelsOf(nil), Supporters: c.Slack.Supporters},
	}
	for i := range c.Organisations {
		o := &c.Organisations[i]
		ac.Organisations = append(ac.Organisations, slack.Organisation{
			ID: o.ID, Tags: o.Tags, Channels: c.ChannelsOf(o), Supporters: o.Supporters,
		})
	}
	return ac
}
