package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	tslack "github.com/tsunagu/tsunagu/bot/slack"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// FuzzInteractions feeds the interactions endpoint arbitrary payloads, as a
// signed form (sign true) or not, over one posted alert and its family.
// Seeds are the real shapes: block_actions for every button, a
// view_submission of each modal, and Slack's other kinds. The handler must
// not panic, must answer a documented status, must change nothing for an
// unsigned request, and must answer a view submission with JSON Slack reads.
func FuzzInteractions(f *testing.F) {
	fake := fakeslack.New(f)
	n := tslack.NewNotifier(fakeslack.Token, fakeslack.Channel, fake.APIURL(), nil)
	a := newAlert()
	a.MemberID = memberID
	var err error
	if a.Channel, a.TS, err = n.PostAlert(context.Background(), a); err != nil {
		f.Fatal(err)
	}
	stored := *a
	sup := &fakeSupporters{alert: &stored, summary: newSummary(), flows: []string{"weekly-child"}}
	h := tslack.NewSupporterInteractions(signingSecret, sup, n, slog.New(slog.DiscardHandler), nil)

	for _, act := range []string{"claim", "unclaim", "resolve", "reassign", "reply", "detail", "nonsense"} {
		for _, v := range []string{a.ID, "", `{"alert":"` + a.ID + `"}`, "al-unknown"} {
			form := fakeslack.BlockActionForm(fakeslack.Click{UserID: "U0CLAIM", MessageTS: a.TS, ActionID: act, BlockID: "alert_actions", Value: v})
			f.Add(form.Get("payload"), true)
		}
	}
	for _, cb := range []string{"resolve", "reassign", "reply", "unknown"} {
		view := fakeslack.View{ID: "V1", CallbackID: cb, PrivateMetadata: a.ID, JSON: json.RawMessage(
			`{"type":"modal","callback_id":"` + cb + `","private_metadata":"` + a.ID + `","title":{"type":"plain_text","text":"t"},` +
				`"blocks":[{"type":"input","block_id":"b","element":{"type":"plain_text_input","action_id":"text"},"label":{"type":"plain_text","text":"l"}}]}`)}
		f.Add(fakeslack.ViewSubmissionForm("U0CLAIM", view, map[string]string{"text": "電話しました"}).Get("payload"), true)
		f.Add(fakeslack.ViewSubmissionForm("U0CLAIM", view, nil).Get("payload"), true)
	}
	f.Add(`{"type":"view_closed","user":{"id":"U0CLAIM"}}`, true)
	f.Add(`{"type":"shortcut","callback_id":"x"}`, true)
	f.Add(`{"type":"block_actions","actions":[null]}`, true)
	f.Add(`{"type":"block_actions","user":null,"actions":[{"action_id":"claim"}]}`, true)
	f.Add(`{"type":"view_submission","view":null}`, true)
	f.Add(`null`, true)
	f.Add(`not json`, true)
	f.Add(fakeslack.BlockActionForm(fakeslack.Click{UserID: "U0CLAIM", ActionID: "claim", Value: a.ID}).Get("payload"), false)

	f.Fuzz(func(t *testing.T, payload string, sign bool) {
		form := url.Values{"payload": {payload}}
		var req *http.Request
		if sign {
			req = fakeslack.SignedRequest(target, signingSecret, form, time.Now())
		} else {
			body := form.Encode()
			req = httptest.NewRequest(http.MethodPost, target, bytes.NewBufferString(body))
			req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
			req.Header.Set("X-Slack-Signature", "v0=00")
		}
		before := len(sup.recorded())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge,
			http.StatusNotFound, http.StatusConflict, http.StatusServiceUnavailable, http.StatusInternalServerError:
		default:
			t.Fatalf("status %d", w.Code)
		}
		if !sign {
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("unsigned request answered %d, want 401", w.Code)
			}
			if after := len(sup.recorded()); after != before {
				t.Fatalf("unsigned request made %d calls", after-before)
			}
		}
		if w.Code == http.StatusOK && w.Body.Len() > 0 && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("a 200 with a body Slack cannot read: %q", w.Body.String())
		}
	})
}
