package risk

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// message500 is a 500-character message with nothing alarming in it, the
// worst case: every rule and phrase is tried.
var message500 = func() string {
	parts := []string{
		"今日は朝から雨で、学校に行くのがちょっとめんどうだった。",
		"でも一時間目の体育がバスケで、友達とチームになれてうれしかった。",
		"給食はカレーで、おかわりもした。午後は算数のテストがあって、むずかしかったけどがんばった。",
		"帰りにコンビニでアイスを買って、弟と公園で食べた。",
		"家に帰ってからはゲームを少しだけやって、宿題は半分くらい終わった。",
		"ママは仕事でおそかったから、おばあちゃんが夜ごはんを作ってくれた。",
		"ハンバーグがおいしかった😊 明日は部活の練習試合があるから早く寝る。",
	}
	var b strings.Builder
	for utf8.RuneCountInString(b.String()) < 500 {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	r := []rune(b.String())
	return string(r[:500])
}()

// BenchmarkCheck500 measures Check on a 500-character message: ns/op and
// allocations, and the 50th and 99th percentile of single calls as custom
// metrics (p50-ns, p99-ns), and CPU time per check (cpu-ns/op). The
// target is p99 under 1 ms. The dictionary is loaded before the timer
// starts.
//
//	go test -run '^$' -bench Check500 -benchmem ./flows/risk
func BenchmarkCheck500(b *testing.B) {
	benchCheck(b, message500)
}

// BenchmarkCheck500Risk is the same message with a risk sentence in the
// middle, so Check returns early.
func BenchmarkCheck500Risk(b *testing.B) {
	r := []rune(message500)
	benchCheck(b, string(r[:240])+"もう死にたい。"+string(r[240:493]))
}

// BenchmarkCheck100 is a typical answer's length: 100 characters.
func BenchmarkCheck100(b *testing.B) {
	benchCheck(b, string([]rune(message500)[:100]))
}

func benchCheck(b *testing.B, text string) {
	d, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	d.Check(text) // warm
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		d.Check(text)
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	// CPU time per check, which waiting for a busy machine's cores does
	// not inflate as it does wall-clock percentiles.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds()), "p99-ns")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
