package desk

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// chromium finds a headless browser: skipped on a developer's machine
// without one, a failure under CI (CI=true, or TSUNAGU_BROWSER_TEST=required
// as .ci/run sets after installing it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" || os.Getenv("TSUNAGU_BROWSER_TEST") == "required" {
		t.Fatal("chromium not on PATH; CI must install it (apt-get install chromium)")
	}
	t.Skip("chromium not on PATH (apt-get install chromium)")
	return ""
}

// TestReportInChromium: the HTML report and the case pack open in a real
// browser with no network and draw something: a screenshot of each is
// an image of the requested size, far from blank. (docs/*.png are taken
// the same way.)
func TestReportInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	pages := map[string]func(*bytes.Buffer) error{
		"report": func(b *bytes.Buffer) error { r := exampleReport(); return r.HTML(b, tokyo, r.Until) },
		"case": func(b *bytes.Buffer) error {
			return examplePack(true).HTML(b, tokyo, time.Date(2026, 10, 5, 9, 0, 0, 0, tokyo))
		},
	}
	for name, render := range pages {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render(&b); err != nil {
				t.Fatal(err)
			}
			page := filepath.Join(dir, name+".html")
			if err := os.WriteFile(page, b.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			shot := filepath.Join(dir, name+".png")
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
				"--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
				"--host-resolver-rules=MAP * ~NOTFOUND", // nothing from the network, should the page ask
				"--user-data-dir="+filepath.Join(dir, "profile-"+name), "--hide-scrollbars",
				"--screenshot="+shot, "--window-size=1000,1400", "file://"+page)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("chromium: %v\n%s", err, out)
			}
			f, err := os.Open(shot)
			if err != nil {
				t.Fatalf("no screenshot: %v", err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 1000 || h != 1400 {
				t.Errorf("screenshot %dx%d, want 1000x1400", w, h)
			}
			dark := 0
			for y := 0; y < img.Bounds().Dy(); y += 4 {
				for x := 0; x < img.Bounds().Dx(); x += 4 {
					if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0x8000 {
						dark++
					}
				}
			}
			if dark < 500 { // text, axes, bars; a blank page has none
				t.Errorf("the page looks blank: %d dark samples", dark)
			}
		})
	}
}
