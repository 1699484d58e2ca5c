package main

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

// redisServer is a private redis-server on a unix socket in a directory of
// its own: the benchmark never touches a Redis the machine may already run.
// It is internal/redistest without testing.TB (as in bench/dispatch).
type redisServer struct {
	sock string
	cmd  *exec.Cmd
	rdb  *redis.Client // for INFO and MEMORY USAGE
}

func startRedis(dir string) (*redisServer, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("redis-server is not on PATH (apt-get install redis-server): %w", err)
	}
	s := &redisServer{sock: filepath.Join(dir, "redis.sock")}
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
	cmd.SysProcAttr = childAttr()
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
			s.stop()
			return nil, fmt.Errorf("redis-server did not answer within 5s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// URL is the address for TSUNAGU_REDIS_URL.
func (s *redisServer) URL() string { return "unix://" + s.sock }

func (s *redisServer) info(ctx context.Context, section string) map[string]string {
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
func (s *redisServer) usedMemory(ctx context.Context) (int64, error) {
	v, ok := s.info(ctx, "memory")["used_memory"]
	if !ok {
		return 0, fmt.Errorf("INFO memory has no used_memory")
	}
	return strconv.ParseInt(v, 10, 64)
}

func (s *redisServer) stop() {
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
