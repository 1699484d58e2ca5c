package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
	"github.com/tsunagu/tsunagu/storage"
)

// TestResponseTimes: how long supporters took to claim and resolve
// urgent alerts shows in the report (md, csv, html) per organisation, an
// urgent alert nobody claimed is listed, and the Monday digest carries
// the figures and one chart image.
func TestResponseTimes(t *testing.T) {
	clock := newTestClock(thursday)
	h := newHarness(t, "", withClock(clock), withYAML(twoOrganisations), withEnv("TSUNAGU_DIGEST", "0 9 * * 1"))
	h.slack.AddChannel("C0UWA")
	h.slack.AddChannel("C0NII")
	h.roster("F-0001,uwajima,", "F-0002,niihama,")
	a := h.enrol("F-0001", tsunagu.RoleChild)
	b := h.enrol("F-0002", tsunagu.RoleChild)
	ctx := context.Background()

	h.mustDeliver(h.line.Text(a, "しにたい"))
	alert := waitMessage(t, h, "C0UWA")
	clock.Set(thursday.Add(10 * time.Minute))
	c := fakeslack.Click{UserID: "U0SATO", ChannelID: "C0UWA", MessageTS: alert.TS, ActionID: "claim", Value: buttonValue(t, alert.Blocks, "claim")}
	if res := h.click(c, time.Now()); res.StatusCode != http.StatusOK {
		t.Fatalf("claim: %d", res.StatusCode)
	}
	stored, _ := h.main.Store.Alerts(ctx, 1)
	clock.Set(thursday.Add(2*time.Hour + 10*time.Minute))
	if _, err := h.main.Desk.ResolveAlertNote(ctx, stored[0].ID, "U0SATO", "電話で話した", clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.mustDeliver(h.line.Text(b, "しにたい")) // nobody claims this one
	waitMessage(t, h, "C0NII")
	clock.Set(thursday.Add(3 * time.Hour))

	cfg := orgConfig(t)
	md := h.mustCLI("report", "--config", cfg, "--since", "2026-11-12", "--until", "2026-11-12")
	for _, want := range []string{
		"| 緊急 | 全体 | 2 | 1 | 10分 | 10分 | 1 | 2時間10分 | 2時間10分 |",
		"| 緊急 | uwajima-npo | 1 | 1 | 10分 | 10分 | 1 | 2時間10分 | 2時間10分 |",
		"| 緊急 | niihama-city | 1 | 0 | - | - | 0 | - | - |",
		"- urgent F-0002",
		"| 緊急 | 希死念慮 | 2 |", // alerts by severity and category
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	csv := h.mustCLI("report", "--config", cfg, "--since", "2026-11-12", "--until", "2026-11-12", "--format", "csv", "--org", "uwajima-npo")
	if !strings.Contains(csv, "urgent,全体,1,1,10.0,10.0,1,130.0,130.0") || strings.Contains(csv, "F-0002") {
		t.Errorf("csv for uwajima-npo:\n%s", csv)
	}
	out := filepath.Join(t.TempDir(), "report.html")
	h.mustCLI("report", "--since", "2026-11-12", "--until", "2026-11-12", "--format", "html", "--out", out)
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "10分", "2時間10分", "F-0002"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("html report lacks %q", want)
		}
	}
	if bytes.Contains(page, []byte("<script")) {
		t.Errorf("html report has a script")
	}

	clock.Set(time.Date(2026, 11, 16, 9, 0, 1, 0, tokyo)) // Monday 09:00
	eventually(t, func() bool {
		for _, m := range h.slack.Messages(fakeslack.Channel) {
			if strings.Contains(m.Text+fakeslack.BlocksText(m.Blocks), "対応までの時間") {
				return len(h.slack.Files(fakeslack.Channel)) == 1
			}
		}
		return false
	}, "the digest with response times and its chart image")
	if f := h.slack.Files(fakeslack.Channel)[0]; !bytes.HasPrefix(f.Content, []byte("\x89PNG")) || !strings.HasSuffix(f.Name, ".png") {
		t.Errorf("digest image: %s, %d bytes", f.Name, len(f.Content))
	}
}

// TestCasePack: a coordinator makes a family's case meeting pack at the
// command line, and a supporter of its organisation from Slack, where it
// is shared as a file in the organisation's channel; another
// organisation's supporter is refused. Every pack is in the audit log.
func TestCasePack(t *testing.T) {
	clock := newTestClock(thursday)
	h := newHarness(t, "", withClock(clock), withYAML(twoOrganisations))
	h.slack.AddChannel("C0UWA")
	h.slack.AddChannel("C0NII")
	h.roster("F-0001,uwajima,", "F-0002,niihama,")
	a := h.enrol("F-0001", tsunagu.RoleChild)
	ctx := context.Background()
	h.mustDeliver(h.line.Text(a, "しにたい"))
	alert := waitMessage(t, h, "C0UWA")
	clock.Set(thursday.Add(5 * time.Minute))
	c := fakeslack.Click{UserID: "U0SATO", ChannelID: "C0UWA", MessageTS: alert.TS, ActionID: "claim", Value: buttonValue(t, alert.Blocks, "claim")}
	if res := h.click(c, time.Now()); res.StatusCode != http.StatusOK {
		t.Fatalf("claim: %d", res.StatusCode)
	}
	if out := h.mustCLI("families", "pause", "F-0001"); out == "" {
		t.Log("paused")
	}

	md := h.mustCLI("case", "F-0001", "--config", orgConfig(t), "--format", "md", "--since", "2026-11-01")
	for _, want := range []string{"# ケース会議資料 F-0001", "団体: uwajima-npo", "### 子ども", "対応開始 U0SATO", "定期チェックインを一時停止"} {
		if !strings.Contains(md, want) {
			t.Errorf("case pack lacks %q:\n%s", want, md)
		}
	}
	out := filepath.Join(t.TempDir(), "case.html")
	h.mustCLI("case", "F-0001", "--out", out, "--by", "coordinator")
	if page, err := os.ReadFile(out); err != nil || !bytes.Contains(page, []byte("ケース会議資料 F-0001")) || bytes.Contains(page, []byte("<script")) {
		t.Errorf("html pack (%v):\n%.300s", err, page)
	}
	if _, _, code := h.cli("case", "F-9999"); code != exitFail {
		t.Errorf("a family not on the roster: exit %d, want %d", code, exitFail)
	}

	command := func(user, channel, text string) string {
		t.Helper()
		req := fakeslack.SignedRequest(h.url+"/slack/commands", slackSecret, fakeslack.CommandForm("/tsunagu", text, user, channel), time.Now())
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return unicodeText(body)
	}
	if got := command("U0ITO", "C0NII", "case F-0001"); !strings.Contains(got, "できません") {
		t.Errorf("case pack for another organisation: %s", got)
	}
	if got := command("U0SATO", "C0NII", "case F-0001"); !strings.Contains(got, "できません") {
		t.Errorf("case pack asked from another organisation's channel: %s", got)
	}
	if n := len(h.slack.Files("C0NII")) + len(h.slack.Files("C0UWA")); n != 0 {
		t.Fatalf("%d files shared after refusals", n)
	}
	if got := command("U0SATO", "C0UWA", "case F-0001"); !strings.Contains(got, "置きました") {
		t.Errorf("case pack from the organisation's channel: %s", got)
	}
	files := h.slack.Files("C0UWA")
	if len(files) != 1 || !bytes.Contains(files[0].Content, []byte("ケース会議資料 F-0001")) || !strings.HasSuffix(files[0].Name, ".html") {
		t.Fatalf("shared files: %+v", files)
	}

	log, err := h.main.Store.AuditLog(ctx, storage.AuditFilter{Family: "F-0001"})
	if err != nil {
		t.Fatal(err)
	}
	var packs, reads, refused []string
	for _, e := range log {
		switch e.Action {
		case tsunagu.AuditCasePack:
			packs = append(packs, e.By)
		case "read-case":
			reads = append(reads, e.By)
		case "refused":
			refused = append(refused, e.By)
		}
	}
	slices.Sort(packs) // all made at the same (test) time
	if len(packs) != 3 || !slices.Contains(packs, "cli:coordinator") || !slices.Contains(packs, "U0SATO") {
		t.Errorf("case packs in the audit log: %v", packs)
	}
	if len(reads) != 1 || reads[0] != "U0SATO" || len(refused) != 2 {
		t.Errorf("access record: reads %v, refused %v", reads, refused)
	}
}

// orgConfig writes the organisations for the CLI, which reads its
// configuration like the service.
func orgConfig(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "tsunagu.yaml")
	if err := os.WriteFile(p, []byte(twoOrganisations), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitMessage waits for the first message in channel.
func waitMessage(t *testing.T, h *harness, channel string) fakeslack.Message {
	t.Helper()
	var m fakeslack.Message
	eventually(t, func() bool {
		ms := h.slack.Messages(channel)
		if len(ms) > 0 {
			m = ms[len(ms)-1]
		}
		return len(ms) > 0
	}, "a message in %s", channel)
	return m
}

// TestRecount: rebuilding the counters from history gives the same
// report as the counters kept while serving.
func TestRecount(t *testing.T) {
	clock := newTestClock(thursday)
	h := newHarness(t, "testdata/scheduled", withClock(clock))
	h.roster("F-0001,uwajima,", "F-0002,,")
	answers := h.enrol("F-0001", tsunagu.RoleChild)
	silent := h.enrol("F-0002", tsunagu.RoleChild)
	h.settle()
	for week := range 2 {
		n := len(h.received(answers))
		clock.Set(friday(week, 17, 0).Add(time.Second))
		q := h.waitCount(answers, n+1)[n]
		h.waitText(silent, "今週はどうだった？")
		if week == 0 {
			h.mustDeliver(h.line.Postback(answers, dataFor(t, q, "いい")))
			h.next(answers, "ありがとう！")
		}
		clock.Set(friday(week+1, 16, 0))
		h.settle()
	}
	args := []string{"report", "--since", "2026-11-13", "--until", "2026-11-26", "--format", "csv"}
	kept := h.mustCLI(args...)
	if !strings.Contains(kept, "weekly,毎週のチェックイン,,4,1,3,0,0.250,") {
		t.Fatalf("report from the kept counters:\n%s", kept)
	}
	if out := h.mustCLI("report", "--recount"); !strings.Contains(out, "counted 4 check-ins") {
		t.Errorf("recount: %s", out)
	}
	if again := h.mustCLI(args...); again != kept {
		t.Errorf("after a recount the report differs:\n--- kept\n%s\n--- recounted\n%s", kept, again)
	}
}
