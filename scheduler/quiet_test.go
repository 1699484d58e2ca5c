package scheduler

import (
	"testing"
	"time"
)

func TestQuietHoursIn(t *testing.T) {
	h := func(hh, mm int) time.Duration { return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute }
	night := QuietHours{Start: h(21, 0), End: h(8, 0), Location: tokyo} // across midnight
	lunch := QuietHours{Start: h(12, 0), End: h(13, 30), Location: tokyo}
	none := QuietHours{Start: h(21, 0), End: h(21, 0), Location: tokyo}
	zero := QuietHours{}
	utc := func(d, hh, mm int) time.Time { return time.Date(2025, 4, d, hh, mm, 0, 0, time.UTC) }
	cases := []struct {
		name string
		q    QuietHours
		at   time.Time
		want bool
	}{
		{"night: afternoon", night, jst(2025, 4, 4, 15, 0), false},
		{"night: just before start", night, jst(2025, 4, 4, 20, 59).Add(59*time.Second + 999*time.Millisecond), false},
		{"night: start is quiet", night, jst(2025, 4, 4, 21, 0), true},
		{"night: before midnight", night, jst(2025, 4, 4, 23, 59), true},
		{"night: midnight", night, jst(2025, 4, 5, 0, 0), true},
		{"night: early morning", night, jst(2025, 4, 5, 3, 0), true},
		{"night: just before end", night, jst(2025, 4, 5, 7, 59).Add(59 * time.Second), true},
		{"night: end is not quiet", night, jst(2025, 4, 5, 8, 0), false},
		{"night: morning", night, jst(2025, 4, 5, 9, 0), false},

		{"same day: before", lunch, jst(2025, 4, 4, 11, 59), false},
		{"same day: start", lunch, jst(2025, 4, 4, 12, 0), true},
		{"same day: inside", lunch, jst(2025, 4, 4, 13, 29), true},
		{"same day: end", lunch, jst(2025, 4, 4, 13, 30), false},
		{"same day: night", lunch, jst(2025, 4, 4, 23, 0), false},
		{"same day: midnight", lunch, jst(2025, 4, 4, 0, 0), false},

		{"start == end: never quiet at start", none, jst(2025, 4, 4, 21, 0), false},
		{"start == end: never quiet at night", none, jst(2025, 4, 4, 23, 0), false},
		{"zero value: never quiet", zero, jst(2025, 4, 4, 0, 0), false},

		// A UTC time is read in the window's zone: 12:30 UTC is 21:30 JST,
		// 23:00 UTC is 08:00 JST the next day, 22:59 UTC is 07:59 JST.
		{"UTC 12:30 is 21:30 in Tokyo", night, utc(4, 12, 30), true},
		{"UTC 11:59 is 20:59 in Tokyo", night, utc(4, 11, 59), false},
		{"UTC 22:59 is 07:59 in Tokyo", night, utc(4, 22, 59), true},
		{"UTC 23:00 is 08:00 in Tokyo", night, utc(4, 23, 0), false},
		{"UTC 03:00 is 12:00 in Tokyo", lunch, utc(4, 3, 0), true},
		{"UTC 12:00 is 21:00 in Tokyo, not lunch", lunch, utc(4, 12, 0), false},

		// Without a Location the time's own zone counts.
		{"no location: UTC time in UTC window", QuietHours{Start: h(21, 0), End: h(8, 0)}, utc(4, 22, 0), true},
		{"no location: Tokyo time in its own zone", QuietHours{Start: h(21, 0), End: h(8, 0)}, jst(2025, 4, 4, 12, 0), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.q.In(c.at); got != c.want {
				t.Errorf("%+v.In(%v) = %v, want %v", c.q, c.at, got, c.want)
			}
		})
	}
}

// Quiet hours follow the wall clock, not the time elapsed since local
// midnight: on a day the zone changes to or from summer time the two differ
// by the shift. TSUNAGU_TIMEZONE is configurable and the validator suggests
// zones with summer time (America/Los_Angeles, Europe/London); Japan has none.
func TestQuietHoursInFollowsWallClockOnDSTDays(t *testing.T) {
	la := mustLoad("America/Los_Angeles")
	q := QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour, Location: la}
	cases := []struct {
		name string
		at   time.Time
		want bool
	}{
		// 2025-03-09: 02:00 → 03:00, 08:30 is only 7h30m after midnight.
		{"spring forward: 08:30 is after the end", time.Date(2025, 3, 9, 8, 30, 0, 0, la), false},
		// 21:30 is only 20h30m after midnight.
		{"spring forward: 21:30 is quiet", time.Date(2025, 3, 9, 21, 30, 0, 0, la), true},
		// 2025-11-02: 02:00 → 01:00, 07:30 is 8h30m after midnight.
		{"fall back: 07:30 is still quiet", time.Date(2025, 11, 2, 7, 30, 0, 0, la), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := q.In(c.at); got != c.want {
				t.Errorf("In(%v) = %v, want %v (quiet hours 21:00–08:00 by the wall clock)", c.at, got, c.want)
			}
		})
	}
}
