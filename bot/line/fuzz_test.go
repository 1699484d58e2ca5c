package line_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tsunagu/tsunagu/bot/line"
	"github.com/tsunagu/tsunagu/internal/fakeline"
)

// FuzzWebhook feeds the webhook arbitrary bodies and headers. sigMode picks
// the signature: 0 a valid one for the body, 1 none, 2 a wrong one, 3 the
// fuzzed header value as is. Whatever comes in, the handler must not panic,
// must answer one of its documented statuses, must hand events on only
// from a correctly signed body, only 1:1 events with a user, in timestamp
// order, and never echo the body in an error.
func FuzzWebhook(f *testing.F) {
	s := fakeline.New(f)
	u1, u2 := fakeline.NewUserID(), fakeline.NewUserID()
	seeds := [][]byte{
		fakeline.Body(),
		fakeline.Body(s.Text(u1, "きょうはつかれた")),
		fakeline.Body(s.Postback(u1, "flow=weekly&step=mood&v=3"), s.Follow(u2)),
		fakeline.Body(s.Unfollow(u2), s.Sticker(u1), s.Unknown(u1)),
		fakeline.Body(fakeline.Standby(s.Text(u1, "standby"))),
		fakeline.Body(fakeline.Redelivered(s.Text(u1, "もういちど"))),
		fakeline.Body(fakeline.InGroup(s.Text(u1, "グループ"), "Cgroup")),
		[]byte(`{"destination":"U1","events":[{"type":"message","mode":"active","timestamp":1,"source":{"type":"user"},"webhookEventId":"","message":{"type":"text","id":"1","text":""}}]}`),
		[]byte(`{"destination":"U1","events":[{"type":"postback","source":null}]}`),
		[]byte(`{"events":null}`),
		[]byte(`{"events":[null]}`),
		[]byte(`[]`),
		[]byte(``),
	}
	for _, b := range seeds {
		for mode := range 4 {
			f.Add(b, uint8(mode), "", "application/json; charset=utf-8")
		}
	}
	f.Add(fakeline.Body(s.Text(u1, "x")), uint8(3), "not base64 ☃", "text/plain")

	f.Fuzz(func(t *testing.T, body []byte, sigMode uint8, sig, contentType string) {
		rec := &recorder{}
		wh := line.NewWebhook(secret, rec, slog.New(slog.DiscardHandler))
		wh.MaxBody = 64 << 10 // keep the fuzzer's inputs cheap; the cap itself is tested here too
		req := httptest.NewRequest(http.MethodPost, "/line/webhook", bytes.NewReader(body))
		if validHeader(contentType) {
			req.Header.Set("Content-Type", contentType)
		}
		signed := false
		switch sigMode % 4 {
		case 0:
			req.Header.Set("X-Line-Signature", fakeline.Sign(secret, body))
			signed = true
		case 1:
		case 2:
			req.Header.Set("X-Line-Signature", fakeline.Sign("another-secret", body))
		case 3:
			if validHeader(sig) {
				req.Header.Set("X-Line-Signature", sig)
				signed = sig == fakeline.Sign(secret, body)
			}
		}
		w := httptest.NewRecorder()
		wh.ServeHTTP(w, req)

		switch w.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d, want 200, 400 or 413", w.Code)
		}
		if !signed && (w.Code == http.StatusOK || len(rec.got) > 0) {
			t.Fatalf("unsigned body answered %d with %d events handed on", w.Code, len(rec.got))
		}
		if w.Code != http.StatusOK && len(rec.got) > 0 {
			t.Fatalf("answered %d after handing on %d events", w.Code, len(rec.got))
		}
		for i, in := range rec.got {
			if in.UserID == "" {
				t.Fatalf("event %d handed on without a user: %+v", i, in)
			}
			if i > 0 && in.At.Before(rec.got[i-1].At) {
				t.Fatalf("events handed on out of timestamp order")
			}
		}
		// Error answers never echo the body back (it holds children's words).
		if w.Code != http.StatusOK && len(body) > 8 && bytes.Contains(w.Body.Bytes(), body) {
			t.Fatalf("error answer echoes the request body")
		}
	})
}

// validHeader reports whether v can be sent as a header value at all (the
// fuzzer's strings include ones net/http would refuse to send).
func validHeader(v string) bool {
	return v != "" && utf8.ValidString(v) && !strings.ContainsAny(v, "\r\n\x00")
}
