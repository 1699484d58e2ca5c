package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// benchFlow is the flow the benchmark dispatches: one choice question, with
// a reminder and an expiry so that each session carries the timers a real
// check-in does. It has no schedule: only the benchmark dispatches it.
const benchFlow = `id: bench
title: ベンチマーク
expires_after: 3d
reminders:
  - after: 24h
    say: まだ答えてなかったら、時間があるときに教えてね。
steps:
  - id: mood
    say: こんにちは！今週は、どんな気分だった？
    choices:
      - label: いい感じ
        value: good
      - label: ふつう
        value: so_so
      - label: よくない
        value: bad
done: ありがとう！
`

const (
	benchFlowID  = "bench"
	channelToken = "bench-channel-token"
)

// buildServe builds cmd/tsunagu into dir and returns the binary's path.
func buildServe(dir string) (string, error) {
	bin := filepath.Join(dir, "tsunagu")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/tsunagu/tsunagu/cmd/tsunagu")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build cmd/tsunagu: %w", err)
	}
	return bin, nil
}

// writeConfig writes the flows directory and a tsunagu.yaml for serve. The
// push rate is a YAML-only setting, hence the file.
func writeConfig(dir, redisURL, lineURL, slackURL string, pushRate float64, workers int) (string, error) {
	flowsDir := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flowsDir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(flowsDir, "bench.yaml"), []byte(benchFlow), 0o644); err != nil {
		return "", err
	}
	workersLine := "" // serve's default
	if workers > 0 {
		workersLine = fmt.Sprintf("workers: %d\n", workers)
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // JSON strings are YAML strings
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
redis_url: %s
flows_dir: %s
timezone: Asia/Tokyo
quiet_hours: "off"
push_rate: %g
%sline:
  channel_secret: bench-channel-secret
  channel_token: %s
  api_url: %s
slack:
  bot_token: xoxb-bench
  signing_secret: bench-signing-secret
  channel: C0BENCH
  team_id: T0BENCH
  api_url: %s
`, q(redisURL), q(flowsDir), pushRate, workersLine, q(channelToken), q(lineURL), q(slackURL))
	path := filepath.Join(dir, "tsunagu.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// serveProc is `tsunagu serve` running as a separate process. Its JSON log
// goes to a file; the lines that matter are picked out on the way.
type serveProc struct {
	cmd  *exec.Cmd
	addr chan string
	exit chan struct{}

	mu       sync.Mutex
	warns    int
	errs     int
	lastBad  []string
	exitErr  error
	logLines int
}

func startServe(bin, config, logPath string) (*serveProc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", config)
	// Only this benchmark's settings: drop any TSUNAGU_* of the caller's.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TSUNAGU_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TSUNAGU_QUIET_HOURS=off")
	cmd.Stdout = logf
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start tsunagu serve: %w", err)
	}
	p := &serveProc{cmd: cmd, addr: make(chan string, 1), exit: make(chan struct{})}
	go func() {
		p.scan(stderr, logf)
		err := cmd.Wait()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		logf.Close()
		close(p.exit)
	}()
	return p, nil
}

func (p *serveProc) scan(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		_, _ = w.Write(append(line, '\n'))
		var rec struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Addr  string `json:"addr"`
		}
		if json.Unmarshal(line, &rec) != nil {
			rec.Level = "TEXT" // not JSON: a start-up failure says why in plain text
		}
		p.mu.Lock()
		p.logLines++
		switch rec.Level {
		case "WARN", "ERROR", "TEXT":
			if rec.Level == "WARN" {
				p.warns++
			} else {
				p.errs++
			}
			if len(p.lastBad) < 5 {
				p.lastBad = append(p.lastBad, truncate(string(line), 300))
			}
		}
		p.mu.Unlock()
		if rec.Msg == "tsunagu serving" && rec.Addr != "" {
			select {
			case p.addr <- rec.Addr:
			default:
			}
		}
	}
}

// waitUp waits for serve to say it is serving.
func (p *serveProc) waitUp(limit time.Duration) (string, error) {
	select {
	case a := <-p.addr:
		return a, nil
	case <-p.exit:
		return "", fmt.Errorf("tsunagu serve exited at start-up: %v; %s", p.exitErr, strings.Join(p.problems(), " | "))
	case <-time.After(limit):
		return "", fmt.Errorf("tsunagu serve did not start within %s", limit)
	}
}

func (p *serveProc) problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lastBad...)
}

func (p *serveProc) logCounts() (warns, errs, lines int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.warns, p.errs, p.logLines
}

func (p *serveProc) pid() int { return p.cmd.Process.Pid }

// stop asks serve to shut down (SIGTERM) and kills it if it does not.
func (p *serveProc) stop() error {
	select {
	case <-p.exit:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exit:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exit
			return fmt.Errorf("tsunagu serve did not stop within 15s of SIGTERM; killed")
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
