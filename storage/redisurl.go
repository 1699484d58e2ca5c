package storage

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Kinds of Redis deployment that TSUNAGU_REDIS_URL can name.
const (
	KindServer   = "server"   // one redis-server: redis://, rediss://, unix://
	KindSentinel = "sentinel" // a primary found through Sentinel: redis+sentinel://, rediss+sentinel://
	KindCluster  = "cluster"  // Redis Cluster: redis+cluster://, rediss+cluster:// (not supported yet)
)

// ErrClusterUnsupported is what Open says to a redis+cluster:// URL: a
// member's transaction also touches global streams and sets, which Cluster
// would need in one hash slot.
var ErrClusterUnsupported = errors.New("Redis Cluster (redis+cluster://) is not supported yet: use one Redis server (redis://) or Sentinel (redis+sentinel://host:26379,host:26379/MASTER)")

// RedisURL is a parsed TSUNAGU_REDIS_URL. Its String never shows the
// password.
type RedisURL struct {
	Kind  string
	Addrs []string // host:port of the sentinels or cluster nodes (empty for KindServer)
	// MasterName is the name the sentinels monitor the primary under.
	MasterName string
	DB         int
	Username   string
	Password   string
	// SentinelUsername and SentinelPassword authenticate to the sentinels
	// themselves (query parameters sentinel_username, sentinel_password),
	// which may be set up apart from the data nodes.
	SentinelUsername string
	SentinelPassword string
	TLS              bool
	// WaitReplicas is how many replicas must have a webhook event's commit
	// before it is acknowledged (Sentinel; ?wait_replicas=, default 1, 0
	// for none): an acknowledged event then survives a failover.
	WaitReplicas int

	server *redis.Options // KindServer: go-redis's own parse
}

const (
	sentinelPort = "26379"
	clusterPort  = "6379"
)

// ParseRedisURL reads TSUNAGU_REDIS_URL:
//
//	redis://[user:password@]host:port/db, rediss://… (TLS), unix:///path/to/socket
//	redis+sentinel://[user:password@]host:26379,host:26379/MASTER_NAME[/DB]
//	rediss+sentinel://… (TLS to the sentinels and the nodes)
//	redis+cluster://[user:password@]host:port,host:port,host:port (parsed; Open refuses it)
//
// Sentinel URLs may add ?sentinel_username=…&sentinel_password=… when the
// sentinels have credentials of their own, and ?wait_replicas=N (default
// 1; 0 for none): how many replicas must have a webhook event before it is
// acknowledged. Errors never quote the URL: it
// may hold a password.
func ParseRedisURL(s string) (*RedisURL, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return nil, errors.New("malformed URL: write redis://[user:password@]host:port/db, unix:///path/to/socket or redis+sentinel://host:26379,host:26379/MASTER")
	}
	u := &RedisURL{}
	switch strings.ToLower(scheme) {
	case "redis", "rediss", "unix":
		opt, err := redis.ParseURL(s)
		if err != nil {
			// Not the parser's error: it quotes the URL, password and all.
			return nil, errors.New("malformed URL: write redis://[user:password@]host:port/db or unix:///path/to/socket")
		}
		u.Kind, u.server = KindServer, opt
		u.Username, u.Password, u.DB, u.TLS = opt.Username, opt.Password, opt.DB, opt.TLSConfig != nil
		return u, nil
	case "redis+sentinel", "rediss+sentinel":
		u.Kind = KindSentinel
	case "redis+cluster", "rediss+cluster":
		u.Kind = KindCluster
	default:
		return nil, fmt.Errorf("unknown scheme %q: use redis://, rediss://, unix://, redis+sentinel:// or rediss+sentinel://", scheme)
	}
	u.TLS = strings.HasPrefix(strings.ToLower(scheme), "rediss+")
	rest, query, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		var err error
		if u.Username, u.Password, err = userinfo(authority[:i]); err != nil {
			return nil, err
		}
		authority = authority[i+1:]
	}
	port := sentinelPort
	if u.Kind == KindCluster {
		port = clusterPort
	}
	addrs, err := hostList(authority, port)
	if err != nil {
		return nil, err
	}
	u.Addrs = addrs
	if u.Kind == KindSentinel {
		u.WaitReplicas = 1
	}
	if err := u.parsePath(path); err != nil {
		return nil, err
	}
	if err := u.parseQuery(query); err != nil {
		return nil, err
	}
	return u, nil
}

// userinfo splits and unescapes user:password (either may be empty).
func userinfo(s string) (user, password string, err error) {
	user, password, _ = strings.Cut(s, ":")
	if user, err = url.PathUnescape(user); err != nil {
		return "", "", errors.New("malformed user name: percent-encode special characters")
	}
	if password, err = url.PathUnescape(password); err != nil {
		return "", "", errors.New("malformed password: percent-encode special characters (such as %40 for @)")
	}
	return user, password, nil
}

// hostList reads host:port,host:port, giving a missing port the default.
func hostList(s, defaultPort string) ([]string, error) {
	if s == "" {
		return nil, errors.New("no host: list them as host:port,host:port")
	}
	var out []string
	for _, h := range strings.Split(s, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, errors.New("an empty host in the list: write host:port,host:port")
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			// No port (or a bare IPv6 address in brackets).
			host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defaultPort
			if strings.ContainsAny(host, "[]") || (strings.Contains(host, ":") && !strings.HasPrefix(h, "[")) {
				return nil, fmt.Errorf("malformed host %q: write host:port, or [IPv6]:port", h)
			}
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("malformed port in %q", h)
		}
		if host == "" {
			return nil, fmt.Errorf("malformed host %q: the name is missing", h)
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	return out, nil
}

// parsePath reads /MASTER_NAME[/DB] (Sentinel) or nothing (Cluster, which
// has only database 0).
func (u *RedisURL) parsePath(path string) error {
	parts := strings.Split(path, "/")
	if u.Kind == KindCluster {
		if path != "" {
			return errors.New("a redis+cluster:// URL has no path: Cluster has only database 0")
		}
		return nil
	}
	if parts[0] == "" {
		return errors.New("no master name: write redis+sentinel://host:26379,host:26379/MASTER_NAME[/DB]")
	}
	name, err := url.PathUnescape(parts[0])
	if err != nil {
		return errors.New("malformed master name")
	}
	u.MasterName = name
	switch len(parts) {
	case 1:
	case 2:
		db, err := strconv.Atoi(parts[1])
		if err != nil || db < 0 {
			return fmt.Errorf("database %q after the master name: give a number such as 0", parts[1])
		}
		u.DB = db
	default:
		return errors.New("too many parts after the hosts: write /MASTER_NAME or /MASTER_NAME/DB")
	}
	return nil
}

func (u *RedisURL) parseQuery(query string) error {
	if query == "" {
		return nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return errors.New("malformed query after ?")
	}
	for k, v := range q {
		switch {
		case u.Kind == KindSentinel && k == "sentinel_username":
			u.SentinelUsername = v[len(v)-1]
		case u.Kind == KindSentinel && k == "sentinel_password":
			u.SentinelPassword = v[len(v)-1]
		case u.Kind == KindSentinel && k == "wait_replicas":
			n, err := strconv.Atoi(v[len(v)-1])
			if err != nil || n < 0 || n > 16 {
				return fmt.Errorf("wait_replicas %q: give how many replicas must confirm an event, such as 1, or 0 for none", v[len(v)-1])
			}
			u.WaitReplicas = n
		default:
			known := "none"
			if u.Kind == KindSentinel {
				known = "sentinel_username, sentinel_password, wait_replicas"
			}
			return fmt.Errorf("unknown parameter %q (known: %s)", k, known)
		}
	}
	return nil
}

// String shows the URL with the passwords masked, for logs.
func (u *RedisURL) String() string {
	switch u.Kind {
	case KindServer:
		if u.server.Network == "unix" {
			return "unix://" + u.server.Addr
		}
		scheme := "redis"
		if u.TLS {
			scheme = "rediss"
		}
		return fmt.Sprintf("%s://%s/%d", scheme, u.server.Addr, u.DB)
	case KindSentinel:
		scheme := "redis+sentinel"
		if u.TLS {
			scheme = "rediss+sentinel"
		}
		return fmt.Sprintf("%s://%s/%s/%d", scheme, strings.Join(u.Addrs, ","), u.MasterName, u.DB)
	default:
		return "redis+cluster://" + strings.Join(u.Addrs, ",")
	}
}

// failoverOptions are the go-redis options for a Sentinel URL.
func (u *RedisURL) failoverOptions() *redis.FailoverOptions {
	opt := &redis.FailoverOptions{
		MasterName:       u.MasterName,
		SentinelAddrs:    slices.Clone(u.Addrs),
		SentinelUsername: u.SentinelUsername,
		SentinelPassword: u.SentinelPassword,
		Username:         u.Username,
		Password:         u.Password,
		DB:               u.DB,
	}
	if u.TLS {
		opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return opt
}
