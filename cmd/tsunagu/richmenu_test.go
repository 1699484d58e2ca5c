package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeline"
)

func writePNG(t *testing.T, w, h int) string {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "menu.png")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRichMenu: `richmenu apply` creates the configured menu on (fake) LINE
// with its image, makes it the default and replaces the one before;
// `richmenu show` says what is live; its taps start a flow and say what
// tsunagu is; a guardian who enrols is linked to the guardians' menu.
func TestRichMenu(t *testing.T) {
	img := writePNG(t, 2500, 843)
	yaml := `
rich_menu:
  bar: メニュー
  image: ` + img + `
  areas:
    - {label: チェックイン, flow: test-checkin}
    - {label: 話したい, keyword: 話したい}
    - {label: つなぐとは？, about: true}
  roles:
    guardian:
      image: ` + img + `
      areas:
        - {label: つなぐとは？, about: true}
        - {label: 相談したい, keyword: 相談}
`
	cfg := filepath.Join(t.TempDir(), "tsunagu.yaml")
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "", withYAML(yaml))
	out := h.mustCLI("richmenu", "apply", "--config", cfg)
	if !strings.Contains(out, "default") || !strings.Contains(out, "guardian") {
		t.Fatalf("apply: %s", out)
	}
	menus := h.line.RichMenus()
	if len(menus) != 2 || h.line.DefaultRichMenu() != menus[0].RichMenuID || menus[0].Name != "tsunagu" || menus[1].Name != "tsunagu-guardian" {
		t.Fatalf("menus %+v, default %s", menus, h.line.DefaultRichMenu())
	}
	m := menus[0]
	if m.ChatBarText != "メニュー" || m.Size.Width != 2500 || m.Size.Height != 843 || len(m.Areas) != 3 || h.line.RichMenuImage(m.RichMenuID) == nil {
		t.Fatalf("menu %+v", m)
	}
	want := []fakeline.RichMenuAction{
		{Type: "postback", Label: "チェックイン", Data: "menu:flow:test-checkin", DisplayText: "チェックイン"},
		{Type: "message", Label: "話したい", Text: "話したい"},
		{Type: "postback", Label: "つなぐとは？", Data: "menu:about", DisplayText: "つなぐとは？"},
	}
	for i, a := range m.Areas {
		if a.Action != want[i] {
			t.Errorf("area %d: %+v, want %+v", i, a.Action, want[i])
		}
	}

	// Applying again replaces the menus, not adds to them.
	h.mustCLI("richmenu", "apply", "--config", cfg)
	again := h.line.RichMenus()
	if len(again) != 2 || again[0].RichMenuID == m.RichMenuID || h.line.DefaultRichMenu() != again[0].RichMenuID {
		t.Fatalf("after a second apply: %+v, default %s", again, h.line.DefaultRichMenu())
	}
	out = h.mustCLI("richmenu", "show", "--config", cfg)
	for _, w := range []string{again[0].RichMenuID, "(default)", "starts flow test-checkin", `sends "話したい"`, "says what tsunagu is", "tsunagu-guardian"} {
		if !strings.Contains(out, w) {
			t.Errorf("show lacks %q:\n%s", w, out)
		}
	}

	// Taps reach the conversation.
	h.roster("F-0001,,")
	child := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustDeliver(h.line.Postback(child, "menu:about"))
	h.next(child, "つなぐ は、こどもとおうちの人を応援する")
	h.mustDeliver(h.line.Postback(child, "menu:flow:test-checkin"))
	h.next(child, "今週の気分はどう？")
	h.mustDeliver(h.line.Postback(child, "menu:flow:test-checkin")) // a question waits: asked again
	h.next(child, "今週の気分はどう？")

	guardian := h.enrol("F-0001", tsunagu.RoleGuardian)
	eventually(t, func() bool { return h.line.UserRichMenu(guardian) == again[1].RichMenuID }, "the guardian to get the guardians' menu")
	if got := h.line.UserRichMenu(child); got != "" {
		t.Errorf("the child was linked to %s; children have no menu of their own", got)
	}

	// A menu that starts a flow that is not there is refused before LINE is called.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("rich_menu:\n  image: "+img+"\n  areas: [{label: どこにもない, flow: nope}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, "")
	if _, errs, code := h2.cli("richmenu", "apply", "--config", bad); code != 1 || !strings.Contains(errs, `starts flow "nope"`) {
		t.Errorf("unknown flow: exit %d %s", code, errs)
	}
	if len(h2.line.RichMenus()) != 0 {
		t.Error("a menu was created anyway")
	}
}
