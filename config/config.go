// Package config loads tsunagu's settings from a YAML file and TSUNAGU_*
// environment variables (which win), fills in defaults and checks them.
package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/robfig/cron/v3"

	"github.com/tsunagu/tsunagu/flows/risk"
	"github.com/tsunagu/tsunagu/storage"
)

// Config is every setting tsunagu has.
type Config struct {
	Listen   string `yaml:"listen"`
	RedisURL string `yaml:"redis_url"`
	FlowsDir string `yaml:"flows_dir"`
	Timezone string `yaml:"timezone"`
	Lang     string `yaml:"lang"` // language of coordinator-facing hints: ja or en

	LINE  LINE  `yaml:"line"`
	Slack Slack `yaml:"slack"`

	InviteTTL     Duration `yaml:"invite_ttl"`
	RiskWords     []string `yaml:"risk_words"`     // words added to the built-in risk rules (category other)
	SafetyMessage string   `yaml:"safety_message"` // replaces every built-in safety reply when set
	Risk          Risk     `yaml:"risk"`           // the programme's risk words, patterns and replies
	Workers       int      `yaml:"workers"`        // LINE delivery workers per process

	QuietHours string   `yaml:"quiet_hours"` // "21:00-08:00": no pushes then; "off" for none
	CatchUp    Duration `yaml:"catch_up"`    // dispatch occurrences missed by less than this after downtime
	PushRate   float64  `yaml:"push_rate"`   // pushes per second, all replicas together
	// TakeOver is how long work stays with a worker that stopped answering
	// (a crashed replica) before another worker takes it over.
	TakeOver Duration `yaml:"takeover"`
	// Digest is when the weekly report goes to Slack (cron), "off" for never.
	Digest string `yaml:"digest"`

	// Retention is how long personal data is kept; the daily purge
	// deletes what is older.
	Retention Retention `yaml:"retention"`
	// EncryptionKey (base64 of 32 bytes) encrypts free text at rest;
	// EncryptionOldKeys are previous keys still accepted for reading,
	// separated by commas, while `tsunagu rekey` moves data to the new one.
	EncryptionKey     string `yaml:"encryption_key"`
	EncryptionOldKeys string `yaml:"encryption_old_keys"`
	// HashKey keys the pseudonyms of LINE user ids (member ids, logs).
	HashKey string `yaml:"hash_key"`
	// Organisations split the families, their alert channels and who may
	// act on them; none means one organisation (see access.go).
	Organisations []Organisation `yaml:"organisations"`
	Metrics       Metrics        `yaml:"metrics"`
	// Languages are what the programme says in languages other than
	// Japanese, by code (en, pt, vi…): risk words to watch for and the
	// safety message with helplines that answer in that language.
	Languages map[string]Language `yaml:"languages"`
	// RichMenu is the LINE rich menu (`tsunagu richmenu apply`).
	RichMenu *RichMenu `yaml:"rich_menu"`
}

// Language is the programme in one language other than Japanese. Risk
// words of every language are watched in every message (a Japanese
// speaker may write in English); the safety message goes in the member's.
type Language struct {
	RiskWords          []string `yaml:"risk_words"`           // added to the detector (as in risk.words: "word" or "category:word")
	SafetyMessage      string   `yaml:"safety_message"`       // to everyone who reads it
	SafetyMessageAdult string   `yaml:"safety_message_adult"` // to a guardian; default: SafetyMessage
	// Safety are replies per category, as under risk.safety.
	Safety struct {
		Child    map[string]string `yaml:"child"`
		Guardian map[string]string `yaml:"guardian"`
	} `yaml:"safety"`
}

// Retention is how long each kind of record is kept; 0 ("off") keeps it
// for ever.
type Retention struct {
	Answers  Duration `yaml:"answers"`  // ended check-ins: answers and free text
	Alerts   Duration `yaml:"alerts"`   // resolved alerts, from their resolution
	Unlinked Duration `yaml:"unlinked"` // what is kept of a member after unlinking
	Audit    Duration `yaml:"audit"`    // the audit log
}

// Metrics says where GET /metrics is served: on Listen of its own, or on
// the main address behind Token. Neither means it is not served.
type Metrics struct {
	Listen string `yaml:"listen"`
	Token  string `yaml:"token"`
}

// Risk is the `risk:` section: what a programme changes in risk detection
// (package flows/risk; docs/risk.md). Words and patterns may start with a
// category: "runaway: 家出", "bullying: 先生 に ... 殴る れる|られる".
type Risk struct {
	Words    []string `yaml:"words"`    // surface words added (slang, local words)
	Patterns []string `yaml:"patterns"` // patterns on base forms added
	Remove   []string `yaml:"remove"`   // built-in rules (by id) or phrases turned off
	// Safety replaces the safety replies per audience and category
	// ("default" for the categories not listed).
	Safety struct {
		Child    map[string]string `yaml:"child"`
		Guardian map[string]string `yaml:"guardian"`
	} `yaml:"safety"`
}

// LINE is the Messaging API channel.
type LINE struct {
	ChannelSecret string `yaml:"channel_secret"`
	ChannelToken  string `yaml:"channel_token"`
	APIURL        string `yaml:"api_url"`
	BasicID       string `yaml:"basic_id"` // the bot's basic id (@xxxx) for invite links
}

// Slack is the Slack app.
type Slack struct {
	BotToken      string `yaml:"bot_token"`
	SigningSecret string `yaml:"signing_secret"`
	Channel       string `yaml:"channel"`
	APIURL        string `yaml:"api_url"`
	// OnCall is who an unclaimed urgent alert's escalation mentions: a user
	// group id (S…) or user ids (U…), separated by spaces.
	OnCall        string   `yaml:"oncall"`
	EscalateAfter Duration `yaml:"escalate_after"` // urgent alerts unclaimed this long are escalated; 0 never
	ThreadWindow  Duration `yaml:"thread_window"`  // a family's alerts within this go into one thread
	Coalesce      Duration `yaml:"coalesce"`       // a family's alerts within this join one message
	// Routes send some alerts to channels of their own; the first that
	// matches wins, the rest go to Channel.
	Routes []Route `yaml:"routes"`

	// TeamID is the workspace whose requests are served; AppID, when set,
	// the app. Requests from anything else are refused.
	TeamID string `yaml:"team_id"`
	AppID  string `yaml:"app_id"`
	// Supporters may act on the families of no organisation (all families
	// without organisations): user ids U… or user groups S…; empty means
	// anyone of the workspace, from the alert channels only.
	Supporters IDList `yaml:"supporters"`
	// Admins may act on every family, from any configured channel.
	Admins IDList `yaml:"admins"`
}

// Organisation is one of several organisations sharing the workspace: the
// families with any of Tags (the first organisation that has one of a
// family's tags), the channel their alerts go to, and who may act on them.
type Organisation struct {
	ID         string   `yaml:"id"`
	Tags       []string `yaml:"tags"`
	Channel    string   `yaml:"channel"`
	Supporters IDList   `yaml:"supporters"`
}

// IDList is a list of Slack ids, written in YAML as a list or in the
// environment as "U0AAA S0BBB" (spaces or commas).
type IDList []string

func (l *IDList) UnmarshalYAML(b []byte) error {
	var list []string
	if err := yaml.Unmarshal(b, &list); err == nil {
		*l = list
		return nil
	}
	var one string
	if err := yaml.Unmarshal(b, &one); err != nil {
		return fmt.Errorf("write Slack ids as a list such as [U0AAA, S0BBB]")
	}
	*l = splitIDs(one)
	return nil
}

func splitIDs(s string) IDList {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// Route sends the alerts of families with any of Tags (any family when
// empty) and of any of Severities (any when empty) to Channel.
type Route struct {
	Tags       []string `yaml:"tags"`
	Severities []string `yaml:"severity"`
	Channel    string   `yaml:"channel"`
}

// Duration is a time.Duration written as "336h" or "14d".
type Duration time.Duration

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	if s == "off" || s == "0" {
		return 0, nil // for the settings where none makes sense; check() refuses it elsewhere
	}
	if years, ok := strings.CutSuffix(s, "y"); ok {
		var n int
		if _, err := fmt.Sscanf(years, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != years {
			return 0, fmt.Errorf("%q is not a duration such as 3y, 365d or 336h", s)
		}
		return time.Duration(n) * 365 * 24 * time.Hour, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n <= 0 || n > 10000 || fmt.Sprint(n) != days { // 10000 days: far from overflowing
			return 0, fmt.Errorf("%q is not a duration such as 14d or 336h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration such as 14d or 336h", s)
	}
	return d, nil
}

// Defaults are the settings before file and environment.
func Defaults() Config {
	return Config{
		Listen:     ":8080",
		RedisURL:   "redis://127.0.0.1:6379/0",
		FlowsDir:   "examples/flows",
		Timezone:   "Asia/Tokyo",
		Lang:       "ja",
		InviteTTL:  Duration(14 * 24 * time.Hour),
		Workers:    4,
		QuietHours: "21:00-08:00",
		CatchUp:    Duration(6 * time.Hour),
		PushRate:   1000,
		TakeOver:   Duration(30 * time.Second),
		Digest:     "0 9 * * 1",
		Retention: Retention{
			Answers:  Duration(3 * 365 * 24 * time.Hour),
			Alerts:   Duration(365 * 24 * time.Hour),
			Unlinked: Duration(90 * 24 * time.Hour),
			Audit:    Duration(3 * 365 * 24 * time.Hour),
		},
		Slack: Slack{
			EscalateAfter: Duration(15 * time.Minute),
			ThreadWindow:  Duration(7 * 24 * time.Hour),
			Coalesce:      Duration(time.Minute),
		},
	}
}

// env lists each environment variable and the setting it overrides.
func (c *Config) env() []struct {
	name string
	dst  *string
} {
	return []struct {
		name string
		dst  *string
	}{
		{"TSUNAGU_LISTEN", &c.Listen},
		{"TSUNAGU_REDIS_URL", &c.RedisURL},
		{"TSUNAGU_FLOWS_DIR", &c.FlowsDir},
		{"TSUNAGU_TIMEZONE", &c.Timezone},
		{"TSUNAGU_LANG", &c.Lang},
		{"TSUNAGU_LINE_CHANNEL_SECRET", &c.LINE.ChannelSecret},
		{"TSUNAGU_LINE_CHANNEL_TOKEN", &c.LINE.ChannelToken},
		{"TSUNAGU_LINE_API_URL", &c.LINE.APIURL},
		{"TSUNAGU_LINE_BASIC_ID", &c.LINE.BasicID},
		{"TSUNAGU_SLACK_BOT_TOKEN", &c.Slack.BotToken},
		{"TSUNAGU_SLACK_SIGNING_SECRET", &c.Slack.SigningSecret},
		{"TSUNAGU_SLACK_CHANNEL", &c.Slack.Channel},
		{"TSUNAGU_SLACK_API_URL", &c.Slack.APIURL},
		{"TSUNAGU_QUIET_HOURS", &c.QuietHours},
		{"TSUNAGU_SLACK_ONCALL", &c.Slack.OnCall},
		{"TSUNAGU_DIGEST", &c.Digest},
		{"TSUNAGU_ENCRYPTION_KEY", &c.EncryptionKey},
		{"TSUNAGU_ENCRYPTION_OLD_KEYS", &c.EncryptionOldKeys},
		{"TSUNAGU_HASH_KEY", &c.HashKey},
		{"TSUNAGU_SLACK_TEAM_ID", &c.Slack.TeamID},
		{"TSUNAGU_SLACK_APP_ID", &c.Slack.AppID},
		{"TSUNAGU_METRICS_LISTEN", &c.Metrics.Listen},
		{"TSUNAGU_METRICS_TOKEN", &c.Metrics.Token},
	}
}

// Load reads the file at path (none when path is "" and tsunagu.yaml does
// not exist), then the environment, and checks what every command needs.
// explicit says the path was given on the command line, so a missing file is
// an error rather than a reason to use defaults.
func Load(path string, explicit bool, getenv func(string) string) (Config, error) {
	c := Defaults()
	if path == "" {
		path = "tsunagu.yaml"
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(bytes.TrimSpace(b)) == 0 {
			break // an empty file means defaults
		}
		dec := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField())
		if err := dec.Decode(&c); err != nil {
			// Without the source lines: they may hold a secret.
			return c, fmt.Errorf("config %s: %s", path, oneLine(yaml.FormatError(err, false, false)))
		}
	case explicit || !errors.Is(err, os.ErrNotExist):
		return c, fmt.Errorf("config: %w", err)
	}
	for _, e := range c.env() {
		if v := getenv(e.name); v != "" {
			*e.dst = v
		}
	}
	for _, l := range []struct {
		name string
		dst  *IDList
	}{{"TSUNAGU_SLACK_SUPPORTERS", &c.Slack.Supporters}, {"TSUNAGU_SLACK_ADMINS", &c.Slack.Admins}} {
		if v := getenv(l.name); v != "" {
			*l.dst = splitIDs(v)
		}
	}
	for _, d := range []struct {
		name string
		dst  *Duration
	}{{"TSUNAGU_INVITE_TTL", &c.InviteTTL}, {"TSUNAGU_CATCH_UP", &c.CatchUp}, {"TSUNAGU_TAKEOVER", &c.TakeOver},
		{"TSUNAGU_ESCALATE_AFTER", &c.Slack.EscalateAfter}, {"TSUNAGU_THREAD_WINDOW", &c.Slack.ThreadWindow},
		{"TSUNAGU_COALESCE", &c.Slack.Coalesce},
		{"TSUNAGU_RETENTION_ANSWERS", &c.Retention.Answers}, {"TSUNAGU_RETENTION_ALERTS", &c.Retention.Alerts},
		{"TSUNAGU_RETENTION_UNLINKED", &c.Retention.Unlinked}, {"TSUNAGU_RETENTION_AUDIT", &c.Retention.Audit}} {
		if v := getenv(d.name); v != "" {
			v, err := parseDuration(v)
			if err != nil {
				return c, fmt.Errorf("%s: %v", d.name, err)
			}
			*d.dst = Duration(v)
		}
	}
	return c, c.check()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// check validates what every command needs.
func (c *Config) check() error {
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("TSUNAGU_TIMEZONE: unknown time zone %q", c.Timezone)
	}
	if err := checkRedisURL(c.RedisURL); err != nil {
		return fmt.Errorf("TSUNAGU_REDIS_URL: %w", err)
	}
	if c.Lang != "ja" && c.Lang != "en" {
		return fmt.Errorf("TSUNAGU_LANG: must be ja or en, not %q", c.Lang)
	}
	for _, u := range []struct{ name, v string }{
		{"TSUNAGU_LINE_API_URL", c.LINE.APIURL}, {"TSUNAGU_SLACK_API_URL", c.Slack.APIURL},
	} {
		if u.v != "" && !strings.HasPrefix(u.v, "http://") && !strings.HasPrefix(u.v, "https://") {
			return fmt.Errorf("%s: must be an http:// or https:// URL", u.name)
		}
	}
	if c.Workers < 1 {
		return fmt.Errorf("workers: must be at least 1")
	}
	for code := range c.Languages {
		if !validLanguage(code) {
			return fmt.Errorf("languages: %q is not a language code such as en, pt or vi", code)
		}
	}
	if err := c.RichMenu.check(); err != nil {
		return fmt.Errorf("rich_menu: %w", err)
	}
	if err := c.Risk.check(); err != nil {
		return err
	}
	for i, r := range c.Slack.Routes {
		if r.Channel == "" {
			return fmt.Errorf("slack.routes[%d]: channel is required", i)
		}
		for _, sev := range r.Severities {
			if sev != "info" && sev != "warning" && sev != "urgent" {
				return fmt.Errorf("slack.routes[%d]: severity %q: use info, warning or urgent", i, sev)
			}
		}
	}
	if c.InviteTTL <= 0 {
		return fmt.Errorf("TSUNAGU_INVITE_TTL: must be more than 0, such as 14d")
	}
	if c.TakeOver < Duration(time.Second) {
		return fmt.Errorf("TSUNAGU_TAKEOVER: must be at least 1s")
	}
	if c.Digest != "off" && c.Digest != "" {
		if _, err := cron.ParseStandard(c.Digest); err != nil {
			return fmt.Errorf("TSUNAGU_DIGEST: %q is not a schedule such as \"0 9 * * 1\" (Mondays 09:00), or off", c.Digest)
		}
	}
	if time.Duration(c.CatchUp) < time.Minute {
		return fmt.Errorf("TSUNAGU_CATCH_UP: must be at least 1m, or scheduled check-ins would be skipped as late")
	}
	if c.PushRate <= 0 {
		return fmt.Errorf("push_rate: must be more than 0 (LINE allows 2,000 a second)")
	}
	if _, _, err := ParseQuietHours(c.QuietHours); err != nil {
		return fmt.Errorf("TSUNAGU_QUIET_HOURS: %v", err)
	}
	if err := c.checkData(); err != nil {
		return err
	}
	return c.checkAccess()
}

// checkData validates the personal-data settings; errors name the
// setting, never the secret.
func (c *Config) checkData() error {
	keys := []string{c.EncryptionKey}
	keys = append(keys, strings.FieldsFunc(c.EncryptionOldKeys, func(r rune) bool { return r == ',' || r == ' ' })...)
	for i, k := range keys {
		if i == 0 && k == "" {
			if strings.TrimSpace(c.EncryptionOldKeys) != "" {
				return fmt.Errorf("TSUNAGU_ENCRYPTION_OLD_KEYS: set only with TSUNAGU_ENCRYPTION_KEY")
			}
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k)); err != nil || len(b) != 32 {
			name := "TSUNAGU_ENCRYPTION_KEY"
			if i > 0 {
				name = fmt.Sprintf("TSUNAGU_ENCRYPTION_OLD_KEYS (key %d)", i)
			}
			return fmt.Errorf("%s: must be base64 of 32 random bytes (openssl rand -base64 32)", name)
		}
	}
	if c.HashKey != "" && len(c.HashKey) < 16 {
		return fmt.Errorf("TSUNAGU_HASH_KEY: must be at least 16 characters (openssl rand -base64 32)")
	}
	for _, r := range []struct {
		name string
		d    Duration
	}{{"retention.answers", c.Retention.Answers}, {"retention.alerts", c.Retention.Alerts}, {"retention.unlinked", c.Retention.Unlinked}, {"retention.audit", c.Retention.Audit}} {
		if r.d != 0 && r.d < Duration(24*time.Hour) {
			return fmt.Errorf("%s: must be at least 1d, or off to keep for ever", r.name)
		}
	}
	return nil
}

// CheckServe validates what `tsunagu serve` needs on top: the LINE channel
// and the Slack app. The error names every missing setting at once, so one
// run tells the operator all there is to set; never a value.
func (c *Config) CheckServe() error {
	var missing []string
	for _, s := range []struct{ name, v string }{
		{"TSUNAGU_LINE_CHANNEL_SECRET", c.LINE.ChannelSecret},
		{"TSUNAGU_LINE_CHANNEL_TOKEN", c.LINE.ChannelToken},
		{"TSUNAGU_SLACK_BOT_TOKEN", c.Slack.BotToken},
		{"TSUNAGU_SLACK_SIGNING_SECRET", c.Slack.SigningSecret},
		{"TSUNAGU_SLACK_CHANNEL", c.Slack.Channel},
		{"TSUNAGU_SLACK_TEAM_ID", c.Slack.TeamID},
	} {
		if strings.TrimSpace(s.v) == "" {
			missing = append(missing, s.name)
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s is required for serve (set it in the environment or in tsunagu.yaml)", missing[0])
	}
	return fmt.Errorf("%s and %s are required for serve (set them in the environment or in tsunagu.yaml; see tsunagu.example.yaml)",
		strings.Join(missing[:len(missing)-1], ", "), missing[len(missing)-1])
}

// Location is the configured time zone.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC // check() refuses this earlier
	}
	return loc
}

// ParseQuietHours reads "21:00-08:00" into the times of day it starts and
// ends; "" and "off" mean no quiet hours (start == end).
func ParseQuietHours(s string) (start, end time.Duration, err error) {
	if s == "" || s == "off" {
		return 0, 0, nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q: write quiet hours as 21:00-08:00, or off", s)
	}
	if start, err = timeOfDay(from); err != nil {
		return 0, 0, err
	}
	if end, err = timeOfDay(to); err != nil {
		return 0, 0, err
	}
	return start, end, nil
}

func timeOfDay(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time such as 21:00", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

var languagePattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z]{2,4})?$`)

func validLanguage(code string) bool { return languagePattern.MatchString(code) }

// checkRedisURL accepts what storage.Open can open, and refuses Cluster at
// load, so that every command stops with one line rather than serve
// failing later. Errors never quote the URL: it may hold a password.
func checkRedisURL(s string) error {
	u, err := storage.ParseRedisURL(s)
	if err != nil {
		return err
	}
	if u.Kind == storage.KindCluster {
		return storage.ErrClusterUnsupported
	}
	return nil
}

// check reports the first thing in the risk section that cannot work. A
// pattern's words are checked when the detector is built (that needs the
// dictionary); its category is checked here.
func (r *Risk) check() error {
	for i, p := range r.Patterns {
		if _, err := risk.ParsePattern(p); err != nil {
			return fmt.Errorf("risk.patterns[%d]: %v", i, err)
		}
	}
	for i, w := range r.Words {
		if risk.Compact(risk.ParseWord(w).Text) == "" {
			return fmt.Errorf("risk.words[%d]: empty word", i)
		}
	}
	ids := risk.RuleIDs()
	for i, id := range r.Remove {
		if strings.Contains(id, ".") && !slices.Contains(ids, id) {
			return fmt.Errorf("risk.remove[%d]: no built-in rule %q (rules: %s)", i, id, strings.Join(ids, ", "))
		}
	}
	for audience, m := range map[string]map[string]string{"child": r.Safety.Child, "guardian": r.Safety.Guardian} {
		for k, msg := range m {
			if _, ok := risk.ParseCategory(k); !ok && k != "default" {
				return fmt.Errorf("risk.safety.%s.%s: not a category (use default or a category id)", audience, k)
			}
			if strings.TrimSpace(msg) == "" {
				return fmt.Errorf("risk.safety.%s.%s: empty message", audience, k)
			}
		}
	}
	return nil
}

// RiskConfig is the detector configuration and the safety replies the
// settings describe: `risk:`, and the older `risk_words` and
// `safety_message`, which still work. defaults are words the built-in
// rules already cover (flows.DefaultRiskWords), left out.
func (c *Config) RiskConfig(defaults []string) (risk.Config, risk.Safety, error) {
	var rc risk.Config
	for _, w := range c.RiskWords {
		if risk.Compact(w) != "" && !slices.Contains(defaults, w) {
			rc.Words = append(rc.Words, risk.Word{Text: w, Category: risk.Other})
		}
	}
	for _, w := range c.Risk.Words {
		rc.Words = append(rc.Words, risk.ParseWord(w))
	}
	for i, s := range c.Risk.Patterns {
		p, err := risk.ParsePattern(s)
		if err != nil {
			return rc, risk.Safety{}, fmt.Errorf("risk.patterns[%d]: %v", i, err)
		}
		rc.Patterns = append(rc.Patterns, p)
	}
	rc.Remove = c.Risk.Remove
	safety := risk.Safety{All: c.SafetyMessage, Child: canonical(c.Risk.Safety.Child), Guardian: canonical(c.Risk.Safety.Guardian)}
	// Other languages: their words join the one detector, their replies
	// go to members who read them (risk.Safety.In).
	for code, l := range c.Languages {
		for _, w := range l.RiskWords {
			rc.Words = append(rc.Words, risk.ParseWord(w))
		}
		if l.SafetyMessage == "" && len(l.Safety.Child) == 0 && len(l.Safety.Guardian) == 0 {
			continue
		}
		if safety.Langs == nil {
			safety.Langs = map[string]risk.Safety{}
		}
		safety.Langs[code] = risk.Safety{
			All:      l.SafetyMessage,
			Child:    canonical(l.Safety.Child),
			Guardian: canonical(withDefault(l.Safety.Guardian, l.SafetyMessageAdult)),
		}
	}
	return rc, safety, nil
}

// canonical keys safety replies by category id (a label such as 希死念慮
// is accepted in the file).
func canonical(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if cat, ok := risk.ParseCategory(k); ok {
			k = string(cat)
		}
		out[k] = v
	}
	return out
}

func withDefault(m map[string]string, msg string) map[string]string {
	if msg == "" {
		return m
	}
	out := map[string]string{"default": msg}
	for k, v := range m {
		out[k] = v
	}
	return out
}
