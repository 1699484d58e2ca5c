package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the CLI in-process with only the given environment.
func run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	h := &harness{t: t, env: env}
	return h.cli(args...)
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateCommand(t *testing.T) {
	examples := mustAbs(t, "../../examples/flows")
	t.Chdir(t.TempDir()) // no tsunagu.yaml around
	bad := writeFile(t, "bad.yaml", "id: bad\ntitle: x\nsteps:\n  - id: a\n    say: hi\n    chioces: [x]\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"examples are valid", []string{"validate", examples}, 0, []string{"flow(s) valid"}},
		{"errors with position and hint", []string{"validate", bad}, 1, []string{bad + ":6:5:", "choices", "1 error(s)"}},
		{"json for editors", []string{"validate", "--json", bad}, 1, []string{`"line": 6`}},
		{"missing path", []string{"validate", filepath.Join(t.TempDir(), "nope.yaml")}, 1, []string{"nope.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := run(t, map[string]string{}, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errs, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errs)
				}
			}
		})
	}
}

func TestSimulateCommand(t *testing.T) {
	flow, _ := filepath.Abs("testdata/flows/test-checkin.yaml")
	out, errs, code := run(t, map[string]string{}, "simulate", flow, "--answers", "2|けんか|たくさん|3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, w := range []string{"今週の気分はどう？", "[1] いい  [2] よくない", "よかったら教えてね", "元気度を0から10で教えてね", "ありがとう！またね。", "気分がよくないと回答"} {
		if !strings.Contains(out, w) {
			t.Errorf("transcript lacks %q:\n%s", w, out)
		}
	}

	out, _, code = run(t, map[string]string{"TSUNAGU_FLOWS_DIR": filepath.Dir(flow)}, "simulate", "test-checkin", "--json", "--answers", "1|5")
	var tr struct {
		Completed bool `json:"completed"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &tr) != nil || !tr.Completed {
		t.Fatalf("simulate by id --json: exit %d, %q", code, out)
	}
}

func TestFamiliesImport(t *testing.T) {
	h := newHarness(t, "")
	good := writeFile(t, "roster.csv", "code,tags,supporter\nF-0001,uwajima,U012AB3CD\nF-0002,,\n")
	if out := h.mustCLI("families", "import", good); !strings.Contains(out, "2 new, 0 updated") {
		t.Fatalf("first import: %q", out)
	}
	again := writeFile(t, "roster.csv", "code,tags,supporter\nF-0001,uwajima;school-a,\nF-0003,,\n")
	if out := h.mustCLI("families", "import", again); !strings.Contains(out, "1 new, 1 updated") {
		t.Fatalf("re-import: %q", out)
	}
	bad := writeFile(t, "roster.csv", "code,tags,supporter\nF-0004,,\n山田,,\nF-0005,,nobody\n")
	out, errs, code := h.cli("families", "import", bad)
	if code != 1 || !strings.Contains(errs, bad+":3:") || !strings.Contains(errs, bad+":4:") || !strings.Contains(errs, "nothing was imported") {
		t.Fatalf("bad roster: exit %d\n%s%s", code, out, errs)
	}
	fams, err := h.main.Store.Families(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, f := range fams {
		codes = append(codes, f.Code)
	}
	if strings.Join(codes, ",") != "F-0001,F-0002,F-0003" {
		t.Fatalf("families = %v, want F-0001..3 and nothing from the bad file", codes)
	}
	if fams[0].Supporter != "" || strings.Join(fams[0].Tags, ";") != "uwajima;school-a" {
		t.Fatalf("F-0001 not updated: %+v", fams[0])
	}

	var list []familyRow
	mustJSON(t, h.mustCLI("families", "list", "--json"), &list)
	if len(list) != 3 || list[0].Code != "F-0001" {
		t.Fatalf("list --json: %+v", list)
	}
}

func TestInviteAndSendErrors(t *testing.T) {
	h := newHarness(t, "")
	h.roster("F-0001,,")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"unknown family", []string{"invite", "F-9999", "--role", "child"}, 1, "F-9999 is not on the roster"},
		{"bad role", []string{"invite", "F-0001", "--role", "teacher"}, 2, "usage"},
		{"send unknown flow", []string{"send", "nope", "--family", "F-0001"}, 1, `no flow with id "nope"`},
		{"send before any invite", []string{"send", "test-checkin", "--family", "F-0001"}, 1, "no linked members"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := h.cli(tt.args...)
			if code != tt.wantCode || !strings.Contains(out+errs, tt.want) {
				t.Fatalf("exit %d, want %d with %q\n%s%s", code, tt.wantCode, tt.want, out, errs)
			}
		})
	}

	// Without a basic id there is no link to print.
	delete(h.env, "TSUNAGU_LINE_BASIC_ID")
	_, errs, code := h.cli("invite", "F-0001", "--role", "child")
	if code != 2 || !strings.Contains(errs, "TSUNAGU_LINE_BASIC_ID") {
		t.Fatalf("invite without basic id: exit %d %q", code, errs)
	}
}
