package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// sendOut is what `send --json` prints, on every path: Status says what
// happened (started, queued, quiet, nobody, error) and Message says it in
// words.
type sendOut struct {
	Flow      string     `json:"flow"`
	Family    string     `json:"family"`
	Status    string     `json:"status"`
	Message   string     `json:"message"`
	GoesOutAt *time.Time `json:"goes_out_at,omitempty"` // quiet hours: when serve sends it
	bot.DispatchResult
}

// Statuses of a send.
const (
	sendStarted = "started" // serve started it for at least one member
	sendQueued  = "queued"  // serve has not run it yet
	sendQuiet   = "quiet"   // queued until quiet hours end
	sendNobody  = "nobody"  // no member of the family would receive it
	sendError   = "error"
)

func (e *env) send(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("send")
	family := fs.String("family", "", "family `code`")
	asJSON := fs.Bool("json", false, "print JSON, whatever happens")
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
	out := sendOut{Flow: pos[0], Family: *family, DispatchResult: bot.DispatchResult{Members: []bot.SendResult{}, Counts: map[string]int{}}}
	fail := func(err error) int {
		if !*asJSON {
			return e.fail(err)
		}
		out.Status, out.Message = sendError, err.Error()
		e.printJSON(out)
		return exitFail
	}
	b, ok := e.openBot(ctx, &c)
	if !ok {
		return fail(errors.New("cannot load the flows or reach Redis (see above)"))
	}
	defer b.Store.Close()
	s := b.Store
	if err := bot.KeepVersions(ctx, s, b.Flows.All()); err != nil {
		return fail(err)
	}
	flow := b.Flows.Get(pos[0])
	if flow == nil {
		return fail(tsunagu.Errorf(tsunagu.ENOTFOUND, "no flow with id %q in %s", pos[0], c.FlowsDir))
	}
	fam, err := s.Family(ctx, *family)
	if err != nil {
		return fail(err)
	}
	// Say so before queuing when nobody would get it: a coordinator who
	// reads "queued" believes a family was asked.
	if why := e.nobody(ctx, b, flow, *fam, &out); why != "" {
		return e.sendNobody(out, why, *asJSON)
	}
	// The dispatch is durable work for `tsunagu serve`, on the same path
	// as a scheduled check-in: nobody gets it twice, whatever crashes.
	now := e.clock.Now()
	key := bot.NewID()
	t := storage.Timer{Kind: scheduler.JobDispatch, Due: now, FlowID: pos[0], Family: *family, Key: key, Replace: *replace}
	if err := s.AddTimers(ctx, t); err != nil {
		return fail(err)
	}
	if sched := newScheduler(&c, s, b, nil, e.clock, discardLog()); sched.Quiet.In(now) {
		at := quietEnd(sched.Quiet, now)
		out.Status, out.GoesOutAt = sendQuiet, &at
		out.Message = fmt.Sprintf("quiet hours (%s): nothing is sent now; the check-in goes out at %s, when they end", c.QuietHours, formatWhen(at, c.Location()))
		return e.sendPrint(out, *asJSON, exitOK)
	}
	res, err := e.waitDispatch(ctx, s, key, *wait)
	if err != nil {
		return fail(err)
	}
	if res == nil {
		out.Status = sendQueued
		out.Message = fmt.Sprintf("queued: `tsunagu serve` sends it when it runs (nothing answered within %s)", *wait)
		return e.sendPrint(out, *asJSON, exitOK)
	}
	if res.Error != "" {
		return fail(errors.New(res.Error))
	}
	out.DispatchResult = *res
	started := res.Counts[bot.SentStarted] + res.Counts[bot.SentRestarted]
	if started+res.Counts[bot.SentWaiting] == 0 {
		return e.sendNobody(out, "", *asJSON)
	}
	out.Status = sendStarted
	out.Message = fmt.Sprintf("%d check-in(s) started; `tsunagu serve` delivers the first question by push", started)
	if n := res.Counts[bot.SentWaiting]; n > 0 {
		out.Message += fmt.Sprintf("; %d wait for the flow they are in to end", n)
	}
	return e.sendPrint(out, *asJSON, exitOK)
}

// nobody fills out.Members with the family's members and why each would
// not get flow, and returns why nobody would, or "" when someone would.
func (e *env) nobody(ctx context.Context, b *bot.Bot, flow *flows.Flow, fam tsunagu.Family, out *sendOut) string {
	ms, err := b.Store.FamilyMembers(ctx, fam.Code)
	if err != nil {
		return "" // serve will say; the dispatch is the authority
	}
	if len(ms) == 0 {
		return fmt.Sprintf("family %s has no linked members yet: hand out an invite first (tsunagu invite %s --role %s)", fam.Code, fam.Code, flow.Roles[0])
	}
	var excluded []bot.SendResult
	for _, m := range ms {
		why := b.Conversation().Exclusion(flow, m, fam)
		if why == "" {
			return ""
		}
		excluded = append(excluded, bot.SendResult{MemberID: m.ID, Family: fam.Code, Role: m.Role, Outcome: why})
	}
	for _, r := range excluded {
		out.Members = append(out.Members, r)
		out.Counts[r.Outcome]++
	}
	return fmt.Sprintf("no member of %s will receive %s", fam.Code, flow.ID)
}

// sendNobody says that the check-in reaches nobody, and why for each
// member, with exit 1.
func (e *env) sendNobody(out sendOut, why string, asJSON bool) int {
	out.Status, out.Message = sendNobody, why
	if why == "" {
		out.Message = fmt.Sprintf("no member of %s received %s", out.Family, out.Flow)
	}
	if asJSON {
		e.printJSON(out)
		return exitFail
	}
	fmt.Fprintf(e.stderr, "tsunagu: nobody will receive this check-in: %s\n", out.Message)
	for _, r := range out.Members {
		fmt.Fprintf(e.stderr, "  %s %-8s %s: %s\n", r.Family, r.Role, r.MemberID, explainExclusion(r.Outcome))
	}
	return exitFail
}

func (e *env) sendPrint(out sendOut, asJSON bool, code int) int {
	if asJSON {
		e.printJSON(out)
		return code
	}
	for _, r := range out.Members {
		fmt.Fprintf(e.stdout, "%s %-8s %s\n", r.Family, r.Role, r.Outcome)
	}
	fmt.Fprintln(e.stdout, out.Message)
	return code
}

// explainExclusion says in plain words why a member does not get a
// check-in, and what would change it.
func explainExclusion(why string) string {
	switch why {
	case flows.NotInAudience:
		return "not in audience: the flow's `audience:` (roles, tags, exclude_tags) does not include this member"
	case flows.Blocked:
		return "blocked: the member has blocked the bot on LINE"
	case flows.Paused:
		return "paused: the family is paused (/tsunagu resume CODE in Slack)"
	case flows.NoConsent:
		return "no consent: the member declined, or has not yet answered, the sign-up flow's consent step"
	case flows.Stopped:
		return "stopped: the member sent 停止 and has not sent 再開 (they restart it themselves)"
	case bot.SentAlreadyOpen:
		return "already open: the member is answering this flow now (--replace ends that first)"
	case bot.SentOverQuota:
		return "over quota: the month's LINE messages would run out"
	case bot.SentDuplicate:
		return "duplicate: the member already got this one"
	case "":
		return "gets it"
	}
	return why
}

// quietEnd is when the quiet hours q that hold at t end.
func quietEnd(q scheduler.QuietHours, t time.Time) time.Time {
	if q.Location != nil {
		t = t.In(q.Location)
	}
	h, m := int(q.End/time.Hour), int(q.End%time.Hour/time.Minute)
	end := time.Date(t.Year(), t.Month(), t.Day(), h, m, 0, 0, t.Location())
	if !end.After(t) {
		end = time.Date(t.Year(), t.Month(), t.Day()+1, h, m, 0, 0, t.Location())
	}
	return end
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
