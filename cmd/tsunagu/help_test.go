package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu"
)

func runCLI(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, clock: tsunagu.SystemClock}
	code = e.run(context.Background(), args)
	return out.String(), errb.String(), code
}

// TestHelp: every command's --help describes it, shows an example and its
// own flags, and exits 0 without doing anything.
func TestHelp(t *testing.T) {
	t.Chdir(t.TempDir()) // no tsunagu.yaml; nothing to touch
	for name, h := range commandHelp {
		for _, flag := range []string{"--help", "-h"} {
			args := append(strings.Fields(name), flag)
			out, errs, code := runCLI(args...)
			if code != exitOK {
				t.Errorf("tsunagu %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
			}
			for _, want := range []string{h.usage, "Example:", h.example, "Flags:", "-config"} {
				if !strings.Contains(out, want) {
					t.Errorf("tsunagu %s lacks %q:\n%s", strings.Join(args, " "), want, out)
				}
			}
		}
	}
	if out, _, code := runCLI("send", "--help"); code != exitOK || !strings.Contains(out, "-family") {
		t.Errorf("send --help does not list --family:\n%s", out)
	}
	if out, _, code := runCLI("--help"); code != exitOK || !strings.Contains(out, "tsunagu dev") {
		t.Errorf("tsunagu --help: exit %d\n%s", code, out)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := runCLI("--version")
	if code != exitOK || !strings.HasPrefix(out, "tsunagu ") || !strings.Contains(out, "commit: ") || !strings.Contains(out, "go: go1.") {
		t.Errorf("tsunagu --version: exit %d\n%s", code, out)
	}
}

func TestHealthURL(t *testing.T) {
	for in, want := range map[string]string{
		":8080": "http://127.0.0.1:8080/healthz", "0.0.0.0:9000": "http://127.0.0.1:9000/healthz",
		"127.0.0.1:8080": "http://127.0.0.1:8080/healthz", "[::]:8080": "http://127.0.0.1:8080/healthz",
	} {
		if got := healthURL(in); got != want {
			t.Errorf("healthURL(%q) = %q, want %q", in, got, want)
		}
	}
}
