package storage

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

func testKey(b byte) string {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b
	}
	return base64.StdEncoding.EncodeToString(k)
}

// link makes a linked member of a family with one ended session holding a
// free-text answer, a choice and a number, ended at `at`.
func link(t *testing.T, e *testEnv, code, id, lineID string, at time.Time) {
	t.Helper()
	ctx := testCtx(t)
	ended := &tsunagu.Session{ID: "s-" + id + at.Format("0102"), MemberID: id, FlowID: "weekly", Status: tsunagu.SessionCompleted,
		Answers: map[string]tsunagu.Answer{
			"why":    {Value: "ともだちとけんかした", At: at},
			"mood":   {Value: "bad", Label: "よくない", At: at},
			"energy": {Value: "3", At: at},
		}, StartedAt: at, UpdatedAt: at}
	err := e.store.Apply(ctx, "", id, func(*State) (*Change, error) {
		return &Change{
			Member: &tsunagu.Member{ID: id, FamilyCode: code, Role: tsunagu.RoleChild, LineUserID: lineID, LinkedAt: at},
			Ended:  ended,
		}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEncryptionAtRest(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	old, err := ParseKeyring(testKey(1), "")
	if err != nil {
		t.Fatal(err)
	}
	e.store.SetKeyring(old)
	if _, err := e.store.ImportFamilies(ctx, []tsunagu.Family{{Code: "F-0001"}}); err != nil {
		t.Fatal(err)
	}
	link(t, e, "F-0001", "m1", "Uline1", t0)
	a := &tsunagu.Alert{ID: "a1", FamilyCode: "F-0001", Severity: tsunagu.SeverityWarning, Reason: "心配なことば「しにたい」", State: tsunagu.AlertOpen,
		Answers: []tsunagu.QA{{Question: "なぜ？", Answer: "ともだちとけんかした"}}, CreatedAt: t0}
	if err := e.store.RaiseAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ResolveAlertNote(ctx, "a1", "U1", "電話で話した", t0); err != nil {
		t.Fatal(err)
	}

	raw := dump(t, e)
	for _, secret := range []string{"ともだちとけんかした", "電話で話した", "しにたい"} {
		if strings.Contains(raw, secret) {
			t.Errorf("Redis holds %q in clear", secret)
		}
	}
	for _, clear := range []string{`"value":"bad"`, `"value":"3"`, `"label":"よくない"`} {
		if !strings.Contains(raw, clear) {
			t.Errorf("Redis lacks %s in clear: choices and numbers stay readable", clear)
		}
	}
	h, err := e.store.History(ctx, "m1")
	if err != nil || len(h) != 1 || h[0].Answers["why"].Value != "ともだちとけんかした" {
		t.Fatalf("history read back: %+v, %v", h, err)
	}

	// Rotation: the new key reads the old values, rekey moves them.
	rotated, err := ParseKeyring(testKey(2), testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	e.store.SetKeyring(rotated)
	if got, err := e.store.Alert(ctx, "a1"); err != nil || got.Answers[0].Answer != "ともだちとけんかした" || got.Note != "電話で話した" || got.Reason != a.Reason {
		t.Fatalf("alert with the previous key: %+v, %v", got, err)
	}
	n, err := e.store.Rekey(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Rekey = %d, %v; want 2 records", n, err)
	}
	if n, _ := e.store.Rekey(ctx); n != 0 {
		t.Errorf("second rekey rewrote %d records, want 0", n)
	}
	if strings.Contains(dump(t, e), sealedPrefix+old.CurrentID()) {
		t.Errorf("a value is still sealed with the old key after rekey")
	}
	only, _ := ParseKeyring(testKey(2), "")
	e.store.SetKeyring(only)
	if h, err := e.store.History(ctx, "m1"); err != nil || h[0].Answers["why"].Value != "ともだちとけんかした" {
		t.Fatalf("history with only the new key: %+v, %v", h, err)
	}
	e.store.SetKeyring(nil)
	if _, err := e.store.History(ctx, "m1"); err == nil || !strings.Contains(err.Error(), "TSUNAGU_ENCRYPTION_KEY") {
		t.Errorf("reading sealed data without a key: %v, want an error naming the setting", err)
	}
	if _, err := ParseKeyring("c2hvcnQ=", ""); err == nil || strings.Contains(err.Error(), "c2hvcnQ") {
		t.Errorf("short key: %v", err)
	}
}

// dump returns every key and value in Redis as text.
func dump(t *testing.T, e *testEnv) string {
	t.Helper()
	ctx := testCtx(t)
	var b strings.Builder
	keys, err := e.raw.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		b.WriteString(k + "\n")
		switch e.raw.Type(ctx, k).Val() {
		case "string":
			b.WriteString(e.raw.Get(ctx, k).Val())
		case "list":
			b.WriteString(strings.Join(e.raw.LRange(ctx, k, 0, -1).Val(), "\n"))
		case "set":
			b.WriteString(strings.Join(e.raw.SMembers(ctx, k).Val(), "\n"))
		case "zset":
			b.WriteString(strings.Join(e.raw.ZRange(ctx, k, 0, -1).Val(), "\n"))
		case "stream":
			for _, m := range e.raw.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					b.WriteString(f + "=" + v.(string) + "\n")
				}
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestPurge(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	now := t0.AddDate(4, 0, 0)
	if _, err := e.store.ImportFamilies(ctx, []tsunagu.Family{{Code: "F-0001"}, {Code: "F-0002"}}); err != nil {
		t.Fatal(err)
	}
	link(t, e, "F-0001", "m1", "Uline1", t0)                    // 4 years ago
	link(t, e, "F-0001", "m1", "Uline1", now.AddDate(0, -1, 0)) // a month ago
	link(t, e, "F-0002", "m2", "Uline2", t0)
	for _, a := range []*tsunagu.Alert{
		{ID: "old-resolved", FamilyCode: "F-0001", CreatedAt: t0},
		{ID: "old-open", FamilyCode: "F-0001", CreatedAt: t0},
		{ID: "new-resolved", FamilyCode: "F-0001", CreatedAt: now.AddDate(0, -2, 0)},
	} {
		a.State = tsunagu.AlertOpen
		if err := e.store.RaiseAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	e.store.ResolveAlert(ctx, "old-resolved", "U1", t0.Add(time.Hour))
	e.store.ResolveAlert(ctx, "new-resolved", "U1", now.AddDate(0, -1, 0))
	if err := e.store.UnlinkMember(ctx, "F-0002", "m2", now.AddDate(0, -6, 0)); err != nil {
		t.Fatal(err)
	}
	e.store.Audit(ctx, tsunagu.AuditEntry{At: t0, By: "old", Action: tsunagu.AuditExported})
	e.store.Audit(ctx, tsunagu.AuditEntry{At: now, By: "new", Action: tsunagu.AuditExported})

	rep, err := e.store.Purge(ctx, now, Retention{Answers: 3 * 365 * 24 * time.Hour, Alerts: 365 * 24 * time.Hour, Unlinked: 90 * 24 * time.Hour, Audit: 3 * 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	want := PurgeReport{Sessions: 1, Alerts: 1, Members: 1, AuditEntries: 1}
	if rep != want {
		t.Errorf("Purge = %+v, want %+v", rep, want)
	}
	if h, _ := e.store.History(ctx, "m1"); len(h) != 1 || !h[0].UpdatedAt.Equal(now.AddDate(0, -1, 0)) {
		t.Errorf("m1 history after purge: %d sessions, want the recent one", len(h))
	}
	if n := e.raw.Exists(ctx, historyKey("m2")).Val(); n != 0 {
		t.Errorf("unlinked member's history kept after retention.unlinked")
	}
	for id, want := range map[string]bool{"old-resolved": false, "old-open": true, "new-resolved": true} {
		_, err := e.store.Alert(ctx, id)
		if got := err == nil; got != want {
			t.Errorf("alert %s kept = %v, want %v", id, got, want)
		}
	}
	for _, k := range []string{alertsKey(), openAlertsKey(), familyAlertsKey("F-0001")} {
		if slices.Contains(e.raw.ZRange(ctx, k, 0, -1).Val(), "old-resolved") {
			t.Errorf("a purged alert is still named in %s", k)
		}
	}
	if rep, _ := e.store.Purge(ctx, now, Retention{Answers: time.Hour * 24 * 1095}); rep.Total() != 0 {
		t.Errorf("second purge deleted %+v", rep)
	}
}

func TestForgetStorage(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	e.store.ImportFamilies(ctx, []tsunagu.Family{{Code: "F-1"}, {Code: "F-10"}})
	link(t, e, "F-1", "m1", "Uline1", t0)
	link(t, e, "F-10", "m10", "Uline10", t0)
	e.store.RaiseAlert(ctx, &tsunagu.Alert{ID: "a1", FamilyCode: "F-1", MemberID: "m1", State: tsunagu.AlertOpen, CreatedAt: t0})
	e.store.RaiseAlert(ctx, &tsunagu.Alert{ID: "a10", FamilyCode: "F-10", MemberID: "m10", State: tsunagu.AlertOpen, CreatedAt: t0})
	e.store.AddTimers(ctx, Timer{Kind: "expire", Due: t0, MemberID: "m1"}, Timer{Kind: "expire", Due: t0, MemberID: "m10"})
	e.store.Audit(ctx, tsunagu.AuditEntry{At: t0, By: "U1", Action: tsunagu.AuditClaimed, Family: "F-1"})
	e.store.CreateInvite(ctx, tsunagu.Invite{Code: "AAAA-BBBB", FamilyCode: "F-1", Role: tsunagu.RoleGuardian, ExpiresAt: t0.Add(time.Hour)}, t0)

	rep, err := e.store.Forget(ctx, "F-1", tsunagu.AuditEntry{At: t0, By: "coordinator"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Members != 1 || rep.Records < 10 {
		t.Errorf("report %+v", rep)
	}
	all := dump(t, e)
	for _, s := range []string{"m1\n", `"m1"`, "Uline1\"", `"a1"`, "{m1}", "AAAA-BBBB"} {
		if strings.Contains(all, s) {
			t.Errorf("after forget, Redis still holds %s", s)
		}
	}
	for _, s := range []string{"F-10", "m10", "Uline10", "a10"} {
		if !strings.Contains(all, s) {
			t.Errorf("forgetting F-1 took %s of F-10", s)
		}
	}
	log, _ := e.store.AuditLog(ctx, AuditFilter{Family: "F-1"})
	if len(log) != 1 || log[0].Action != tsunagu.AuditForgotten || log[0].Count != rep.Records || log[0].By != "coordinator" {
		t.Errorf("audit after forget: %+v", log)
	}
	if _, err := e.store.Forget(ctx, "F-1", tsunagu.AuditEntry{At: t0}); tsunagu.ErrorCode(err) != tsunagu.ENOTFOUND {
		t.Errorf("forget again: %v, want ENOTFOUND", err)
	}
}

func TestImportKeepsWhatTheFileDoesNotSay(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	e.store.ImportFamilies(ctx, []tsunagu.Family{{Code: "F-1", Tags: []string{"a"}, Supporter: "U1"}, {Code: "F-2"}})
	e.store.SetFamilyPaused(ctx, "F-1", true)
	rep, err := e.store.ImportRoster(ctx, []tsunagu.Family{{Code: "F-1", Tags: []string{"b"}}, {Code: "F-3"}}, ImportOptions{Tags: true, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 1 || rep.Updated != 1 || !slices.Equal(rep.Missing, []string{"F-2"}) {
		t.Errorf("report %+v", rep)
	}
	f, _ := e.store.Family(ctx, "F-1")
	if !f.Paused || f.Supporter != "U1" || !slices.Equal(f.Tags, []string{"b"}) {
		t.Errorf("F-1 after re-import: %+v; want paused, supporter kept (no column), tags from the file", f)
	}
}

func TestAuditLogIncludesAccessRecord(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	e.store.ImportFamilies(ctx, []tsunagu.Family{{Code: "F-1"}})
	e.store.Audit(ctx, tsunagu.AuditEntry{At: t0, By: "cli:a", Action: tsunagu.AuditExported})
	e.store.RecordAccess(ctx, tsunagu.AuditEntry{At: time.Now(), By: "U1", Action: tsunagu.AuditReadSummary, Family: "F-1"})
	all, err := e.store.AuditLog(ctx, AuditFilter{})
	if err != nil || len(all) != 2 || all[1].By != "U1" {
		t.Fatalf("AuditLog = %+v, %v", all, err)
	}
	if fam, _ := e.store.AuditLog(ctx, AuditFilter{Family: "F-1"}); len(fam) != 1 {
		t.Errorf("by family: %+v", fam)
	}
	if _, err := e.store.Forget(ctx, "F-1", tsunagu.AuditEntry{At: time.Now(), By: "cli:a"}); err != nil {
		t.Fatal(err)
	}
	if n := e.raw.XLen(ctx, accessAuditKey()).Val(); n != 0 {
		t.Errorf("forget left %d access entries of the family", n)
	}
}
