package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name the sentinels of StartSentinel monitor.
const SentinelMaster = "tsunagu"

// Sentinel is a real high-availability Redis for one test: a primary, a
// replica and three `redis-server --sentinel` processes, all on 127.0.0.1
// (Sentinel announces TCP addresses, so no unix sockets here) and stopped
// when the test ends.
type Sentinel struct {
	t         testing.TB
	dir       string
	nodes     []string // host:port of the two data nodes, primary first at start
	sentinels []string // host:port of the three sentinels
	procs     []*exec.Cmd
	clients   map[string]*redis.Client
	sclients  map[string]*redis.SentinelClient
}

// StartSentinel starts the five processes and waits until every sentinel
// knows the primary, its replica and the other sentinels. Without
// redis-server on PATH it skips the test, except under CI, where it fails.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redistest: redis-server not on PATH; CI must install it (apt-get install redis-server)")
		}
		t.Skip("redistest: Sentinel needs redis-server on PATH")
	}
	s := &Sentinel{t: t, dir: t.TempDir(), clients: map[string]*redis.Client{}, sclients: map[string]*redis.SentinelClient{}}
	t.Cleanup(s.stop)
	primary := s.startNode("primary", "")
	s.startNode("replica", primary)
	s.waitFor(30*time.Second, "the replica to sync", func(ctx context.Context) error {
		info, err := s.client(s.nodes[1]).Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("link not up")
		}
		return nil
	})
	for i := range 3 {
		s.startSentinel(i, primary)
	}
	s.waitSettled(primary, s.nodes[1], true)
	return s
}

// URL is the TSUNAGU_REDIS_URL for the sentinels.
func (s *Sentinel) URL() string {
	return "redis+sentinel://" + strings.Join(s.sentinels, ",") + "/" + SentinelMaster
}

// Primary is the address the sentinels give for the primary now.
func (s *Sentinel) Primary() string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr, err := s.sentinel(s.sentinels[0]).GetMasterAddrByName(ctx, SentinelMaster).Result()
	if err != nil {
		s.t.Fatalf("redistest: sentinel get-master-addr-by-name: %v", err)
	}
	return net.JoinHostPort(addr[0], addr[1])
}

// Failover has a sentinel promote the replica (SENTINEL FAILOVER) and
// waits until every sentinel names the new primary and it takes writes.
// It returns the two addresses.
func (s *Sentinel) Failover() (oldPrimary, newPrimary string) {
	s.t.Helper()
	oldPrimary = s.Primary()
	for _, n := range s.nodes {
		if n != oldPrimary {
			newPrimary = n
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := s.sentinel(s.sentinels[0]).Failover(ctx, SentinelMaster).Err()
	cancel()
	if err != nil {
		s.t.Fatalf("redistest: SENTINEL FAILOVER: %v", err)
	}
	s.waitSettled(newPrimary, oldPrimary, false)
	return oldPrimary, newPrimary
}

// waitSettled waits until every sentinel names primary and primary takes
// writes; with full, also until replica follows it and every sentinel sees
// replica and the other two sentinels (what a failover needs). After a
// failover the sentinels demote the old primary only when their next INFO
// (every 10 s) finds it still acting as one: until then it takes writes
// from any client that has not yet followed the switch.
func (s *Sentinel) waitSettled(primary, replica string, full bool) {
	s.t.Helper()
	s.waitFor(60*time.Second, "the sentinels to agree on "+primary, func(ctx context.Context) error {
		for _, sa := range s.sentinels {
			sc := s.sentinel(sa)
			addr, err := sc.GetMasterAddrByName(ctx, SentinelMaster).Result()
			if err != nil {
				return err
			}
			if got := net.JoinHostPort(addr[0], addr[1]); got != primary {
				return fmt.Errorf("sentinel %s names %s", sa, got)
			}
			if !full {
				continue
			}
			reps, err := sc.Replicas(ctx, SentinelMaster).Result()
			if err != nil {
				return err
			}
			if !hasHealthy(reps, replica) {
				return fmt.Errorf("sentinel %s does not see replica %s yet", sa, replica)
			}
			others, err := sc.Sentinels(ctx, SentinelMaster).Result()
			if err != nil {
				return err
			}
			if len(others) < 2 {
				return fmt.Errorf("sentinel %s knows %d other sentinels", sa, len(others))
			}
		}
		if role, err := s.client(primary).Do(ctx, "ROLE").Slice(); err != nil || role[0] != "master" {
			return fmt.Errorf("%s is not master yet: %v %v", primary, role, err)
		}
		if !full {
			return nil
		}
		info, err := s.client(replica).Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		_, port, _ := net.SplitHostPort(primary)
		if !strings.Contains(info, "role:slave") || !strings.Contains(info, "master_port:"+port) || !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("%s does not follow %s yet", replica, primary)
		}
		return nil
	})
}

func hasHealthy(reps []map[string]string, addr string) bool {
	for _, r := range reps {
		if net.JoinHostPort(r["ip"], r["port"]) == addr && !strings.Contains(r["flags"], "down") {
			return true
		}
	}
	return false
}

func (s *Sentinel) startNode(name, replicaOf string) string {
	s.t.Helper()
	port := freePort(s.t)
	dir := filepath.Join(s.dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.t.Fatal(err)
	}
	args := []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}
	if replicaOf != "" {
		host, p, _ := net.SplitHostPort(replicaOf)
		args = append(args, "--replicaof", host, p)
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	s.run(exec.Command("redis-server", args...), addr)
	s.nodes = append(s.nodes, addr)
	return addr
}

func (s *Sentinel) startSentinel(i int, primary string) {
	s.t.Helper()
	port := freePort(s.t)
	host, p, _ := net.SplitHostPort(primary)
	dir := filepath.Join(s.dir, fmt.Sprintf("sentinel%d", i))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.t.Fatal(err)
	}
	// Sentinel rewrites its configuration file as it learns: it must be
	// a file of its own, writable.
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %s\nbind 127.0.0.1\ndir %s\n"+
		"sentinel monitor %s %s %s 2\n"+
		"sentinel down-after-milliseconds %s 1000\n"+
		"sentinel failover-timeout %s 10000\n"+
		"sentinel parallel-syncs %s 1\n",
		port, dir, SentinelMaster, host, p, SentinelMaster, SentinelMaster, SentinelMaster)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		s.t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	s.run(exec.Command("redis-server", conf, "--sentinel"), addr)
	s.sentinels = append(s.sentinels, addr)
}

// run starts a process and waits until it answers PING on addr.
func (s *Sentinel) run(cmd *exec.Cmd, addr string) {
	s.t.Helper()
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("redistest: start %v: %v", cmd.Args, err)
	}
	s.procs = append(s.procs, cmd)
	s.waitFor(10*time.Second, addr+" to answer", func(ctx context.Context) error {
		return s.client(addr).Ping(ctx).Err()
	})
}

// waitFor polls check until it returns nil; limit only guards against a
// hang.
func (s *Sentinel) waitFor(limit time.Duration, what string, check func(context.Context) error) {
	s.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redistest: waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Sentinel) client(addr string) *redis.Client {
	if c, ok := s.clients[addr]; ok {
		return c
	}
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	s.clients[addr] = c
	return c
}

func (s *Sentinel) sentinel(addr string) *redis.SentinelClient {
	if c, ok := s.sclients[addr]; ok {
		return c
	}
	c := redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	s.sclients[addr] = c
	return c
}

func (s *Sentinel) stop() {
	for _, c := range s.clients {
		c.Close()
	}
	for _, c := range s.sclients {
		c.Close()
	}
	for _, c := range s.procs {
		_ = c.Process.Kill()
		_ = c.Wait()
	}
	s.procs = nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1. Another
// process could take it before redis-server binds it; rare enough here.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
