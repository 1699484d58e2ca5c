package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
	"github.com/tsunagu/tsunagu/storage"
)

// redisEntry is one key, or one value in it, as a scan of Redis finds it.
type redisEntry struct{ key, value string }

// scanRedis returns every key and every value (string, list item, set and
// sorted set member, stream field) in the harness's Redis.
func scanRedis(t *testing.T, h *harness) []redisEntry {
	t.Helper()
	ctx := context.Background()
	rdb := h.redis.Client()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []redisEntry
	for _, k := range keys {
		out = append(out, redisEntry{k, ""})
		var vals []string
		switch rdb.Type(ctx, k).Val() {
		case "string":
			vals = []string{rdb.Get(ctx, k).Val()}
		case "list":
			vals = rdb.LRange(ctx, k, 0, -1).Val()
		case "set":
			vals = rdb.SMembers(ctx, k).Val()
		case "zset":
			vals = rdb.ZRange(ctx, k, 0, -1).Val()
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				vals = append(vals, f, v)
			}
		case "stream":
			for _, m := range rdb.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					vals = append(vals, f, fmt.Sprint(v))
				}
			}
		}
		for _, v := range vals {
			out = append(out, redisEntry{k, v})
		}
	}
	return out
}

// checkKeyRules fails on a key no rule in storage.KeyRules names, and on a
// key whose rule is a TTL but has none.
func checkKeyRules(t *testing.T, h *harness) {
	t.Helper()
	ctx := context.Background()
	rdb := h.redis.Client()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		r, ok := storage.RuleFor(k)
		if !ok {
			t.Errorf("key %s matches no rule in storage.KeyRules: give it a TTL or a retention rule", k)
			continue
		}
		if r.Lifetime == storage.LifeTTL {
			if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 {
				t.Errorf("key %s (%s) should expire but has no TTL", k, r.Pattern)
			}
		}
	}
}

// activity runs a family through enrolment, a check-in with free text and
// an alert, a claim, a message outside a check-in and an unused invite.
func activity(t *testing.T, h *harness, code string) (user string) {
	t.Helper()
	user = h.enrol(code, tsunagu.RoleChild)
	before := len(h.slack.Messages(fakeslack.Channel))
	h.mustCLI("send", "test-checkin", "--family", code)
	q := h.waitText(user, "今週の気分はどう？")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "よくない")))
	h.waitText(user, "よかったら教えてね")
	h.mustDeliver(h.line.Text(user, "=ともだちとけんかした"))
	h.waitText(user, "元気度を0から10で教えてね")
	h.mustDeliver(h.line.Text(user, "3"))
	h.waitText(user, "ありがとう！またね。")
	msgs := h.slackMessages(before + 1)
	alert := msgs[len(msgs)-1]
	alerts, err := h.main.Store.FamilyAlerts(context.Background(), code)
	if err != nil || len(alerts) == 0 {
		t.Fatalf("alerts of %s: %v %v", code, alerts, err)
	}
	if res := h.click(fakeslack.Click{UserID: "U0CLAIMER", MessageTS: alert.TS, ActionID: "claim", Value: alerts[0].ID}, time.Now()); res.StatusCode != http.StatusOK {
		t.Fatalf("claim: %d", res.StatusCode)
	}
	h.mustDeliver(h.line.Text(user, "ねえ、きいてほしいことがある"))
	h.slackMessages(before + 2)
	h.mustCLI("invite", code, "--role", "guardian")
	return user
}

// TestForgetFamily: after real activity, `families forget` leaves nothing
// in Redis that names the family, its member or the LINE user, except the
// one audit entry; the other family is untouched; --slack deletes the
// family's Slack messages and threads.
func TestForgetFamily(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,uwajima,U0SUPPORT", "F-0002,,")
	user := activity(t, h, "F-0001")
	other := activity(t, h, "F-0002")
	eventually(t, func() bool {
		n, _ := h.main.Store.LineOutbox().Len(context.Background())
		m, _ := h.main.Store.SlackOutbox().Len(context.Background())
		return n == 0 && m == 0
	}, "the outboxes to drain")
	checkKeyRules(t, h)

	memberID := tsunagu.UserHash(user)
	// Pseudonyms: the LINE user id is in the member record and nowhere else.
	for _, e := range scanRedis(t, h) {
		if strings.Contains(e.key+"\x00"+e.value, user) && e.key != "tsunagu:member:{"+memberID+"}" {
			t.Errorf("the LINE user id appears outside the member record: %s %.200s", e.key, e.value)
		}
	}
	out, errs, code := h.cli("families", "forget", "F-0001")
	if code != exitUsage || !strings.Contains(errs, "--yes") {
		t.Fatalf("forget without a terminal or --yes: exit %d\n%s%s", code, out, errs)
	}
	out = h.mustCLI("families", "forget", "F-0001", "--yes", "--slack", "--by", "coordinator-a")
	if !strings.Contains(out, "erased") {
		t.Fatalf("forget printed %q", out)
	}

	var audit int
	for _, e := range scanRedis(t, h) {
		for _, needle := range []string{"F-0001", memberID, user} {
			if !strings.Contains(e.key+"\x00"+e.value, needle) {
				continue
			}
			if e.key == "tsunagu:audit" && strings.Contains(e.value, `"action":"forgotten"`) && needle == "F-0001" {
				audit++
				continue
			}
			t.Errorf("after forget, Redis names %s: key %s value %.200s", needle, e.key, e.value)
		}
	}
	if audit != 1 {
		t.Errorf("%d forget audit entries, want 1", audit)
	}
	for _, m := range h.slack.Messages(fakeslack.Channel) {
		if strings.Contains(m.Text+string(m.Blocks), "F-0001") {
			t.Errorf("a Slack message about F-0001 is left: %.200s", m.Text)
		}
	}
	if n := len(h.slack.Deleted()); n < 2 { // the check-in alert and the message in its thread
		t.Errorf("--slack deleted %d Slack messages, want the alerts and their threads", n)
	}
	if len(h.slack.Messages(fakeslack.Channel)) == 0 {
		t.Errorf("--slack deleted F-0002's messages too")
	}

	var entries []tsunagu.AuditEntry
	mustJSON(t, h.mustCLI("audit", "--family", "F-0001", "--json"), &entries)
	if len(entries) != 1 || entries[0].By != "cli:coordinator-a" || entries[0].Action != "forgotten" || entries[0].Count == 0 {
		t.Errorf("audit after forget: %+v", entries)
	}

	// The other family is whole and still works.
	if _, err := h.main.Store.Member(context.Background(), tsunagu.UserHash(other)); err != nil {
		t.Fatalf("F-0002's member: %v", err)
	}
	h.mustDeliver(h.line.Text(other, "こんにちは"))
	// The forgotten user writing again is a stranger: asked for a code.
	h.mustDeliver(h.line.Text(user, "こんにちは"))
	h.waitText(user, "招待コード")
}

func TestRosterLifecycle(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,uwajima,U0SUPPORT", "F-0002,,", "F-0003,,")
	h.mustCLI("families", "pause", "F-0001")
	user := h.enrol("F-0002", tsunagu.RoleChild)

	// Re-import: the pause and the link survive; a file without the
	// supporter column leaves supporters alone; missing families are listed.
	p := writeFile(t, "roster.csv", "code,tags\nF-0001,uwajima;school-a\nF-0002,\n")
	out := h.mustCLI("families", "import", p)
	if !strings.Contains(out, "F-0003") || !strings.Contains(out, "--prune") {
		t.Errorf("re-import does not list the missing family: %q", out)
	}
	var d familyDetail
	mustJSON(t, h.mustCLI("families", "show", "F-0001", "--json"), &d)
	if !d.Paused || d.Supporter != "U0SUPPORT" || strings.Join(d.Tags, ";") != "uwajima;school-a" {
		t.Errorf("F-0001 after re-import: %+v", d.Family)
	}
	mustJSON(t, h.mustCLI("families", "show", "F-0002", "--json"), &d)
	if len(d.Members) != 1 {
		t.Errorf("F-0002 lost its member on re-import: %+v", d)
	}

	// --prune asks; without a terminal and --yes nothing is erased.
	if _, errs, code := h.cli("families", "import", p, "--prune"); code != exitUsage || !strings.Contains(errs, "--yes") {
		t.Errorf("--prune without confirmation: exit %d %s", code, errs)
	}
	if _, err := h.main.Store.Family(context.Background(), "F-0003"); err != nil {
		t.Fatalf("F-0003 erased without confirmation: %v", err)
	}
	e := &env{stdin: strings.NewReader("prune\n"), stdout: &strings.Builder{}, stderr: &strings.Builder{}, getenv: h.getenv, clock: tsunagu.SystemClock, terminal: true}
	if code := e.run(context.Background(), []string{"families", "import", p, "--prune"}); code != 0 {
		t.Fatalf("--prune confirmed at a terminal: exit %d %s", code, e.stderr)
	}
	if _, err := h.main.Store.Family(context.Background(), "F-0003"); tsunagu.ErrorCode(err) != tsunagu.ENOTFOUND {
		t.Errorf("F-0003 after --prune: %v", err)
	}

	// Shift_JIS from Japanese Excel is converted; garbage is refused.
	sjis, _ := japanese.ShiftJIS.NewEncoder().String("code,tags,supporter\r\nF-0004,宇和島,\r\n")
	p = writeFile(t, "sjis.csv", sjis)
	_, errs, _ := h.cli("families", "import", p)
	if !strings.Contains(errs, "Shift_JIS") {
		t.Errorf("Shift_JIS import did not say it converted: %q", errs)
	}
	mustJSON(t, h.mustCLI("families", "show", "F-0004", "--json"), &d)
	if strings.Join(d.Tags, ";") != "宇和島" {
		t.Errorf("Shift_JIS tags = %q, want 宇和島", d.Tags)
	}
	p = writeFile(t, "bad.csv", "code,tags\nF-0005,\x80\xff\xfe\n")
	if _, errs, code := h.cli("families", "import", p); code != exitFail || !strings.Contains(errs, "CSV UTF-8") {
		t.Errorf("undecodable file: exit %d %q", code, errs)
	}
	p = writeFile(t, "names.csv", "code\nYAMADA-HANAKO\n")
	if _, errs, code := h.cli("families", "import", p); code != exitFail || !strings.Contains(errs, "no digit") {
		t.Errorf("a name as a code: exit %d %q", code, errs)
	}

	// Unlink, revoke, resume.
	memberID := tsunagu.UserHash(user)
	h.mustCLI("families", "unlink", "F-0002", "--member", memberID)
	mustJSON(t, h.mustCLI("families", "show", "F-0002", "--json"), &d)
	if len(d.Members) != 0 {
		t.Errorf("after unlink: %+v", d.Members)
	}
	var inv inviteOut
	mustJSON(t, h.mustCLI("invite", "F-0002", "--role", "child", "--json"), &inv)
	h.mustCLI("invite", "--revoke", strings.ToLower(inv.Code))
	h.mustDeliver(h.line.Text(user, inv.Code))
	h.waitText(user, "コード")
	if _, err := h.main.Store.Member(context.Background(), memberID); err == nil {
		t.Errorf("a revoked invite code linked the user")
	}
	h.mustCLI("families", "resume", "F-0001")
	var log []tsunagu.AuditEntry
	mustJSON(t, h.mustCLI("audit", "--json"), &log)
	var actions []string
	for _, a := range log {
		actions = append(actions, a.Action)
	}
	for _, want := range []string{"paused", "imported", "removed", "unlinked", "revoked", "resumed"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit lacks %s: %v", want, actions)
		}
	}
	checkKeyRules(t, h)
}

func TestExport(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,uwajima,U0SUPPORT", "F-0002,school,")
	user := activity(t, h, "F-0001")

	out := h.mustCLI("export")
	if !strings.HasPrefix(out, "\ufefffamily,member,role,flow,session,step,value,label,time\n") {
		t.Fatalf("CSV export header: %.120q", out)
	}
	if strings.Contains(out, user) {
		t.Errorf("export holds the LINE user id")
	}
	for _, want := range []string{"F-0001," + tsunagu.UserHash(user) + ",child,test-checkin,", ",mood,bad,よくない,", ",why,'=ともだちとけんかした,", ",energy,3,"} {
		if !strings.Contains(out, want) {
			t.Errorf("CSV export lacks %q:\n%s", want, out)
		}
	}
	if out := h.mustCLI("export", "--tags", "school"); strings.Count(out, "\n") != 1 {
		t.Errorf("--tags school should give the header only:\n%s", out)
	}
	if out := h.mustCLI("export", "--flow", "nope"); strings.Count(out, "\n") != 1 {
		t.Errorf("--flow nope should give the header only")
	}
	lines := strings.Split(strings.TrimSpace(h.mustCLI("export", "--format", "jsonl", "--since", time.Now().Format("2006-01-02"))), "\n")
	var row exportRow
	if len(lines) != 3 || json.Unmarshal([]byte(lines[0]), &row) != nil || row.Family != "F-0001" {
		t.Errorf("jsonl export: %q", lines)
	}
	path := t.TempDir() + "/f.json"
	h.mustCLI("export", "--family", "F-0001", "--out", path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d disclosure
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Family.Code != "F-0001" || len(d.Members) != 1 || !d.Members[0].LineUserIDHeld || len(d.Answers) != 3 || len(d.Alerts) < 2 || strings.Contains(string(b), user) {
		t.Errorf("disclosure: %+v", d)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v, want 0600", fi.Mode().Perm())
	}
	var log []tsunagu.AuditEntry
	mustJSON(t, h.mustCLI("audit", "--json"), &log)
	n := 0
	for _, a := range log {
		if a.Action == "exported" {
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d exports audited, want 5: %+v", n, log)
	}

	// The report's CSV is safe for Excel too.
	if out := h.mustCLI("report", "--format", "csv"); !strings.HasPrefix(out, "\ufeffflow,") {
		t.Errorf("report CSV lacks the BOM: %.40q", out)
	}
}

func testKey(b byte) string {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b
	}
	return base64.StdEncoding.EncodeToString(k)
}

// TestEncryptionAtRestEndToEnd: with a key, the free text a child types
// never reaches Redis in clear; rekey moves it to a new key while the
// service runs.
func TestEncryptionAtRestEndToEnd(t *testing.T) {
	h := newHarness(t, "", withEnv("TSUNAGU_ENCRYPTION_KEY", testKey(7)), withEnv("TSUNAGU_HASH_KEY", "a-test-hash-key-of-some-length"))
	h.roster("F-0001,,")
	user := activity(t, h, "F-0001")
	eventually(t, func() bool {
		m, _ := h.main.Store.SlackOutbox().Len(context.Background())
		return m == 0
	}, "the Slack outbox to drain")
	if strings.Contains(h.logs.String(), "stored in clear") {
		t.Errorf("serve warned about clear text with a key set")
	}
	memberID := tsunagu.NewPseudonyms([]byte("a-test-hash-key-of-some-length")).UserHash(user)
	if memberID == tsunagu.UserHash(user) {
		t.Fatal("keyed pseudonym equals the unkeyed one")
	}
	var found bool
	for _, e := range scanRedis(t, h) {
		if strings.Contains(e.value, "ともだちとけんかした") || strings.Contains(e.value, "きいてほしい") {
			t.Errorf("free text in clear in %s", e.key)
		}
		if strings.Contains(e.key, memberID) {
			found = true
		}
		if strings.Contains(e.key, tsunagu.UserHash(user)) {
			t.Errorf("key %s uses the unkeyed hash", e.key)
		}
	}
	if !found {
		t.Errorf("no key names the keyed member id")
	}
	out := h.mustCLI("export")
	if !strings.Contains(out, "'=ともだちとけんかした") {
		t.Errorf("export does not decrypt:\n%s", out)
	}

	h.env["TSUNAGU_ENCRYPTION_KEY"], h.env["TSUNAGU_ENCRYPTION_OLD_KEYS"] = testKey(8), testKey(7)
	if out := h.mustCLI("rekey"); !strings.Contains(out, "re-encrypted") {
		t.Fatalf("rekey: %q", out)
	}
	delete(h.env, "TSUNAGU_ENCRYPTION_OLD_KEYS")
	if out := h.mustCLI("export"); !strings.Contains(out, "'=ともだちとけんかした") {
		t.Errorf("after rekey, the new key alone does not read:\n%s", out)
	}

	// A different hash key on the same Redis would orphan every member.
	h.env["TSUNAGU_HASH_KEY"] = "another-hash-key-entirely"
	c := h.main.Config
	c.HashKey, c.Listen = "another-hash-key-entirely", "127.0.0.1:0"
	m := &Main{Config: c, Log: discardLog()}
	err := m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "TSUNAGU_HASH_KEY") {
		t.Errorf("serve with another hash key: %v", err)
	}
}

// TestClearTextWarning: without a key, serve says free text is in clear.
func TestClearTextWarning(t *testing.T) {
	h := newHarness(t, "")
	if !strings.Contains(h.logs.String(), "stored in clear") {
		t.Errorf("no start-up warning that free text is stored in clear")
	}
}

// TestDailyPurge: the service purges once a day what retention allows no
// longer.
func TestDailyPurge(t *testing.T) {
	clock := newTestClock(time.Now())
	h := newHarness(t, "", withClock(clock))
	h.roster("F-0001,,")
	user := activity(t, h, "F-0001")
	clock.Set(clock.Now().Add(4 * 365 * 24 * time.Hour))
	h.main.purgeToday(context.Background())
	if hist, _ := h.main.Store.History(context.Background(), tsunagu.UserHash(user)); len(hist) != 0 {
		t.Errorf("history after 4 years: %d sessions", len(hist))
	}
	var log []tsunagu.AuditEntry
	mustJSON(t, h.mustCLI("audit", "--json"), &log)
	if log[len(log)-1].Action != "purged" {
		t.Errorf("purge not audited: %+v", log[len(log)-1])
	}
	checkKeyRules(t, h)
}

// TestLargeImport: a large roster goes in batches with progress, and the
// result says how many were new.
func TestLargeImport(t *testing.T) {
	h := newHarness(t, "")
	var b strings.Builder
	b.WriteString("code,tags,supporter\n")
	for i := range 2500 {
		fmt.Fprintf(&b, "F-%05d,,\n", i)
	}
	p := writeFile(t, "big.csv", b.String())
	out, errs, code := h.cli("families", "import", p)
	if code != 0 || !strings.Contains(out, "2500 new") || !strings.Contains(errs, "500 / 2500") || !strings.Contains(errs, "2500 / 2500") {
		t.Fatalf("large import: exit %d\n%s%s", code, out, errs)
	}
	if fams, _ := h.main.Store.Families(context.Background()); len(fams) != 2500 {
		t.Errorf("%d families after import, want 2500", len(fams))
	}
}
