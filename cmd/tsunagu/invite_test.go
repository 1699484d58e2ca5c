package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/tsunagu/tsunagu"
)

// TestInviteBasicID: a basic ID without its leading @ makes links that open
// no chat, so invite refuses it and says how to write it.
func TestInviteBasicID(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	h.env["TSUNAGU_LINE_BASIC_ID"] = "123abcde"
	_, errs, code := h.cli("invite", "F-0001", "--role", "child")
	if code != 2 || !strings.Contains(errs, "starts with @, such as @123abcde") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// TestInviteQR: --qr writes a PNG whose modules are the QR code of the
// invite link.
func TestInviteQR(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	file := filepath.Join(t.TempDir(), "invite.png")
	var out inviteOut
	mustJSON(t, h.mustCLI("invite", "F-0001", "--role", "guardian", "--qr", file, "--json"), &out)
	if out.QR != file || !strings.HasPrefix(out.Link, "https://line.me/R/oaMessage/@tsunagu-test/?") {
		t.Fatalf("out = %+v", out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	q, err := qrcode.New(out.Link, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	bits := q.Bitmap() // with the quiet zone, as drawn
	side := img.Bounds().Dx()
	if side < len(bits) || img.Bounds().Dy() != side {
		t.Fatalf("image %v for %d modules", img.Bounds(), len(bits))
	}
	// Sample the centre of each module: dark where the code has a 1.
	scale := float64(side) / float64(len(bits))
	for y, row := range bits {
		for x, dark := range row {
			r, _, _, _ := img.At(int((float64(x)+0.5)*scale), int((float64(y)+0.5)*scale)).RGBA()
			if (r < 0x8000) != dark {
				t.Fatalf("module (%d,%d) is not the link's", x, y)
			}
		}
	}
}

// TestInviteAll: --all writes one self-contained A4 page per family
// without a linked member of the role, in that role's voice.
func TestInviteAll(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,", "F-0002,,", "F-0003,,")
	h.enrol("F-0002", tsunagu.RoleGuardian)
	dir := filepath.Join(t.TempDir(), "pages")
	var outs []inviteOut
	mustJSON(t, h.mustCLI("invite", "--all", "--role", "guardian", "--out", dir, "--json"), &outs)
	if len(outs) != 2 || outs[0].Family != "F-0001" || outs[1].Family != "F-0003" {
		t.Fatalf("invites = %+v, want F-0001 and F-0003", outs)
	}
	for _, o := range outs {
		b, err := os.ReadFile(o.Page)
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		for _, want := range []string{"size: A4", o.Code, "data:image/png;base64,", "ID @tsunagu-test を検索", "お答えの扱いについて", "ご登録ください"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", o.Page, want)
			}
		}
		for _, net := range []string{"http://", "https://", "<link", "@import", "<script"} {
			if strings.Contains(page, net) {
				t.Errorf("%s is not self-contained: has %q", o.Page, net)
			}
		}
	}
	out := h.mustCLI("invite", "--all", "--role", "child", "--out", dir)
	if !strings.Contains(out, "3 page(s)") {
		t.Errorf("child pages: %s", out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "F-0001-child.html"))
	if !strings.Contains(string(b), "とうろくしてね") {
		t.Errorf("the child's page is not in a child's voice")
	}
	if _, errs, code := h.cli("invite", "--all", "--role", "child"); code != 2 || !strings.Contains(errs, "--out DIR") {
		t.Errorf("--all without --out: exit %d %s", code, errs)
	}
}
