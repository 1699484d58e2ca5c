// Package redistest starts a private redis-server for a test, on a unix
// socket in a temporary directory, so tests never share state and never touch
// a Redis the machine may already run.
package redistest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Server is a private Redis for one test.
type Server struct {
	t    testing.TB
	dir  string
	sock string
	cmd  *exec.Cmd
	mini *miniredis.Miniredis

	miniURL string
}

// Start starts a private redis-server and stops it when the test ends. When
// the binary is missing it falls back to miniredis, except under CI (CI=true),
// where a missing redis-server fails the test loudly: CI must test against
// the real thing.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, dir: t.TempDir()}
	s.sock = filepath.Join(s.dir, "redis.sock")
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redistest: redis-server not on PATH; CI must install it (apt-get install redis-server)")
		}
		t.Logf("redistest: redis-server not on PATH, falling back to miniredis")
		s.mini = miniredis.RunT(t)
		s.miniURL = "redis://" + s.mini.Addr() // Addr is empty while stopped
		return s
	}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// Real reports whether this is a real redis-server (not miniredis).
func (s *Server) Real() bool { return s.mini == nil }

// URL is the address for TSUNAGU_REDIS_URL.
func (s *Server) URL() string {
	if s.mini != nil {
		return s.miniURL
	}
	// Escaped: test names put characters such as '#' in temp dir names.
	return (&url.URL{Scheme: "unix", Path: s.sock}).String()
}

// Client returns a client for the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
	c := redis.NewClient(opt)
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Stop stops the server after saving its data to its directory, like an
// orderly Redis shutdown: tests of "Redis is down" call it and then Restart.
// Safe to call twice.
func (s *Server) Stop() {
	if s.mini != nil {
		s.mini.Close()
		return
	}
	if s.cmd == nil {
		return
	}
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.sock, MaxRetries: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	// SHUTDOWN answers nothing when it succeeds: the connection just closes.
	_ = c.ShutdownSave(ctx).Err()
	cancel()
	c.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
	_ = os.Remove(s.sock)
}

// Restart starts the server again on the same socket with the data it had
// when it stopped (miniredis keeps its data in memory across a restart).
func (s *Server) Restart() {
	s.t.Helper()
	if s.mini != nil {
		if err := s.mini.Restart(); err != nil {
			s.t.Fatalf("redistest: restart miniredis: %v", err)
		}
		return
	}
	s.start()
}

func (s *Server) start() {
	s.t.Helper()
	cmd := exec.Command("redis-server",
		"--port", "0",
		"--unixsocket", s.sock,
		"--unixsocketperm", "700",
		"--save", "", // no snapshots while running; SHUTDOWN still saves
		"--appendonly", "no",
		"--dir", s.dir,
	)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("redistest: start redis-server: %v", err)
	}
	s.cmd = cmd
	if err := s.waitReady(5 * time.Second); err != nil {
		s.Stop()
		s.t.Fatalf("redistest: %v", err)
	}
}

func (s *Server) waitReady(limit time.Duration) error {
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.sock, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server did not answer within %s: %v", limit, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
