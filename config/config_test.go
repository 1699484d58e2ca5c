package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tsunagu.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	t.Run("defaults without a file", func(t *testing.T) {
		t.Chdir(t.TempDir())
		c, err := Load("", false, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if c.Listen != ":8080" || c.Timezone != "Asia/Tokyo" || time.Duration(c.InviteTTL) != 14*24*time.Hour {
			t.Fatalf("defaults: %+v", c)
		}
	})
	t.Run("file then environment", func(t *testing.T) {
		p := write(t, "listen: ':9000'\ninvite_ttl: 7d\nline:\n  basic_id: '@abc'\n  channel_secret: fromfile\n")
		c, err := Load(p, true, env(map[string]string{"TSUNAGU_LINE_CHANNEL_SECRET": "fromenv"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.Listen != ":9000" || c.LINE.BasicID != "@abc" || c.LINE.ChannelSecret != "fromenv" || time.Duration(c.InviteTTL) != 7*24*time.Hour {
			t.Fatalf("got %+v", c)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		if _, err := Load(write(t, "\n"), true, env(nil)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, file string
		env        map[string]string
		want       string
	}{
		{"unknown key", "lisen: ':1'\n", nil, "lisen"},
		{"bad yaml", "listen: [\n", nil, "config"},
		{"bad time zone", "", map[string]string{"TSUNAGU_TIMEZONE": "Mars/Base"}, "TSUNAGU_TIMEZONE"},
		{"bad redis url", "", map[string]string{"TSUNAGU_REDIS_URL": "localhost:6379"}, "TSUNAGU_REDIS_URL"},
		{"password kept out", "", map[string]string{"TSUNAGU_REDIS_URL": "redis+sentinel://:hunter2@h1:26379/m/x"}, "TSUNAGU_REDIS_URL"},
		{"sentinel without master", "", map[string]string{"TSUNAGU_REDIS_URL": "redis+sentinel://h1:26379,h2:26379"}, "TSUNAGU_REDIS_URL: no master name"},
		{"cluster not yet", "", map[string]string{"TSUNAGU_REDIS_URL": "redis+cluster://n1:7000,n2:7001"}, "TSUNAGU_REDIS_URL: Redis Cluster (redis+cluster://) is not supported yet"},
		{"bad api url", "", map[string]string{"TSUNAGU_LINE_API_URL": "ftp://x"}, "TSUNAGU_LINE_API_URL"},
		{"bad invite ttl", "", map[string]string{"TSUNAGU_INVITE_TTL": "soon"}, "TSUNAGU_INVITE_TTL"},
		{"zero invite ttl", "", map[string]string{"TSUNAGU_INVITE_TTL": "0"}, "TSUNAGU_INVITE_TTL"},
		{"zero catch up", "", map[string]string{"TSUNAGU_CATCH_UP": "off"}, "TSUNAGU_CATCH_UP"},
		{"bad lang", "", map[string]string{"TSUNAGU_LANG": "fr"}, "TSUNAGU_LANG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(write(t, tt.file), true, env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to name %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
	t.Run("missing explicit file", func(t *testing.T) {
		if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), true, env(nil)); err == nil {
			t.Fatal("want an error")
		}
	})
}

func TestCheckServe(t *testing.T) {
	full := map[string]string{
		"TSUNAGU_LINE_CHANNEL_SECRET":  "s3cret-line",
		"TSUNAGU_LINE_CHANNEL_TOKEN":   "tok",
		"TSUNAGU_SLACK_BOT_TOKEN":      "xoxb-1",
		"TSUNAGU_SLACK_SIGNING_SECRET": "s3cret-slack",
		"TSUNAGU_SLACK_CHANNEL":        "C1",
		"TSUNAGU_SLACK_TEAM_ID":        "T1",
	}
	for name := range full {
		t.Run("missing "+name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range full {
				if k != name {
					e[k] = v
				}
			}
			c, err := Load(write(t, ""), true, env(e))
			if err != nil {
				t.Fatal(err)
			}
			err = c.CheckServe()
			if err == nil || !strings.HasPrefix(err.Error(), name) {
				t.Fatalf("err = %v, want it to name %s", err, name)
			}
			for _, v := range full {
				if strings.Contains(err.Error(), v) {
					t.Fatalf("error shows a secret: %v", err)
				}
			}
		})
	}
}
