package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu/flows/risk"
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
		{"risk pattern category", "risk:\n  patterns: [\"sad: 先生 に 怒る れる\"]\n", nil, "risk.patterns[0]"},
		{"risk empty word", "risk:\n  words: [\"runaway: \"]\n", nil, "risk.words[0]"},
		{"risk unknown rule", "risk:\n  remove: [runaway.nope]\n", nil, "risk.remove[0]"},
		{"risk safety key", "risk:\n  safety:\n    child: {sad: こんにちは}\n", nil, "risk.safety.child.sad"},
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

func TestRiskConfig(t *testing.T) {
	file := `risk_words: [死にたい, つらすぎ]
safety_message: 全部これ
risk:
  words: ["runaway: ネカフェ難民", しにたみ]
  patterns: ["いじめ: 先生 に ... 殴る れる|られる"]
  remove: [runaway.leave_home, たすけて]
  safety:
    child: {身体的虐待: たたかれていい人はいないよ, default: だいじょうぶ}
`
	c, err := Load(write(t, file), true, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	rc, safety, err := c.RiskConfig([]string{"死にたい"})
	if err != nil {
		t.Fatal(err)
	}
	want := []risk.Word{{Text: "つらすぎ", Category: risk.Other}, {Text: "ネカフェ難民", Category: risk.Runaway}, {Text: "しにたみ", Category: risk.Other}}
	if !slices.Equal(rc.Words, want) {
		t.Errorf("words = %+v, want %+v (risk_words minus the defaults, then risk.words)", rc.Words, want)
	}
	if len(rc.Patterns) != 1 || rc.Patterns[0].Category != risk.Bullying || len(rc.Remove) != 2 {
		t.Errorf("config = %+v", rc)
	}
	for _, tt := range []struct {
		c    risk.Category
		a    risk.Audience
		want string
	}{
		{risk.PhysicalAbuse, risk.Child, "たたかれていい人はいないよ"},
		{risk.Suicidal, risk.Child, "だいじょうぶ"},
		{risk.Suicidal, risk.Guardian, "全部これ"},
	} {
		if got := safety.Message(tt.c, tt.a); got != tt.want {
			t.Errorf("Message(%s, %s) = %q, want %q", tt.c, tt.a, got, tt.want)
		}
	}
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

// TestCheckServeAll: with nothing set, one error names every missing
// setting, so a first run lists all there is to do.
func TestCheckServeAll(t *testing.T) {
	c, err := Load(write(t, ""), true, env(map[string]string{"TSUNAGU_SLACK_CHANNEL": "C1"}))
	if err != nil {
		t.Fatal(err)
	}
	err = c.CheckServe()
	if err == nil {
		t.Fatal("no error with four settings missing")
	}
	for _, name := range []string{"TSUNAGU_LINE_CHANNEL_SECRET", "TSUNAGU_LINE_CHANNEL_TOKEN", "TSUNAGU_SLACK_BOT_TOKEN", "TSUNAGU_SLACK_SIGNING_SECRET"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%v: does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), "TSUNAGU_SLACK_CHANNEL") {
		t.Errorf("%v: names a setting that is set", err)
	}
}
