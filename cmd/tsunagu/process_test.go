package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
	"github.com/tsunagu/tsunagu/internal/redistest"
)

// buildBinary builds tsunagu once for the tests that run it as a process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tsunagu")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestServeProcess runs the real binary: a missing setting stops start-up
// with one line naming it and exit code 2; a complete one serves until
// SIGTERM and then exits 0.
func TestServeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	redis := redistest.Start(t)
	fl := fakeline.New(t)
	fs := fakeslack.New(t)
	dir := t.TempDir()
	full := []string{
		"TSUNAGU_LISTEN=127.0.0.1:0",
		"TSUNAGU_REDIS_URL=" + redis.URL(),
		"TSUNAGU_FLOWS_DIR=" + mustAbs(t, "testdata/flows"),
		"TSUNAGU_LINE_CHANNEL_SECRET=" + lineSecret,
		"TSUNAGU_LINE_CHANNEL_TOKEN=" + lineToken,
		"TSUNAGU_LINE_API_URL=" + fl.URL,
		"TSUNAGU_SLACK_BOT_TOKEN=" + fakeslack.Token,
		"TSUNAGU_SLACK_SIGNING_SECRET=" + slackSecret,
		"TSUNAGU_SLACK_CHANNEL=" + fakeslack.Channel,
		"TSUNAGU_SLACK_TEAM_ID=" + fakeslack.TeamID,
		"TSUNAGU_SLACK_API_URL=" + fs.APIURL(),
	}

	t.Run("missing setting", func(t *testing.T) {
		var env []string
		for _, kv := range full {
			if !strings.HasPrefix(kv, "TSUNAGU_SLACK_SIGNING_SECRET=") {
				env = append(env, kv)
			}
		}
		cmd := exec.Command(bin, "serve")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if code := exitCode(err); code != 2 {
			t.Fatalf("exit %d, want 2", code)
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], "TSUNAGU_SLACK_SIGNING_SECRET") {
			t.Fatalf("stderr = %q, want one line naming the setting", stderr.String())
		}
		if strings.Contains(stderr.String(), lineSecret) || strings.Contains(stderr.String(), lineToken) {
			t.Fatal("stderr shows a secret")
		}
	})

	t.Run("SIGTERM exits 0", func(t *testing.T) {
		port := freePort(t)
		env := append(append(os.Environ(), full...), "TSUNAGU_LISTEN="+port)
		cmd := exec.Command(bin, "serve")
		cmd.Dir, cmd.Env = dir, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		eventually(t, func() bool {
			res, err := http.Get("http://" + port + "/readyz")
			if err != nil {
				return false
			}
			res.Body.Close()
			return res.StatusCode == http.StatusOK
		}, "serve to be ready; stderr:\n%s", &stderr)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if code := exitCode(err); code != 0 {
				t.Fatalf("exit %d after SIGTERM, want 0; stderr:\n%s", code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop after SIGTERM")
		}
	})
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// freePort finds a free loopback port for a process under test.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
