package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// twoOrganisations is the README's example: two organisations in one
// workspace, each with its channel and supporters.
const twoOrganisations = `
slack:
  admins: [U0COORD]
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

// TestOrganisations: an alert of a uwajima family goes to uwajima-npo's
// channel; a supporter of niihama-city clicking it, or asking for the
// family, is refused politely, nothing changes, and the refusal is
// recorded; uwajima-npo's supporters act, and their reads are recorded.
// A reply submitted twice (a replayed request) sends the child one
// message.
func TestOrganisations(t *testing.T) {
	h := newHarness(t, "", withYAML(twoOrganisations))
	h.slack.AddChannel("C0UWA")
	h.slack.AddChannel("C0NII")
	h.slack.SetUserGroup("S0UWAJIMA", "U0KATO")
	if !strings.Contains(h.logs.String(), "2 organisations (uwajima-npo, niihama-city)") {
		t.Errorf("start-up should say which access mode is in force:\n%s", h.logs)
	}
	h.roster("F-0001,uwajima,", "F-0002,niihama,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustDeliver(h.line.Text(user, "先生とけんかしちゃった"))
	var alert fakeslack.Message
	eventually(t, func() bool {
		ms := h.slack.Messages("C0UWA")
		if len(ms) > 0 {
			alert = ms[0]
		}
		return len(ms) > 0
	}, "the alert in uwajima-npo's channel")
	if n := len(h.slack.Messages("C0NII")) + len(h.slack.Messages(fakeslack.Channel)); n != 0 {
		t.Errorf("%d messages outside the family's organisation", n)
	}
	ctx := context.Background()
	state := func() tsunagu.AlertState {
		alerts, err := h.main.Store.Alerts(ctx, 10)
		if err != nil || len(alerts) != 1 {
			t.Fatalf("alerts: %+v %v", alerts, err)
		}
		return alerts[0].State
	}
	click := func(user, channel, action string) {
		t.Helper()
		c := fakeslack.Click{UserID: user, ChannelID: channel, MessageTS: alert.TS, ActionID: action, Value: buttonValue(t, alert.Blocks, action)}
		if res := h.click(c, time.Now()); res.StatusCode != http.StatusOK {
			t.Fatalf("click: %d", res.StatusCode)
		}
	}
	command := func(user, channel, text string) string {
		t.Helper()
		req := fakeslack.SignedRequest(h.url+"/slack/commands", slackSecret, fakeslack.CommandForm("/tsunagu", text, user, channel), time.Now())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return unicodeText(body)
	}

	// The other organisation: refused, told without detail, recorded.
	click("U0ITO", "C0UWA", "claim")
	click("U0ITO", "C0UWA", "detail")
	if out := command("U0ITO", "C0NII", "F-0001"); !strings.Contains(out, "できません") || strings.Contains(out, "F-0001") {
		t.Errorf("/tsunagu F-0001 from the other organisation: %s", out)
	}
	if out := command("U0ITO", "C0NII", "pause F-0001"); !strings.Contains(out, "できません") {
		t.Errorf("pause from the other organisation: %s", out)
	}
	if s := state(); s != tsunagu.AlertOpen {
		t.Errorf("a refused click changed the alert: %s", s)
	}
	if f, _ := h.main.Store.Family(ctx, "F-0001"); f.Paused {
		t.Errorf("a refused pause paused the family")
	}
	eph := h.slack.Ephemerals("C0UWA")
	if len(eph) != 2 {
		t.Fatalf("ephemerals %+v", eph)
	}
	for _, m := range eph {
		if m.User != "U0ITO" || strings.Contains(m.Text+fakeslack.BlocksText(m.Blocks), "F-0001") {
			t.Errorf("refusal shows %+v", m)
		}
	}
	record, err := h.main.Store.AccessRecord(ctx, 10)
	if err != nil || len(record) != 4 {
		t.Fatalf("access record: %+v %v", record, err)
	}
	for _, e := range record {
		if e.Action != "refused" || e.By != "U0ITO" || e.Family != "F-0001" {
			t.Errorf("record: %+v", e)
		}
	}

	// The family's own organisation, a member through its user group.
	click("U0KATO", "C0UWA", "detail")
	click("U0KATO", "C0UWA", "claim")
	eventually(t, func() bool { return state() == tsunagu.AlertClaimed }, "the claim")
	record, _ = h.main.Store.AccessRecord(ctx, 1)
	if len(record) != 1 || record[0].Action != "read-detail" || record[0].By != "U0KATO" {
		t.Errorf("read not recorded: %+v", record)
	}

	// A reply submitted twice is sent once.
	n := len(h.slack.Views())
	click("U0SATO", "C0UWA", "reply")
	eventually(t, func() bool { return len(h.slack.Views()) > n }, "the reply modal")
	form := fakeslack.ViewSubmissionForm("U0SATO", h.slack.Views()[n], map[string]string{"reply_text": "話してくれてありがとう"})
	req := fakeslack.SignedRequest(h.url+"/slack/interactions", slackSecret, form, time.Now())
	body := form.Encode()
	for range 2 {
		again, _ := http.NewRequest(http.MethodPost, req.URL.String(), strings.NewReader(body))
		again.Header = req.Header.Clone()
		res, err := http.DefaultClient.Do(again)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("submit: %v %v", res, err)
		}
		res.Body.Close()
	}
	h.next(user, "話してくれてありがとう")
	h.settle() // a second push would be delivered by now
	if p := h.line.Pushes(); len(p) != 1 {
		t.Errorf("a replayed submission pushed %d messages", len(p))
	}
}

// TestSingleOrganisation: without organisations, anyone of the workspace
// acts from the alert channel only (slash commands too), or only the
// listed supporters when TSUNAGU_SLACK_SUPPORTERS is set; requests from
// another workspace or naming another app are refused.
func TestSingleOrganisation(t *testing.T) {
	command := func(h *harness, user, channel, team, text string) string {
		t.Helper()
		form := fakeslack.CommandForm("/tsunagu", text, user, channel)
		form.Set("team_id", team)
		res, err := http.DefaultClient.Do(fakeslack.SignedRequest(h.url+"/slack/commands", slackSecret, form, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return unicodeText(body)
	}
	const refused, shown = "できません", "F-0001 の様子"
	tests := []struct {
		name                string
		env                 [][2]string
		user, channel, team string
		want                string
	}{
		{"anyone, from the channel", nil, "U0ANYONE", fakeslack.Channel, fakeslack.TeamID, shown},
		{"anyone, but not from another channel", nil, "U0ANYONE", "C0ELSE", fakeslack.TeamID, refused},
		{"anyone, but not from a DM", nil, "U0ANYONE", "D0ANYONE", fakeslack.TeamID, refused},
		{"another workspace", nil, "U0ANYONE", fakeslack.Channel, "T0OTHER", refused},
		{"listed", [][2]string{{"TSUNAGU_SLACK_SUPPORTERS", "U0AAA S0TEAM"}}, "U0AAA", fakeslack.Channel, fakeslack.TeamID, shown},
		{"listed through a group", [][2]string{{"TSUNAGU_SLACK_SUPPORTERS", "U0AAA S0TEAM"}}, "U0BBB", fakeslack.Channel, fakeslack.TeamID, shown},
		{"not listed", [][2]string{{"TSUNAGU_SLACK_SUPPORTERS", "U0AAA S0TEAM"}}, "U0CCC", fakeslack.Channel, fakeslack.TeamID, refused},
		{"another app", [][2]string{{"TSUNAGU_SLACK_APP_ID", "A0OTHER"}}, "U0ANYONE", fakeslack.Channel, fakeslack.TeamID, refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []harnessOption
			for _, kv := range tt.env {
				opts = append(opts, withEnv(kv[0], kv[1]))
			}
			h := newHarness(t, "", opts...)
			h.slack.SetUserGroup("S0TEAM", "U0BBB")
			if !strings.Contains(h.logs.String(), "single organisation") {
				t.Errorf("start-up should say single organisation:\n%s", h.logs)
			}
			h.roster("F-0001,,")
			if out := command(h, tt.user, tt.channel, tt.team, "F-0001"); !strings.Contains(out, tt.want) {
				t.Errorf("/tsunagu F-0001 answered %s, want %q", out, tt.want)
			}
			record, _ := h.main.Store.AccessRecord(context.Background(), 5)
			if want := map[string]string{refused: "refused", shown: "read-summary"}[tt.want]; len(record) != 1 || record[0].Action != want {
				t.Errorf("record %+v, want one %s", record, want)
			}
		})
	}
}

// TestRefusedOrganisationChannel: when an organisation's channel refuses
// an alert (the bot was never invited), the family's words do not go to
// the shared channel: it gets a notice with no family detail, once, and
// the alert waits until the channel takes it.
func TestRefusedOrganisationChannel(t *testing.T) {
	h := newHarness(t, "", withYAML(twoOrganisations))
	h.slack.AddChannel("C0NII") // but not C0UWA
	h.roster("F-0001,uwajima,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustDeliver(h.line.Text(user, "先生とけんかしちゃった"))
	h.mustDeliver(h.line.Text(user, "もうひとつ話したいことがある"))

	var notices []fakeslack.Message
	eventually(t, func() bool {
		notices = h.slack.Messages(fakeslack.Channel)
		return len(notices) > 0
	}, "a notice in the shared channel")
	for _, m := range h.slack.Messages(fakeslack.Channel) {
		all := m.Text + fakeslack.BlocksText(m.Blocks)
		if strings.Contains(all, "F-0001") || strings.Contains(all, "けんか") {
			t.Fatalf("the family's alert reached the shared channel:\n%s", all)
		}
	}
	if !strings.Contains(notices[0].Text, "C0UWA") {
		t.Errorf("notice = %q, want it to name the channel to fix", notices[0].Text)
	}

	h.slack.AddChannel("C0UWA") // the coordinator invites the bot
	eventually(t, func() bool { return len(h.slack.Messages("C0UWA")) >= 1 }, "the alert in its own channel once it can be posted")
	if n := len(h.slack.Messages(fakeslack.Channel)); n != 1 {
		t.Errorf("%d notices in the shared channel, want one", n)
	}
}

// TestDigestPerOrganisation: with organisations, the weekly digest gives
// each organisation its own families in its own channel, and the shared
// channel totals with no family code.
func TestDigestPerOrganisation(t *testing.T) {
	tokyo := mustLoad("Asia/Tokyo")
	clock := newTestClock(time.Date(2026, 11, 25, 10, 0, 0, 0, tokyo)) // a Wednesday
	h := newHarness(t, "", withYAML(twoOrganisations), withClock(clock))
	h.slack.AddChannel("C0UWA")
	h.slack.AddChannel("C0NII")
	h.roster("F-0001,uwajima,", "F-0002,niihama,")
	for _, code := range []string{"F-0001", "F-0002"} {
		user := h.enrol(code, tsunagu.RoleChild)
		h.mustDeliver(h.line.Unfollow(user)) // an alert for each family: a block is a signal
	}
	h.quiesce(clock.Now())
	clock.Set(time.Date(2026, 11, 30, 9, 0, 1, 0, tokyo)) // Monday 09:00: the digest
	digest := func(channel string) string {
		var text string
		eventually(t, func() bool {
			for _, m := range h.slack.Messages(channel) {
				if all := m.Text + fakeslack.BlocksText(m.Blocks); strings.Contains(all, "支援状況レポート") {
					text = all
					return true
				}
			}
			return false
		}, "the digest in %s", channel)
		return text
	}
	uwa, nii, shared := digest("C0UWA"), digest("C0NII"), digest(fakeslack.Channel)
	if strings.Contains(uwa, "F-0002") || strings.Contains(nii, "F-0001") {
		t.Errorf("a digest shows another organisation's family:\nC0UWA: %s\nC0NII: %s", uwa, nii)
	}
	if strings.Contains(shared, "F-000") {
		t.Errorf("the shared channel's digest names a family:\n%s", shared)
	}
	if !strings.Contains(shared, "未解決のアラート* 2件") {
		t.Errorf("the shared channel's digest should still count everything:\n%s", shared)
	}
}
