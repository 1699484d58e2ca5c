package slack_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	tslack "github.com/tsunagu/tsunagu/bot/slack"
)

// lineIDPattern matches LINE user, group and room ids.
var lineIDPattern = regexp.MustCompile(`[UCR][0-9a-f]{32}`)

// assertNoPeople fails when payload holds the member's LINE id, the member
// id derived from it, or anything shaped like a LINE id (guarantee 6).
func assertNoPeople(t *testing.T, what, payload string) {
	t.Helper()
	if un, err := url.QueryUnescape(payload); err == nil {
		payload += "\n" + un
	}
	for _, secret := range []string{lineUserID, memberID} {
		if strings.Contains(payload, secret) {
			t.Errorf("%s contains %q", what, secret)
		}
	}
	if m := lineIDPattern.FindString(payload); m != "" {
		t.Errorf("%s contains a LINE id %s", what, m)
	}
}

// Guarantee 6 across the whole Slack edge: an alert about a member who can
// be replied to goes through every button, modal, command and notifier
// call, and nothing that reaches Slack — requests to its API, answers to
// its requests — carries the member's LINE id or member id.
func TestNothingNamesTheMember(t *testing.T) {
	d := newDesk(t, nil)
	d.sup.summary.OpenAlerts[0].MemberID = memberID
	var answers []string
	keep := func(w *httptest.ResponseRecorder) { answers = append(answers, w.Body.String()) }

	keep(d.press("detail"))
	keep(d.press("claim"))
	keep(d.press("reply"))
	keep(d.submit(map[string]string{"reply_text": "来週また話そうね。"}))
	keep(d.press("reassign"))
	keep(d.submit(map[string]string{"assignee": "U0OTHER"}))
	keep(d.press("resolve"))
	keep(d.submit(map[string]string{"note": "電話した"}))

	ctx := context.Background()
	a := *d.sup.alert
	if err := d.n.Escalate(ctx, &a, 1, "S0ONCALL"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.n.PostInThread(ctx, a.Channel, a.TS, "💬 子どもから: "+tslack.Escape("ありがとう")); err != nil {
		t.Fatal(err)
	}
	a.ThreadTS, a.Channel, a.TS = a.TS, "", ""
	if _, _, err := d.n.PostAlert(ctx, &a); err != nil {
		t.Fatal(err)
	}

	cmds := tslack.NewCommands(signingSecret, d.sup, nil, nil)
	for _, text := range []string{"F-0123", "pause F-0123", "send weekly-child F-0123"} {
		w := httptest.NewRecorder()
		cmds.ServeHTTP(w, command(text))
		keep(w)
	}

	reqs := d.fake.Requests()
	if len(reqs) < 12 {
		t.Fatalf("only %d requests reached Slack", len(reqs))
	}
	for _, r := range reqs {
		assertNoPeople(t, r.Method+" request", r.Body)
	}
	for i, ans := range answers {
		assertNoPeople(t, fmt.Sprintf("answer %d", i), ans)
	}
	if calls := d.sup.recorded(); len(calls) < 8 {
		t.Errorf("calls = %+v", calls)
	}
}
