package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot"
	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/scheduler"
	"github.com/tsunagu/tsunagu/storage"
)

// store opens Redis for a CLI command and checks that it answers, so a
// coordinator hears at once when it does not.
func (e *env) store(ctx context.Context, c config.Config) (*storage.Store, bool) {
	s, err := openStore(c.RedisURL)
	if err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: TSUNAGU_REDIS_URL: %v\n", err)
		return nil, false
	}
	if err := s.Ping(ctx); err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: cannot reach Redis (TSUNAGU_REDIS_URL): %v\n", err)
		s.Close()
		return nil, false
	}
	keys, err := storage.ParseKeyring(c.EncryptionKey, c.EncryptionOldKeys)
	if err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: TSUNAGU_ENCRYPTION_KEY: %v\n", err)
		s.Close()
		return nil, false
	}
	s.SetKeyring(keys)
	return s, true
}

func (e *env) families(ctx context.Context, args []string) int {
	if len(args) > 0 && familyCommands[args[0]] {
		return e.family(ctx, args[0], args[1:])
	}
	if len(args) == 0 || (args[0] != "import" && args[0] != "list") {
		fmt.Fprintln(e.stderr, "usage: tsunagu families import FILE.csv [--prune [--yes]] | list [--json] | show|pause|resume|remove|forget CODE | unlink CODE --member ID")
		return exitUsage
	}
	fs, cfgPath := e.flags("families " + args[0])
	asJSON := fs.Bool("json", false, "print JSON")
	prune := fs.Bool("prune", false, "erase the families missing from the file (asks first)")
	yes := fs.Bool("yes", false, "do not ask (for scripts)")
	by := fs.String("by", "", "who runs this, for the audit log (default the OS user)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	if args[0] == "import" {
		if len(pos) != 1 {
			fmt.Fprintln(e.stderr, "usage: tsunagu families import FILE.csv")
			return exitUsage
		}
		return e.importFamilies(ctx, c, pos[0], importFlags{prune: *prune, yes: *yes, by: *by})
	}
	return e.listFamilies(ctx, c, *asJSON)
}

type importFlags struct {
	prune, yes bool
	by         string
}

func (e *env) importFamilies(ctx context.Context, c config.Config, path string, fl importFlags) int {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: %v\n", err)
		return exitFail
	}
	text, enc, err := tsunagu.DecodeRoster(path, b)
	if err == nil && enc != "" {
		fmt.Fprintf(e.stderr, "%s: converted from %s to UTF-8 (%s から変換しました)\n", path, enc, enc)
	}
	var ro *tsunagu.Roster
	if err == nil {
		ro, err = tsunagu.ReadRoster(path, strings.NewReader(text))
	}
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		fmt.Fprintln(e.stderr, "nothing was imported; fix the lines above and run the import again")
		return exitFail
	}
	s, ok := e.store(ctx, c)
	if !ok {
		return exitFail
	}
	defer s.Close()
	fams := ro.Families
	opts := storage.ImportOptions{Tags: ro.HasTags, Supporter: ro.HasSupporter}
	if len(fams) > 2000 {
		opts.Progress = func(done, total int) { fmt.Fprintf(e.stderr, "  %d / %d families written\n", done, total) }
	}
	rep, err := s.ImportRoster(ctx, fams, opts)
	if written := rep.Created + rep.Updated + rep.Unchanged; err != nil && written < len(fams) {
		fmt.Fprintf(e.stderr, "tsunagu: the import stopped after %d of %d families (those are saved; running it again is safe): %v\n", written, len(fams), err)
		return exitFail
	} else if err != nil {
		// Everything is written: only the list of missing families failed.
		fmt.Fprintf(e.stdout, "imported %d families from %s: %d new, %d updated, %d unchanged\n", len(fams), path, rep.Created, rep.Updated, rep.Unchanged)
		fmt.Fprintf(e.stderr, "tsunagu: could not list the families missing from the file (%v); run the import again to see them\n", err)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "imported %d families from %s: %d new, %d updated, %d unchanged\n", len(fams), path, rep.Created, rep.Updated, rep.Unchanged)
	_ = s.Audit(ctx, tsunagu.AuditEntry{At: e.clock.Now(), By: e.actor(fl.by), Action: tsunagu.AuditImported, Detail: filepath.Base(path), Count: len(fams)})
	if len(rep.Missing) == 0 {
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%d families on the roster are not in this file (ファイルにない家族): %s\n", len(rep.Missing), strings.Join(rep.Missing, " "))
	if !fl.prune {
		fmt.Fprintln(e.stdout, "they are kept; add --prune to erase them and everything about them")
		return exitOK
	}
	return e.prune(ctx, s, rep.Missing, fl)
}

type familyRow struct {
	tsunagu.Family
	Members []memberRow `json:"members"`
}

type memberRow struct {
	ID       string       `json:"id"`
	Role     tsunagu.Role `json:"role"`
	LinkedAt time.Time    `json:"linked_at"`
	Blocked  bool         `json:"blocked,omitempty"`
	Consent  string       `json:"consent,omitempty"`
}

func (e *env) listFamilies(ctx context.Context, c config.Config, asJSON bool) int {
	s, ok := e.store(ctx, c)
	if !ok {
		return exitFail
	}
	defer s.Close()
	fams, err := s.Families(ctx)
	if err != nil {
		return e.fail(err)
	}
	rows := make([]familyRow, 0, len(fams))
	for _, f := range fams {
		ms, err := s.FamilyMembers(ctx, f.Code)
		if err != nil {
			return e.fail(err)
		}
		r := familyRow{Family: f, Members: []memberRow{}}
		for _, m := range ms {
			r.Members = append(r.Members, memberRow{ID: m.ID, Role: m.Role, LinkedAt: m.LinkedAt, Blocked: m.Blocked})
		}
		rows = append(rows, r)
	}
	if asJSON {
		e.printJSON(rows)
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tTAGS\tSUPPORTER\tMEMBERS")
	for _, r := range rows {
		var ms []string
		for _, m := range r.Members {
			s := string(m.Role)
			if m.Blocked {
				s += " (blocked)"
			}
			ms = append(ms, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Code, orDash(strings.Join(r.Tags, ";")), orDash(r.Supporter), orDash(strings.Join(ms, ", ")))
	}
	tw.Flush()
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, "(no families yet: tsunagu families import roster.csv)")
	}
	return exitOK
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type inviteOut struct {
	Code      string    `json:"code"`
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expires_at"`
}

// InviteLink is the LINE link that opens a chat with the bot with the code
// already typed in.
func InviteLink(basicID, code string) string {
	return "https://line.me/R/oaMessage/" + url.PathEscape(basicID) + "/?" + url.QueryEscape(code)
}

func (e *env) invite(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("invite")
	role := fs.String("role", "", "child or guardian")
	asJSON := fs.Bool("json", false, "print only JSON")
	revoke := fs.String("revoke", "", "revoke this unused invite `code`")
	by := fs.String("by", "", "who runs this, for the audit log (default the OS user)")
	pos, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if *revoke != "" {
		return e.revokeInvite(ctx, *cfgPath, *revoke, *by)
	}
	if len(pos) != 1 || !tsunagu.Role(*role).Valid() {
		fmt.Fprintln(e.stderr, "usage: tsunagu invite FAMILY --role child|guardian [--json]")
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	if c.LINE.BasicID == "" {
		fmt.Fprintln(e.stderr, "tsunagu: TSUNAGU_LINE_BASIC_ID is required for invite links: the bot's basic ID such as @123abcde (LINE Official Account Manager → Settings)")
		return exitUsage
	}
	s, ok := e.store(ctx, c)
	if !ok {
		return exitFail
	}
	defer s.Close()
	if _, err := s.Family(ctx, pos[0]); err != nil {
		return e.fail(err)
	}
	now := e.clock.Now()
	inv := tsunagu.Invite{FamilyCode: pos[0], Role: tsunagu.Role(*role), ExpiresAt: now.Add(time.Duration(c.InviteTTL)).Truncate(time.Second)}
	for range 5 { // a clash of 40-bit codes is rare; a few draws make it vanishing
		inv.Code = tsunagu.NewInviteCode()
		if err = s.CreateInvite(ctx, inv, now); tsunagu.ErrorCode(err) != tsunagu.ECONFLICT {
			break
		}
	}
	if err != nil {
		return e.fail(err)
	}
	out := inviteOut{Code: inv.Code, Link: InviteLink(c.LINE.BasicID, inv.Code), ExpiresAt: inv.ExpiresAt.In(c.Location())}
	if *asJSON {
		e.printJSON(out)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "招待コード (invite code): %s\n", out.Code)
	fmt.Fprintf(e.stdout, "家族 (family): %s / %s\n", inv.FamilyCode, inv.Role)
	fmt.Fprintf(e.stdout, "有効期限 (expires): %s\n", out.ExpiresAt.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(e.stdout, "LINEリンク (link): %s\n", out.Link)
	fmt.Fprintln(e.stdout, "このコードは1回だけ使えます。(one use only)")
	return exitOK
}

func (e *env) send(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("send")
	family := fs.String("family", "", "family `code`")
	asJSON := fs.Bool("json", false, "print JSON")
	wait := fs.Duration("wait", 10*time.Second, "how long to wait for `tsunagu serve` to start it")
	replace := fs.Bool("replace", false, "end a check-in of this flow still open as missed, and send the new one")
	pos, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 || *family == "" {
		fmt.Fprintln(e.stderr, "usage: tsunagu send FLOW --family CODE [--replace] [--json]")
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	b, ok := e.openBot(ctx, &c)
	if !ok {
		return exitFail
	}
	defer b.Store.Close()
	s := b.Store
	if err := bot.KeepVersions(ctx, s, b.Flows.All()); err != nil {
		return e.fail(err)
	}
	if b.Flows.Get(pos[0]) == nil {
		return e.fail(tsunagu.Errorf(tsunagu.ENOTFOUND, "no flow with id %q in %s", pos[0], c.FlowsDir))
	}
	if _, err := s.Family(ctx, *family); err != nil {
		return e.fail(err)
	}
	// The dispatch is durable work for `tsunagu serve`, on the same path
	// as a scheduled check-in: nobody gets it twice, whatever crashes.
	now := e.clock.Now()
	key := bot.NewID()
	t := storage.Timer{Kind: scheduler.JobDispatch, Due: now, FlowID: pos[0], Family: *family, Key: key, Replace: *replace}
	if err := s.AddTimers(ctx, t); err != nil {
		return e.fail(err)
	}
	if sched := newScheduler(&c, s, b, nil, e.clock, discardLog()); sched.Quiet.In(now) {
		fmt.Fprintf(e.stdout, "quiet hours (%s): the check-in goes out when they end\n", c.QuietHours)
		return exitOK
	}
	res, err := e.waitDispatch(ctx, s, key, *wait)
	if err != nil {
		return e.fail(err)
	}
	if res == nil {
		fmt.Fprintf(e.stdout, "queued: `tsunagu serve` sends it when it runs (nothing answered within %s)\n", *wait)
		return exitOK
	}
	if res.Error != "" {
		return e.fail(errors.New(res.Error))
	}
	if len(res.Members) == 0 {
		return e.fail(tsunagu.Errorf(tsunagu.ENOTFOUND, "family %s has no linked members yet: hand out an invite first", *family))
	}
	if *asJSON {
		e.printJSON(res)
		return exitOK
	}
	for _, r := range res.Members {
		fmt.Fprintf(e.stdout, "%s %-8s %s\n", r.Family, r.Role, r.Outcome)
	}
	started := res.Counts[bot.SentStarted] + res.Counts[bot.SentRestarted]
	fmt.Fprintf(e.stdout, "%d check-in(s) started; `tsunagu serve` delivers the first question by push\n", started)
	return exitOK
}

// waitDispatch waits for serve to run a queued dispatch and returns its
// result, or nil when it has not run within d.
func (e *env) waitDispatch(ctx context.Context, s *storage.Store, key string, d time.Duration) (*bot.DispatchResult, error) {
	deadline := time.Now().Add(d)
	for {
		b, err := s.DispatchResult(ctx, key)
		if err != nil {
			return nil, err
		}
		if b != nil {
			var res bot.DispatchResult
			if err := json.Unmarshal(b, &res); err != nil {
				return nil, err
			}
			return &res, nil
		}
		if time.Now().After(deadline) {
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// openBot loads the flows and opens Redis for a coordinator's command,
// saying what is wrong when either fails. The caller closes b.Store.
func (e *env) openBot(ctx context.Context, c *config.Config) (b *bot.Bot, ok bool) {
	loaded, diags := flows.LoadPaths(flows.Options{Lang: c.Lang}, c.FlowsDir)
	if diags.HasErrors() {
		fmt.Fprintf(e.stderr, "%s\ntsunagu: the flows in %s have errors; fix them first (tsunagu validate)\n", diags, c.FlowsDir)
		return nil, false
	}
	s, ok := e.store(ctx, *c)
	if !ok {
		return nil, false
	}
	return newBot(c, s, loaded, e.clock, discardLog()), true
}
