package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

// TestSendToNobody: send says plainly, with exit 1, when nobody would get
// the check-in, and why for each member; --json says the same.
func TestSendToNobody(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,", "F-0002,,", "F-0003,,")
	h.enrol("F-0002", tsunagu.RoleGuardian) // test-checkin is for children
	h.enrol("F-0003", tsunagu.RoleChild)
	if err := h.main.Store.SetFamilyPaused(context.Background(), "F-0003", true); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, family string
		want         []string
	}{
		{"no linked member", "F-0001", []string{"nobody will receive", "no linked members", "tsunagu invite F-0001"}},
		{"none in the audience", "F-0002", []string{"nobody will receive", "guardian", "not in audience"}},
		{"all paused", "F-0003", []string{"nobody will receive", "paused: the family is paused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := h.cli("send", "test-checkin", "--family", tt.family)
			for _, w := range tt.want {
				if code != 1 || !strings.Contains(errs, w) {
					t.Fatalf("exit %d, want 1 with %q:\n%s%s", code, w, out, errs)
				}
			}
			out, errs, code = h.cli("send", "test-checkin", "--family", tt.family, "--json")
			var got sendOut
			if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 || got.Status != sendNobody || errs != "" {
				t.Fatalf("--json: exit %d, status %q (%v)\n%s%s", code, got.Status, err, out, errs)
			}
		})
	}
	t.Run("json on errors too", func(t *testing.T) {
		out, _, code := h.cli("send", "nope", "--family", "F-0001", "--json")
		var got sendOut
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 || got.Status != sendError || !strings.Contains(got.Message, "no flow") {
			t.Fatalf("exit %d, %+v (%v): %s", code, got, err, out)
		}
	})
	if n := len(h.line.Pushes()); n != 0 {
		t.Errorf("%d pushes, want none", n)
	}
}

// TestSendInQuietHours: during quiet hours send says when it goes out.
func TestSendInQuietHours(t *testing.T) {
	night := time.Date(2026, 11, 12, 22, 30, 0, 0, tokyo)
	h := newHarness(t, "", withClock(newTestClock(night)), withEnv("TSUNAGU_QUIET_HOURS", "21:00-08:00"))
	h.roster("F-0001,,")
	h.enrol("F-0001", tsunagu.RoleChild)
	out := h.mustCLI("send", "test-checkin", "--family", "F-0001")
	if !strings.Contains(out, "quiet hours") || !strings.Contains(out, "2026-11-13(金) 08:00") {
		t.Fatalf("send in quiet hours: %s", out)
	}
	var got sendOut
	mustJSON(t, h.mustCLI("send", "test-checkin", "--family", "F-0001", "--json"), &got)
	if got.Status != sendQuiet || got.GoesOutAt == nil || !got.GoesOutAt.Equal(time.Date(2026, 11, 13, 8, 0, 0, 0, tokyo)) {
		t.Fatalf("--json: %+v", got)
	}
}

// TestDryRunSaysWhy: schedule --dry-run says why each member is left out.
func TestDryRunSaysWhy(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,", "F-0002,,")
	h.enrol("F-0001", tsunagu.RoleChild)
	h.enrol("F-0002", tsunagu.RoleGuardian)
	out := h.mustCLI("schedule", "--dry-run", "test-checkin")
	for _, w := range []string{"F-0001  child", "yes", "F-0002  guardian", "not in audience: the flow's `audience:`", "1 of 2 member(s) would get it"} {
		if !strings.Contains(out, w) {
			t.Errorf("dry run lacks %q:\n%s", w, out)
		}
	}
	var got struct {
		Gets    int      `json:"gets"`
		Members []dryRow `json:"members"`
	}
	mustJSON(t, h.mustCLI("schedule", "--dry-run", "test-checkin", "--json"), &got)
	if got.Gets != 1 || len(got.Members) != 2 {
		t.Fatalf("--json: %+v", got)
	}
}
