package storage

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRedisURL(t *testing.T) {
	tests := []struct {
		in   string
		want RedisURL // server is not compared
		err  string   // a part of the error; "" for none
	}{
		{in: "redis+sentinel://h1:26379,h2:26380/mymaster", want: RedisURL{Kind: KindSentinel, Addrs: []string{"h1:26379", "h2:26380"}, MasterName: "mymaster", WaitReplicas: 1}},
		{in: "redis+sentinel://h1/m?wait_replicas=0", want: RedisURL{Kind: KindSentinel, Addrs: []string{"h1:26379"}, MasterName: "m"}},
		{in: "redis+sentinel://h1/m?wait_replicas=x", err: "wait_replicas"},
		{in: "redis+sentinel://app:p%40ss@h1,10.0.0.2:26379/mymaster/3", want: RedisURL{Kind: KindSentinel, Addrs: []string{"h1:26379", "10.0.0.2:26379"}, MasterName: "mymaster", DB: 3, Username: "app", Password: "p@ss", WaitReplicas: 1}},
		{in: "rediss+sentinel://:secret@[::1]:26379,[fe80::1]/m?sentinel_password=s2&sentinel_username=sen", want: RedisURL{Kind: KindSentinel, Addrs: []string{"[::1]:26379", "[fe80::1]:26379"}, MasterName: "m", Password: "secret", SentinelUsername: "sen", SentinelPassword: "s2", TLS: true, WaitReplicas: 1}},
		{in: "redis+cluster://u:p@n1:7000,n2:7001,n3", want: RedisURL{Kind: KindCluster, Addrs: []string{"n1:7000", "n2:7001", "n3:6379"}, Username: "u", Password: "p"}},
		{in: "redis://:pw@localhost:6380/2", want: RedisURL{Kind: KindServer, DB: 2, Password: "pw"}},
		{in: "unix:///tmp/redis.sock", want: RedisURL{Kind: KindServer}},
		{in: "redis+sentinel://h1:26379", err: "no master name"},
		{in: "redis+sentinel://h1:26379/", err: "no master name"},
		{in: "redis+sentinel:///m", err: "no host"},
		{in: "redis+sentinel://h1:26379,,h2/m", err: "empty host"},
		{in: "redis+sentinel://h1:99999/m", err: "malformed port"},
		{in: "redis+sentinel://h1:x/m", err: "malformed port"},
		{in: "redis+sentinel://h1/m/x", err: `database "x"`},
		{in: "redis+sentinel://h1/m/0/extra", err: "too many parts"},
		{in: "redis+sentinel://h1/m?db=1", err: `unknown parameter "db"`},
		{in: "redis+sentinel://u:%zz@h1/m", err: "malformed password"},
		{in: "redis+cluster://n1:7000/0", err: "no path"},
		{in: "http://localhost:6379", err: "unknown scheme"},
		{in: "localhost:6379", err: "malformed URL"},
		{in: "redis://:hunter2@host:notaport", err: "malformed URL"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRedisURL(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "%zz") {
					t.Fatalf("the error quotes the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := got.String(); strings.Contains(s, "secret") || strings.Contains(s, "p@ss") || strings.Contains(s, "pw") {
				t.Fatalf("String shows a password: %s", s)
			}
			got.server = nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestOpenCluster(t *testing.T) {
	if _, err := Open("redis+cluster://n1:7000,n2:7001,n3:7002"); !errors.Is(err, ErrClusterUnsupported) {
		t.Fatalf("Open(redis+cluster://…) = %v, want ErrClusterUnsupported", err)
	}
}
