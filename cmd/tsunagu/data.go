package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot/slack"
	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/storage"
)

// familyCommands are the `tsunagu families` subcommands about one family.
var familyCommands = map[string]bool{"show": true, "pause": true, "resume": true, "unlink": true, "remove": true, "forget": true}

// isTerminal reports whether f is a terminal (a person who can confirm).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// actor is who runs a command, for the audit log: "cli:" and --by, or
// the OS user.
func (e *env) actor(by string) string {
	if by != "" {
		return "cli:" + by
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	if u := e.getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli:unknown"
}

// confirm asks the person at the terminal to type want; without a
// terminal it refuses, as scripts must say --yes.
func (e *env) confirm(prompt, want string) bool {
	if !e.terminal {
		fmt.Fprintln(e.stderr, "tsunagu: not confirmed: this erases data for good; run it at a terminal to confirm, or add --yes in a script")
		return false
	}
	fmt.Fprintf(e.stderr, "%s\n確認のため %s と入力してください (type %s to confirm): ", prompt, want, want)
	line, _ := bufio.NewReader(e.stdin).ReadString('\n')
	if strings.TrimSpace(line) != want {
		fmt.Fprintln(e.stderr, "tsunagu: not confirmed; nothing was erased")
		return false
	}
	return true
}

func (e *env) family(ctx context.Context, cmd string, args []string) int {
	fs, cfgPath := e.flags("families " + cmd)
	asJSON := fs.Bool("json", false, "print JSON")
	member := fs.String("member", "", "member `id` (tsunagu families show CODE)")
	yes := fs.Bool("yes", false, "do not ask (for scripts)")
	withSlack := fs.Bool("slack", false, "also delete the family's alert messages and threads in Slack")
	by := fs.String("by", "", "who runs this, for the audit log (default the OS user)")
	pos, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 || (cmd == "unlink" && *member == "") {
		fmt.Fprintf(e.stderr, "usage: tsunagu families %s CODE%s\n", cmd, map[string]string{"unlink": " --member ID", "remove": " [--yes] [--slack]", "forget": " [--yes] [--slack] [--by NAME]", "show": " [--json]"}[cmd])
		return exitUsage
	}
	code := pos[0]
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	s, ok := e.store(ctx, c)
	if !ok {
		return exitFail
	}
	defer s.Close()
	now, who := e.clock.Now(), e.actor(*by)
	switch cmd {
	case "show":
		code := e.showFamily(ctx, s, c, code, *asJSON)
		if code == exitOK { // a coordinator read a family's data
			_ = s.Audit(ctx, tsunagu.AuditEntry{At: now, By: who, Action: tsunagu.AuditReadSummary, Family: pos[0], Detail: "families show"})
		}
		return code
	case "pause", "resume":
		if err := s.SetFamilyPaused(ctx, code, cmd == "pause"); err != nil {
			return e.fail(err)
		}
		_ = s.Audit(ctx, tsunagu.AuditEntry{At: now, By: who, Action: map[string]string{"pause": tsunagu.AuditPaused, "resume": tsunagu.AuditResumed}[cmd], Family: code})
		if cmd == "pause" {
			fmt.Fprintf(e.stdout, "%s: paused: no check-ins until `tsunagu families resume %s` (一時停止しました)\n", code, code)
		} else {
			fmt.Fprintf(e.stdout, "%s: resumed: scheduled check-ins go out again (再開しました)\n", code)
		}
		return exitOK
	case "unlink":
		if err := s.UnlinkMember(ctx, code, *member, now); err != nil {
			return e.fail(err)
		}
		_ = s.Audit(ctx, tsunagu.AuditEntry{At: now, By: who, Action: tsunagu.AuditUnlinked, Family: code, Detail: *member})
		fmt.Fprintf(e.stdout, "%s: member %s unlinked; their history is deleted after retention.unlinked (%s), or now with `tsunagu families forget %s`\n",
			code, *member, durationText(time.Duration(c.Retention.Unlinked)), code)
		return exitOK
	}
	// remove, forget: the same erasure.
	if _, err := s.Family(ctx, code); err != nil && cmd == "remove" {
		return e.fail(err)
	}
	if !*yes && !e.confirm(fmt.Sprintf("%s の記録をすべて消去します。元に戻せません。(This erases everything about %s for good.)", code, code), code) {
		return exitUsage
	}
	action := tsunagu.AuditForgotten
	if cmd == "remove" {
		action = tsunagu.AuditRemoved
	}
	return e.forget(ctx, s, c, code, action, who, *withSlack)
}

// forget erases a family, first in Slack when asked.
func (e *env) forget(ctx context.Context, s *storage.Store, c config.Config, code, action, who string, withSlack bool) int {
	if withSlack {
		refs, err := s.FamilySlackMessages(ctx, code)
		if err != nil {
			return e.fail(err)
		}
		if len(refs) > 0 && c.Slack.BotToken == "" {
			fmt.Fprintln(e.stderr, "tsunagu: --slack needs TSUNAGU_SLACK_BOT_TOKEN; nothing was erased")
			return exitUsage
		}
		n, failed := 0, 0
		eraser := slack.NewEraser(c.Slack.BotToken, c.Slack.APIURL, nil)
		for _, r := range refs {
			d, err := eraser.DeleteThread(ctx, r.Channel, r.TS)
			n += d
			if err != nil {
				failed++
				fmt.Fprintf(e.stderr, "tsunagu: Slack message %s in %s: %v (delete it by hand)\n", r.TS, r.Channel, err)
			}
		}
		fmt.Fprintf(e.stdout, "%s: %d Slack message(s) deleted", code, n)
		if failed > 0 {
			fmt.Fprintf(e.stdout, ", %d thread(s) could not be", failed)
		}
		fmt.Fprintln(e.stdout)
	}
	rep, err := s.Forget(ctx, code, tsunagu.AuditEntry{At: e.clock.Now(), By: who, Action: action})
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "%s: erased: %d member(s), %d record(s); one audit entry remains (消去しました)\n", code, rep.Members, rep.Records)
	return exitOK
}

// prune erases the families a roster import did not mention.
func (e *env) prune(ctx context.Context, s *storage.Store, codes []string, fl importFlags) int {
	if !fl.yes && !e.confirm(fmt.Sprintf("ファイルにない %d 家族の記録をすべて消去します。元に戻せません。(This erases %d families for good.)", len(codes), len(codes)), "prune") {
		return exitUsage
	}
	who := e.actor(fl.by)
	for _, code := range codes {
		rep, err := s.Forget(ctx, code, tsunagu.AuditEntry{At: e.clock.Now(), By: who, Action: tsunagu.AuditRemoved, Detail: "prune"})
		if err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(e.stdout, "%s: removed and erased (%d record(s))\n", code, rep.Records)
	}
	return exitOK
}

type familyDetail struct {
	tsunagu.Family
	Members    []memberRow     `json:"members"`
	OpenAlerts int             `json:"open_alerts"`
	Open       map[string]bool `json:"open_session,omitempty"` // member id → a check-in waits
}

func (e *env) showFamily(ctx context.Context, s *storage.Store, c config.Config, code string, asJSON bool) int {
	f, err := s.Family(ctx, code)
	if err != nil {
		return e.fail(err)
	}
	ms, err := s.FamilyMembers(ctx, code)
	if err != nil {
		return e.fail(err)
	}
	alerts, err := s.FamilyAlerts(ctx, code)
	if err != nil {
		return e.fail(err)
	}
	d := familyDetail{Family: *f, Members: []memberRow{}, OpenAlerts: len(alerts), Open: map[string]bool{}}
	for _, m := range ms {
		d.Members = append(d.Members, memberRow{ID: m.ID, Role: m.Role, LinkedAt: m.LinkedAt, Blocked: m.Blocked, Consent: m.Consent})
		if sess, err := s.Session(ctx, m.ID); err == nil && sess.Open() {
			d.Open[m.ID] = true
		}
	}
	if asJSON {
		e.printJSON(d)
		return exitOK
	}
	state := "active (配信中)"
	if f.Paused {
		state = "paused (一時停止中)"
	}
	fmt.Fprintf(e.stdout, "family %s: %s\ntags: %s\nsupporter: %s\nopen alerts: %d\n", f.Code, state, orDash(strings.Join(f.Tags, ";")), orDash(f.Supporter), len(alerts))
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tROLE\tLINKED\tCONSENT\tSTATE")
	for _, m := range d.Members {
		st := "-"
		switch {
		case m.Blocked:
			st = "blocked"
		case d.Open[m.ID]:
			st = "in a check-in"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.Role, m.LinkedAt.In(c.Location()).Format("2006-01-02"), orDash(m.Consent), st)
	}
	tw.Flush()
	if len(d.Members) == 0 {
		fmt.Fprintf(e.stdout, "(no members linked: tsunagu invite %s --role child)\n", code)
	}
	return exitOK
}

func (e *env) revokeInvite(ctx context.Context, cfgPath, code, by string) int {
	c, ok := e.config(cfgPath)
	if !ok {
		return exitUsage
	}
	codes := tsunagu.FindInviteCodes(code)
	if len(codes) != 1 {
		fmt.Fprintf(e.stderr, "tsunagu: %q is not an invite code such as K7QM-XR4P\n", code)
		return exitUsage
	}
	s, ok := e.store(ctx, c)
	if !ok {
		return exitFail
	}
	defer s.Close()
	inv, err := s.RevokeInvite(ctx, codes[0])
	if err != nil {
		return e.fail(err)
	}
	_ = s.Audit(ctx, tsunagu.AuditEntry{At: e.clock.Now(), By: e.actor(by), Action: tsunagu.AuditRevoked, Family: inv.FamilyCode, Detail: string(inv.Role)})
	fmt.Fprintf(e.stdout, "invite %s for %s / %s revoked: it can no longer be used (無効にしました)\n", codes[0], inv.FamilyCode, inv.Role)
	return exitOK
}

func (e *env) rekey(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("rekey")
	by := fs.String("by", "", "who runs this, for the audit log (default the OS user)")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	if c.EncryptionKey == "" {
		fmt.Fprintln(e.stderr, "tsunagu: rekey needs TSUNAGU_ENCRYPTION_KEY (the new key) and TSUNAGU_ENCRYPTION_OLD_KEYS (the keys data may still be sealed with)")
		return exitUsage
	}
	s, ok := e.store(ctx, c)
	if !ok {
		return exitFail
	}
	defer s.Close()
	n, err := s.Rekey(ctx)
	if err != nil {
		return e.fail(err)
	}
	_ = s.Audit(ctx, tsunagu.AuditEntry{At: e.clock.Now(), By: e.actor(*by), Action: tsunagu.AuditRekeyed, Detail: "key " + s.Keyring().CurrentID(), Count: n})
	fmt.Fprintf(e.stdout, "%d record(s) re-encrypted with key %s; once every replica runs with this key, previous keys can be dropped\n", n, s.Keyring().CurrentID())
	return exitOK
}

func (e *env) audit(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("audit")
	since := fs.String("since", "", "first `date` (YYYY-MM-DD)")
	family := fs.String("family", "", "only this family `code`")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	f := storage.AuditFilter{Family: *family}
	if *since != "" {
		d, err := time.ParseInLocation("2006-01-02", *since, c.Location())
		if err != nil {
			fmt.Fprintf(e.stderr, "tsunagu: --since %q: write a date such as 2026-01-01\n", *since)
			return exitUsage
		}
		f.Since = d
	}
	s, ok := e.store(ctx, c)
	if !ok {
		return exitFail
	}
	defer s.Close()
	entries, err := s.AuditLog(ctx, f)
	if err != nil {
		return e.fail(err)
	}
	if *asJSON {
		e.printJSON(entries)
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tBY\tACTION\tFAMILY\tDETAIL\tCOUNT")
	for _, a := range entries {
		n := "-"
		if a.Count > 0 {
			n = fmt.Sprint(a.Count)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.At.In(c.Location()).Format("2006-01-02 15:04"), a.By, a.Action, orDash(a.Family), orDash(a.Detail), n)
	}
	tw.Flush()
	return exitOK
}

// durationText writes a retention for people: "3y", "90d", "off".
func durationText(d time.Duration) string {
	switch {
	case d == 0:
		return "off"
	case d%(365*24*time.Hour) == 0:
		return fmt.Sprintf("%dy", d/(365*24*time.Hour))
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
