package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/safecsv"
	"github.com/tsunagu/tsunagu/storage"
)

// exportRow is one answered question. It names the member by the internal
// id, never by the LINE user id.
type exportRow struct {
	Family  string    `json:"family"`
	Member  string    `json:"member"`
	Role    string    `json:"role"`
	Flow    string    `json:"flow"`
	Session string    `json:"session"`
	Step    string    `json:"step"`
	Value   string    `json:"value"`
	Label   string    `json:"label,omitempty"`
	At      time.Time `json:"at"`
}

type exportFilter struct {
	flow         string
	since, until time.Time
	tags         []string
}

func (e *env) export(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("export")
	flow := fs.String("flow", "", "only this flow `id`")
	since := fs.String("since", "", "first `date` (YYYY-MM-DD)")
	until := fs.String("until", "", "last `date`, included")
	tags := fs.String("tags", "", "only families with any of these `tags` (separated by ; or ,)")
	format := fs.String("format", "csv", "csv or jsonl")
	out := fs.String("out", "", "write to this `file` instead of standard output")
	family := fs.String("family", "", "everything held about one family `code` (a disclosure request), as JSON")
	by := fs.String("by", "", "who runs this, for the audit log (default the OS user)")
	if pos, err := parse(fs, args); err != nil || len(pos) > 0 || (*format != "csv" && *format != "jsonl") {
		fmt.Fprintln(e.stderr, "usage: tsunagu export [--flow F] [--since D] [--until D] [--tags T] [--format csv|jsonl] [--out FILE] | tsunagu export --family CODE [--out FILE]")
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	f := exportFilter{flow: *flow, tags: strings.FieldsFunc(*tags, func(r rune) bool { return r == ';' || r == ',' })}
	for _, d := range []struct {
		flag, v string
		dst     *time.Time
		next    bool
	}{{"--since", *since, &f.since, false}, {"--until", *until, &f.until, true}} {
		if d.v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.v, c.Location())
		if err != nil {
			fmt.Fprintf(e.stderr, "tsunagu: %s %q: write a date such as 2026-03-31\n", d.flag, d.v)
			return exitUsage
		}
		if d.next {
			t = t.AddDate(0, 0, 1)
		}
		*d.dst = t
	}
	s, ok := e.store(ctx, c)
	if !ok {
		return exitFail
	}
	defer s.Close()
	w, done, err := e.output(*out)
	if err != nil {
		return e.fail(err)
	}
	entry := tsunagu.AuditEntry{At: e.clock.Now(), By: e.actor(*by), Action: tsunagu.AuditExported}
	var n int
	if *family != "" {
		n, err = exportFamily(ctx, s, *family, w)
		entry.Family, entry.Detail = *family, "disclosure"
	} else {
		n, err = exportAnswers(ctx, s, f, *format, c.Location(), w)
		entry.Detail = exportDetail(*format, *flow, *since, *until, *tags)
	}
	if cerr := done(); err == nil {
		err = cerr
	}
	if err != nil {
		return e.fail(err)
	}
	entry.Count = n
	if err := s.Audit(ctx, entry); err != nil {
		return e.fail(err)
	}
	if *out != "" {
		fmt.Fprintf(e.stderr, "%d record(s) written to %s\n", n, *out)
	}
	return exitOK
}

func exportDetail(format, flow, since, until, tags string) string {
	parts := []string{format}
	for _, kv := range [][2]string{{"flow", flow}, {"since", since}, {"until", until}, {"tags", tags}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

// output opens where an export goes: a new file readable only by its
// owner, or standard output.
func (e *env) output(path string) (io.Writer, func() error, error) {
	if path == "" {
		return e.stdout, func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

func exportAnswers(ctx context.Context, s *storage.Store, f exportFilter, format string, loc *time.Location, w io.Writer) (int, error) {
	var write func(exportRow) error
	var flush func() error
	switch format {
	case "jsonl":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		write = func(r exportRow) error { return enc.Encode(r) }
		flush = func() error { return nil }
	default:
		cw := safecsv.NewWriter(w)
		_ = cw.Write([]string{"family", "member", "role", "flow", "session", "step", "value", "label", "time"})
		write = func(r exportRow) error {
			return cw.Write([]string{r.Family, r.Member, r.Role, r.Flow, r.Session, r.Step, r.Value, r.Label, r.At.In(loc).Format(time.RFC3339)})
		}
		flush = func() error { cw.Flush(); return cw.Error() }
	}
	fams, err := s.Families(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, fam := range fams {
		if len(f.tags) > 0 && !slices.ContainsFunc(fam.Tags, func(t string) bool { return slices.Contains(f.tags, t) }) {
			continue
		}
		rows, err := familyRows(ctx, s, fam.Code, f)
		if err != nil {
			return n, err
		}
		for _, r := range rows {
			if err := write(r); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, flush()
}

// familyRows returns a family's answered questions, by member, session
// and the order they were answered in.
func familyRows(ctx context.Context, s *storage.Store, code string, f exportFilter) ([]exportRow, error) {
	type who struct{ id, role string }
	var members []who
	ms, err := s.FamilyMembers(ctx, code)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		members = append(members, who{m.ID, string(m.Role)})
	}
	unlinked, err := s.UnlinkedMembers(ctx, code)
	if err != nil {
		return nil, err
	}
	for _, id := range unlinked {
		members = append(members, who{id, "unlinked"})
	}
	var rows []exportRow
	for _, m := range members {
		sessions, err := s.History(ctx, m.id)
		if err != nil {
			return nil, err
		}
		if open, err := s.Session(ctx, m.id); err != nil {
			return nil, err
		} else if open != nil {
			sessions = append([]tsunagu.Session{*open}, sessions...)
		}
		slices.Reverse(sessions) // oldest first
		for _, sess := range sessions {
			if f.flow != "" && sess.FlowID != f.flow {
				continue
			}
			for _, step := range answerOrder(sess) {
				a := sess.Answers[step]
				if a.Skipped || (!f.since.IsZero() && a.At.Before(f.since)) || (!f.until.IsZero() && !a.At.Before(f.until)) {
					continue
				}
				rows = append(rows, exportRow{Family: code, Member: m.id, Role: m.role, Flow: sess.FlowID, Session: sess.ID, Step: step, Value: a.Value, Label: a.Label, At: a.At})
			}
		}
	}
	return rows, nil
}

// answerOrder is the steps of a session in the order answered.
func answerOrder(sess tsunagu.Session) []string {
	out := slices.Clone(sess.Order)
	for id := range sess.Answers {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return slices.DeleteFunc(out, func(id string) bool { _, ok := sess.Answers[id]; return !ok })
}

// disclosure is everything tsunagu holds about one family.
type disclosure struct {
	Family  tsunagu.Family       `json:"family"`
	Members []disclosedMember    `json:"members"`
	Answers []exportRow          `json:"answers"`
	Alerts  []tsunagu.Alert      `json:"alerts"`
	Audit   []tsunagu.AuditEntry `json:"audit"`
	Note    string               `json:"note"`
}

type disclosedMember struct {
	ID       string    `json:"id"`
	Role     string    `json:"role"`
	LinkedAt time.Time `json:"linked_at,omitzero"`
	Blocked  bool      `json:"blocked,omitempty"`
	Consent  string    `json:"consent,omitempty"`
	// LineUserIDHeld says the LINE user id is held (to send messages);
	// the id itself is not written out.
	LineUserIDHeld bool `json:"line_user_id_held"`
}

func exportFamily(ctx context.Context, s *storage.Store, code string, w io.Writer) (int, error) {
	fam, err := s.Family(ctx, code)
	if err != nil {
		return 0, err
	}
	d := disclosure{Family: *fam, Members: []disclosedMember{},
		Note: "tsunagu が保持するこの家族の全記録です。LINEのユーザーIDは送信のために保持していますが、ここには出力しません。(Everything tsunagu holds about this family; the LINE user id is held for sending but not written out.)"}
	ms, err := s.FamilyMembers(ctx, code)
	if err != nil {
		return 0, err
	}
	for _, m := range ms {
		d.Members = append(d.Members, disclosedMember{ID: m.ID, Role: string(m.Role), LinkedAt: m.LinkedAt, Blocked: m.Blocked, Consent: m.Consent, LineUserIDHeld: m.LineUserID != ""})
	}
	unlinked, err := s.UnlinkedMembers(ctx, code)
	if err != nil {
		return 0, err
	}
	for _, id := range unlinked {
		d.Members = append(d.Members, disclosedMember{ID: id, Role: "unlinked"})
	}
	if d.Answers, err = familyRows(ctx, s, code, exportFilter{}); err != nil {
		return 0, err
	}
	if d.Answers == nil {
		d.Answers = []exportRow{}
	}
	if d.Alerts, err = s.AllFamilyAlerts(ctx, code); err != nil {
		return 0, err
	}
	if d.Audit, err = s.AuditLog(ctx, storage.AuditFilter{Family: code}); err != nil {
		return 0, err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return 1 + len(d.Members) + len(d.Answers) + len(d.Alerts) + len(d.Audit), enc.Encode(d)
}
