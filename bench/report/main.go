// Command report benchmarks the programme report (issue 15): a private
// redis-server seeded with N members and a year of weekly check-ins
// (counted as sessions end, the way serve counts them), a year of alerts
// with claims and resolutions, and open sessions; then `tsunagu report`
// (built from this tree, run as a separate process) over the whole year
// in each format, timed, with its peak resident memory.
//
//	go run ./bench/report [-members 100000] [-weeks 52]
//
// See docs/benchmarks.md for the figures and what they mean.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Targets of issue 15.
const (
	targetTime = 10 * time.Second
	targetRSS  = 200_000_000 // bytes (decimal MB, the stricter reading)
)

func main() {
	var cfg Config
	flag.IntVar(&cfg.Members, "members", 100000, "linked members")
	flag.IntVar(&cfg.Weeks, "weeks", 52, "weeks of weekly check-ins before now")
	flag.IntVar(&cfg.Alerts, "alerts", 5000, "alerts over the period")
	flag.StringVar(&cfg.Bin, "bin", "", "a built tsunagu binary (default: go build ./cmd/tsunagu)")
	flag.StringVar(&cfg.Dir, "keep", "", "work in this `dir` and keep it (redis.log, the reports)")
	flag.Parse()
	cfg.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report bench:", err)
		os.Exit(1)
	}
	fmt.Printf("members %d, weeks %d, sessions counted %d, alerts %d, open sessions %d (seeding %.1f s)\n",
		cfg.Members, cfg.Weeks, res.Sessions, cfg.Alerts, res.Open, res.Seed.Seconds())
	fmt.Printf("redis used_memory after seeding: %.1f MB\n\n", float64(res.RedisBytes)/1e6)
	fmt.Printf("%-6s %10s %12s %10s  %s\n", "format", "time", "peak RSS", "output", "targets (< 10 s, < 200 MB)")
	for _, r := range res.Runs {
		ok := "ok"
		if r.Time >= targetTime || r.PeakRSS >= targetRSS {
			ok = "MISSED"
		}
		fmt.Printf("%-6s %8.2f s %9.1f MB %7.0f KB  %s\n", r.Format, r.Time.Seconds(), float64(r.PeakRSS)/1e6, float64(r.Bytes)/1e3, ok)
	}
}
