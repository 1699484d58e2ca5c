package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

type inviteOut struct {
	Family    string       `json:"family,omitempty"`
	Role      tsunagu.Role `json:"role,omitempty"`
	Lang      string       `json:"lang,omitempty"`
	Code      string       `json:"code"`
	Link      string       `json:"link"`
	ExpiresAt time.Time    `json:"expires_at"`
	QR        string       `json:"qr,omitempty"`   // the PNG written with --qr
	Page      string       `json:"page,omitempty"` // the HTML page written with --all
}

// InviteLink is the LINE link that opens a chat with the bot with the code
// already typed in.
func InviteLink(basicID, code string) string {
	return "https://line.me/R/oaMessage/" + url.PathEscape(basicID) + "/?" + url.QueryEscape(code)
}

// qrSize is the side of a QR image in pixels: big enough to print at 5 cm
// and scan from a phone held at arm's length.
const qrSize = 512

// inviteQR is a PNG of a QR code of link. Medium error correction (15%)
// survives a creased or smudged printout.
func inviteQR(link string) ([]byte, error) {
	return qrcode.Encode(link, qrcode.Medium, qrSize)
}

const inviteUsage = `usage: tsunagu invite FAMILY --role child|guardian [--lang pt] [--qr FILE.png] [--json]
       tsunagu invite --all --role child|guardian [--lang pt] --out DIR [--json]
       tsunagu invite --revoke CODE`

func (e *env) invite(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("invite")
	role := fs.String("role", "", "child or guardian")
	lang := fs.String("lang", "", "the `language` the member reads (ja, en, pt…); default: the programme's")
	asJSON := fs.Bool("json", false, "print only JSON")
	qrFile := fs.String("qr", "", "write a QR code of the link to this PNG `file`")
	all := fs.Bool("all", false, "invite every family on the roster without a linked member of the role")
	outDir := fs.String("out", "", "with --all, write one printable page per invite into this `dir`")
	revoke := fs.String("revoke", "", "revoke this unused invite `code`")
	by := fs.String("by", "", "who runs this, for the audit log (default the OS user)")
	pos, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if *revoke != "" {
		return e.revokeInvite(ctx, *cfgPath, *revoke, *by)
	}
	if *lang != "" && !flows.ValidLanguage(*lang) {
		fmt.Fprintf(e.stderr, "tsunagu: --lang %q: write a language code such as ja, en or pt\n", *lang)
		return exitUsage
	}
	if !tsunagu.Role(*role).Valid() || (*all && (len(pos) != 0 || *outDir == "" || *qrFile != "")) || (!*all && (len(pos) != 1 || *outDir != "")) {
		fmt.Fprintln(e.stderr, inviteUsage)
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	if !e.basicIDOK(c.LINE.BasicID) {
		return exitUsage
	}
	s, ok := e.store(ctx, c)
	if !ok {
		return exitFail
	}
	defer s.Close()
	if *all {
		return e.inviteAll(ctx, c, s, tsunagu.Role(*role), *lang, *outDir, *asJSON)
	}
	fam, err := s.Family(ctx, pos[0])
	if err != nil {
		return e.fail(err)
	}
	out, err := e.newInvite(ctx, c, s, fam.Code, tsunagu.Role(*role), *lang)
	if err != nil {
		return e.fail(err)
	}
	if *qrFile != "" {
		png, err := inviteQR(out.Link)
		if err == nil {
			err = os.WriteFile(*qrFile, png, 0o600)
		}
		if err != nil {
			return e.fail(fmt.Errorf("write the QR code: %w", err))
		}
		out.QR = *qrFile
	}
	if *asJSON {
		e.printJSON(out)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "招待コード (invite code): %s\n", out.Code)
	fmt.Fprintf(e.stdout, "家族 (family): %s / %s\n", out.Family, out.Role)
	if out.Lang != "" {
		fmt.Fprintf(e.stdout, "言語 (language): %s\n", out.Lang)
	}
	fmt.Fprintf(e.stdout, "有効期限 (expires): %s\n", out.ExpiresAt.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(e.stdout, "LINEリンク (link): %s\n", out.Link)
	if out.QR != "" {
		fmt.Fprintf(e.stdout, "QRコード (QR code): %s\n", out.QR)
	}
	fmt.Fprintln(e.stdout, "このコードは1回だけ使えます。(one use only)")
	return exitOK
}

// basicIDOK checks the bot's basic ID: without the leading @ the link
// opens no chat, and nothing says why.
func (e *env) basicIDOK(id string) bool {
	switch {
	case id == "":
		fmt.Fprintln(e.stderr, "tsunagu: TSUNAGU_LINE_BASIC_ID is required for invite links: the bot's basic ID such as @123abcde (LINE Official Account Manager → Settings)")
		return false
	case !strings.HasPrefix(id, "@") || len(id) < 2 || strings.ContainsAny(id, " /?#"):
		fmt.Fprintf(e.stderr, "tsunagu: TSUNAGU_LINE_BASIC_ID %q is not a basic ID: it starts with @, such as @%s (LINE Official Account Manager → Settings)\n", id, strings.TrimSpace(strings.TrimLeft(id, "@")))
		return false
	}
	return true
}

// newInvite creates a one-time code for a member of family with role.
func (e *env) newInvite(ctx context.Context, c config.Config, s *storage.Store, family string, role tsunagu.Role, lang string) (inviteOut, error) {
	now := e.clock.Now()
	inv := tsunagu.Invite{FamilyCode: family, Role: role, Lang: lang, ExpiresAt: now.Add(time.Duration(c.InviteTTL)).Truncate(time.Second)}
	var err error
	for range 5 { // a clash of 40-bit codes is rare; a few draws make it vanishing
		inv.Code = tsunagu.NewInviteCode()
		if err = s.CreateInvite(ctx, inv, now); tsunagu.ErrorCode(err) != tsunagu.ECONFLICT {
			break
		}
	}
	if err != nil {
		return inviteOut{}, err
	}
	return inviteOut{Family: family, Role: role, Lang: lang, Code: inv.Code, Link: InviteLink(c.LINE.BasicID, inv.Code), ExpiresAt: inv.ExpiresAt.In(c.Location())}, nil
}

// inviteAll writes one printable invite page per family of the roster that
// has no linked member of role yet, for home visits.
func (e *env) inviteAll(ctx context.Context, c config.Config, s *storage.Store, role tsunagu.Role, lang, dir string, asJSON bool) int {
	fams, err := s.Families(ctx)
	if err != nil {
		return e.fail(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return e.fail(err)
	}
	outs := []inviteOut{}
	skipped := 0
	for _, f := range fams {
		ms, err := s.FamilyMembers(ctx, f.Code)
		if err != nil {
			return e.fail(err)
		}
		if hasRole(ms, role) {
			skipped++
			continue
		}
		out, err := e.newInvite(ctx, c, s, f.Code, role, lang)
		if err != nil {
			return e.fail(err)
		}
		out.Page = filepath.Join(dir, f.Code+"-"+string(role)+".html")
		page, err := invitePage(out, c.LINE.BasicID)
		if err == nil {
			err = os.WriteFile(out.Page, page, 0o600)
		}
		if err != nil {
			return e.fail(fmt.Errorf("write %s: %w", out.Page, err))
		}
		outs = append(outs, out)
	}
	if asJSON {
		e.printJSON(outs)
		return exitOK
	}
	for _, o := range outs {
		fmt.Fprintf(e.stdout, "%s  %s  %s\n", o.Family, o.Code, o.Page)
	}
	fmt.Fprintf(e.stdout, "%d page(s) in %s for %s; %d famil(ies) already have a linked %s. Print them (A4) and hand them over in person: each code works once, until %s.\n",
		len(outs), dir, role, skipped, role, expiry(outs))
	return exitOK
}

func hasRole(ms []tsunagu.Member, role tsunagu.Role) bool {
	for _, m := range ms {
		if m.Role == role && !m.Blocked {
			return true
		}
	}
	return false
}

func expiry(outs []inviteOut) string {
	if len(outs) == 0 {
		return "-"
	}
	return outs[0].ExpiresAt.Format("2006-01-02 15:04")
}
