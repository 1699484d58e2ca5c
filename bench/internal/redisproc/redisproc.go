// Package redisproc starts a private redis-server for the benchmarks under
// bench/: internal/redistest without testing.TB.
package redisproc

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a private redis-server on a unix socket in a directory of
// its own: the benchmark never touches a Redis the machine may already run.
// Start starts one in dir.
type Server struct {
	sock string
	cmd  *exec.Cmd
	rdb  *redis.Client // for INFO and MEMORY USAGE
}

func Start(dir string) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("redis-server is not on PATH (apt-get install redis-server): %w", err)
	}
	s := &Server{sock: filepath.Join(dir, "redis.sock")}
	logf, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command("redis-server",
		"--port", "0",
		"--unixsocket", s.sock,
		"--unixsocketperm", "700",
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = ChildAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s.cmd = cmd
	s.rdb = redis.NewClient(&redis.Options{Network: "unix", Addr: s.sock, MaxRetries: -1, ReadTimeout: 30 * time.Second})
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := s.rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("redis-server did not answer within 5s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// URL is the address for TSUNAGU_REDIS_URL.
func (s *Server) URL() string { return "unix://" + s.sock }

// version is the server's version, for the report.
func (s *Server) Version(ctx context.Context) string {
	return s.Info(ctx, "server")["redis_version"]
}

func (s *Server) Info(ctx context.Context, section string) map[string]string {
	out := map[string]string{}
	txt, err := s.rdb.Info(ctx, section).Result()
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(strings.NewReader(txt))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok {
			out[k] = v
		}
	}
	return out
}

// usedMemory is INFO memory's used_memory: bytes the allocator handed to
// Redis for data and its own structures.
func (s *Server) UsedMemory(ctx context.Context) (int64, error) {
	v, ok := s.Info(ctx, "memory")["used_memory"]
	if !ok {
		return 0, fmt.Errorf("INFO memory has no used_memory")
	}
	return strconv.ParseInt(v, 10, 64)
}

// keyMemory is MEMORY USAGE of a key (all of it, not sampled), 0 when absent.
func (s *Server) KeyMemory(ctx context.Context, key string) int64 {
	n, _ := s.rdb.MemoryUsage(ctx, key, 0).Result()
	return n
}

func (s *Server) Stop() {
	if s.rdb != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.rdb.ShutdownNoSave(ctx).Err() // no answer when it works: the connection just closes
		cancel()
		s.rdb.Close()
	}
	if s.cmd == nil {
		return
	}
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}
