package flows

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows/risk"
)

// living checks what makes a flow run by itself: `schedule:`, `on:`,
// `expires_after:`, `reminders:`, `missed:`, `risk_words_extra:` and
// `risk_patterns:`.
func (r *reporter) living(f *Flow, sf *srcFlow) {
	for _, ss := range sf.schedules {
		if s, ok := r.schedule(ss); ok {
			f.Schedules = append(f.Schedules, s)
		}
	}
	f.OnEnrol = sf.onEnrol
	if f.OnEnrol && f.Step(ConsentStep) == nil {
		r.warnf(sf.at, hint("登録のときに始まるフロー (`on: enrol`) に同意のステップ (`id: consent`) がありません。同意をたずねないと、定期のチェックインは同意の確認なしに届きます。答えの `yes` か `agree` が同意です。",
			"This sign-up flow (`on: enrol`) has no consent step (`id: consent`): without one, scheduled check-ins go out with no consent asked. The answers `yes` and `agree` consent."),
			"on: enrol flow has no %q step", ConsentStep)
	}
	for _, k := range sf.keywords {
		if compact(k.s) == "" {
			r.errorf(k.at, hint("空のことばは使えません。", "A keyword cannot be empty."), "on: empty keyword")
			continue
		}
		f.Keywords = append(f.Keywords, k.s)
	}
	for _, w := range sf.riskWords {
		if compact(w.s) == "" {
			r.errorf(w.at, hint("空のことばは使えません。", "A risk word cannot be empty."), "risk_words_extra: empty word")
			continue
		}
		f.riskWords = append(f.riskWords, w.s)
		f.riskRules.Words = append(f.riskRules.Words, risk.ParseWord(w.s))
	}
	for _, p := range sf.riskPats {
		r.riskPattern(f, p)
	}

	f.ExpiresAfter = DefaultExpiresAfter
	if sf.expires.s != "" {
		if d, ok := r.duration(sf.expires, "expires_after"); ok {
			f.ExpiresAfter = d
		}
	}
	var prev *srcReminder
	for _, sr := range sf.reminders {
		r.checkMessageLen(sr.say, "say")
		d, ok := r.duration(sr.after, "after")
		if !ok {
			continue
		}
		switch {
		case d >= f.ExpiresAfter:
			r.errorf(sr.after.at, hint("リマインダーはセッションが期限切れ（`expires_after:` %s）になる前に送ります。`after:` を %s より短くするか、`expires_after:` をのばしてください。",
				"A reminder goes out before the session expires (`expires_after:` %s): make `after:` shorter than %s, or lengthen `expires_after:`.",
				formatDuration(f.ExpiresAfter), formatDuration(f.ExpiresAfter)),
				"reminder after %s is not before expires_after %s", formatDuration(d), formatDuration(f.ExpiresAfter))
		case len(f.Reminders) > 0 && d <= f.Reminders[len(f.Reminders)-1].After:
			r.errorf(sr.after.at, hint("リマインダーは送る順に、`after:` が短いものから並べてください（%d行目は %s）。",
				"List reminders in the order they go out, shortest `after:` first (line %d says %s).", prev.after.at.line, formatDuration(f.Reminders[len(f.Reminders)-1].After)),
				"reminder after %s is not after the one before it", formatDuration(d))
		}
		f.Reminders = append(f.Reminders, Reminder{After: d, Say: sr.say.s, SayIn: localized(sr.say)})
		prev = sr
	}

	if sm := sf.missed; sm != nil {
		m := &MissedRule{Severity: tsunagu.Severity(cmp.Or(sm.severity.s, string(tsunagu.SeverityWarning))), Note: sm.note.s}
		if sm.streak.s != "" {
			n, err := strconv.Atoi(sm.streak.s)
			if err != nil || n < 1 {
				r.errorf(sm.streak.at, hint("`streak:` には1以上の整数を書きます（例: `streak: 2` なら2回つづけて答えがないとき）。",
					"`streak:` takes a whole number of 1 or more (e.g. `streak: 2` for two missed in a row)."),
					"missed: bad `streak` %q", sm.streak.s)
			}
			m.Streak = n
		}
		if !m.Severity.Valid() {
			r.unknownSeverity(sm.severity)
		}
		if m.Note == "" {
			m.Note = "「" + f.Title + "」に" + strconv.Itoa(m.Streak) + "回つづけて答えがありません"
		}
		f.Missed = m
	}
}

// schedule parses one `schedule:` entry as the scheduler will, and warns
// about one that would nag families.
func (r *reporter) schedule(ss *srcSchedule) (Schedule, bool) {
	s := Schedule{Cron: ss.cron.s, Timezone: ss.timezone.s}
	if s.Cron == "" {
		return s, false // reported as missing
	}
	spec := s.Cron
	loc := time.UTC
	if s.Timezone != "" {
		l, err := time.LoadLocation(s.Timezone)
		if err != nil || strings.EqualFold(s.Timezone, "local") {
			h := hint("`timezone:` には `Asia/Tokyo` のようなタイムゾーン名を書きます。書かなければ設定（TSUNAGU_TIMEZONE、ふつうは Asia/Tokyo）になります。",
				"`timezone:` takes a zone name such as `Asia/Tokyo`; leave it out for the configured default (TSUNAGU_TIMEZONE, usually Asia/Tokyo).")
			if sug := closest(s.Timezone, commonZones); sug != "" {
				h = hint("もしかして `%s` ですか？", "Did you mean `%s`?", sug).and(h)
			}
			r.errorf(ss.timezone.at, h, "schedule: unknown timezone %q", s.Timezone)
			return s, false
		}
		loc = l
		spec = "CRON_TZ=" + s.Timezone + " " + spec
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		r.errorf(ss.cron.at, hint("cron は「分 時 日 月 曜日」の5つを空白で区切って書きます（曜日は0＝日曜〜6＝土曜）。例: 毎週金曜17時 `0 17 * * 5`、毎月1日10時 `0 10 1 * *`、`@weekly`。",
			"A cron has five fields separated by spaces: minute hour day-of-month month day-of-week (0 = Sunday). E.g. Fridays at 17:00 `0 17 * * 5`, the 1st of each month at 10:00 `0 10 1 * *`, `@weekly`."),
			"schedule: bad cron %q: %v", s.Cron, err)
		return s, false
	}
	s.Spec = sched
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	first := sched.Next(from)
	if first.IsZero() {
		r.errorf(ss.cron.at, hint("この cron に合う日時がありません（2月30日など）。日と月を確かめてください。",
			"No date matches this cron (like February 30th): check the day and month fields."),
			"schedule: cron %q never fires", s.Cron)
		return s, false
	}
	if gap := shortestGap(sched, first); gap < time.Hour {
		r.warnf(ss.cron.at, hint("%sごとに送ると、家庭には多すぎます。チェックインは多くても1時間に1回までにしてください（例: 毎週金曜17時 `0 17 * * 5`）。",
			"Sending every %s is far too often for families: at most once an hour (e.g. Fridays at 17:00 `0 17 * * 5`).", formatDuration(gap)),
			"schedule: cron %q fires every %s, more often than hourly", s.Cron, formatDuration(gap))
	}
	return s, true
}

// shortestGap is the shortest time between two firings of sched in the
// year after first (or its first 2,000 firings).
func shortestGap(sched cron.Schedule, first time.Time) time.Duration {
	gap := time.Duration(1<<63 - 1)
	t := first
	for range 2000 {
		n := sched.Next(t)
		if n.IsZero() || n.Sub(first) > 366*24*time.Hour {
			break
		}
		gap = min(gap, n.Sub(t))
		t = n
	}
	return gap
}

// commonZones are suggested for a misspelt timezone.
var commonZones = []string{"Asia/Tokyo", "UTC", "Asia/Seoul", "Asia/Shanghai", "Asia/Taipei", "Asia/Manila", "Asia/Bangkok",
	"Asia/Ho_Chi_Minh", "Asia/Jakarta", "Asia/Kolkata", "America/Sao_Paulo", "America/Los_Angeles", "Europe/London"}

// (?s): a YAML scalar may hold a line break, which must not make the
// pattern miss (a miss used to crash the loader).
var durationPattern = regexp.MustCompile(`(?s)^(?:([0-9]+)d)?(.*)$`)

// maxDays bounds the days of a duration, well below where they would
// overflow time.Duration.
const maxDays = 10000

// duration reads a length of time: Go's form (90m, 24h, 1h30m) plus whole
// days (3d, 2d12h).
func (r *reporter) duration(s str, key string) (time.Duration, bool) {
	d, err := parseDuration(s.s)
	if err != nil || d <= 0 {
		r.errorf(s.at, hint("`%s:` には時間の長さを書きます（例: `24h`＝24時間、`90m`＝90分、`3d`＝3日、`1d12h`）。",
			"`%s:` takes a length of time (e.g. `24h`, `90m`, `3d`, `1d12h`).", key),
			"`%s`: bad duration %q", key, s.s)
		return 0, false
	}
	return d, true
}

// parseDuration is time.ParseDuration with a leading number of days.
func parseDuration(s string) (time.Duration, error) {
	m := durationPattern.FindStringSubmatch(strings.TrimSpace(s))
	var days time.Duration
	if m[1] != "" {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return 0, err
		}
		if n > maxDays {
			return 0, fmt.Errorf("%d days is too long", n)
		}
		days = time.Duration(n) * 24 * time.Hour
		if m[2] == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(m[2])
	if err == nil && d > time.Duration(math.MaxInt64)-days {
		return 0, fmt.Errorf("%q is too long", s)
	}
	return days + d, err
}

// formatDuration writes d as a coordinator would: 3d, 36h, 90m.
func formatDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}

// riskPattern checks one `risk_patterns:` entry: a known category and a
// pattern the detector can compile (which loads the dictionary, once).
func (r *reporter) riskPattern(f *Flow, p str) {
	pat, err := risk.ParsePattern(p.s)
	if err == nil {
		err = risk.CheckPattern(pat.Pattern)
	}
	if err != nil {
		r.errorf(p.at, hint("パターンは「カテゴリ: ことば ことば …」と書きます（例: `bullying: 先生 に ... 殴る れる|られる`）。カテゴリは %s のどれかです。docs/risk.md を見てください。",
			"Write `category: word word …` (e.g. `bullying: 先生 に ... 殴る れる|られる`); the category is one of %s. See docs/risk.md.", riskCategories()),
			"risk_patterns: %v", err)
		return
	}
	f.riskRules.Patterns = append(f.riskRules.Patterns, pat)
}

func riskCategories() string {
	ids := make([]string, len(risk.Categories))
	for i, c := range risk.Categories {
		ids[i] = string(c)
	}
	return strings.Join(ids, ", ")
}
