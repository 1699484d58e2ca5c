package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestComposeFile: no Docker runs in CI, so the compose file is checked as
// data: Redis persists (AOF, everysec) on a volume and never evicts, and
// tsunagu reads that Redis and the flows where the image looks for them.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
			Healthcheck map[string]any    `yaml:"healthcheck"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	redis, ok := f.Services["redis"]
	if !ok {
		t.Fatal("no redis service")
	}
	cmd := strings.Join(redis.Command, " ")
	for _, want := range []string{"--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("redis command %q lacks %s", cmd, want)
		}
	}
	if !slices.Contains(redis.Volumes, "redis-data:/data") || f.Volumes == nil {
		t.Errorf("redis data is not on a named volume: %v", redis.Volumes)
	}
	if redis.Healthcheck == nil {
		t.Error("redis has no healthcheck for depends_on")
	}
	app, ok := f.Services["tsunagu"]
	if !ok {
		t.Fatal("no tsunagu service")
	}
	if got := app.Environment["TSUNAGU_REDIS_URL"]; got != "redis://redis:6379/0" {
		t.Errorf("TSUNAGU_REDIS_URL = %q", got)
	}
	if !slices.ContainsFunc(app.Volumes, func(v string) bool { return strings.Contains(v, ":/flows") }) {
		t.Errorf("flows are not mounted at /flows (the image's TSUNAGU_FLOWS_DIR): %v", app.Volumes)
	}
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(df), "TSUNAGU_FLOWS_DIR=/flows") {
		t.Error("the Dockerfile does not read flows from /flows")
	}
}
