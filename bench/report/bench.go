package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bench/internal/redisproc"
	"github.com/tsunagu/tsunagu/storage"
)

// Config is one benchmark run.
type Config struct {
	Members, Weeks, Alerts int
	Bin, Dir               string
	Log                    io.Writer
}

// Result is what a run measured.
type Result struct {
	Sessions, Open int
	Seed           time.Duration
	RedisBytes     int64
	Runs           []Measured
}

// Measured is one `tsunagu report` run.
type Measured struct {
	Format  string
	Time    time.Duration
	PeakRSS int64
	Bytes   int64
}

// The flow the check-ins are of: a choice and a scale, as the report
// counts them (flows/weekly.yaml written into the work directory).
const flowYAML = `id: bench-weekly
title: 毎週のチェックイン
schedule:
  - cron: "0 17 * * 5"
steps:
  - id: mood
    say: 今週は、どんな気分だった？
    choices:
      - {label: いい, value: good}
      - {label: ふつう, value: ok}
      - {label: よくない, value: bad}
  - id: sleep
    say: よく眠れた？
    scale: {min: 1, max: 5}
`

var tags = []string{"town-1", "town-2", "town-3", "town-4", "town-5", "town-6"}

// Run seeds a private Redis and times the report over it.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "tsunagu-report-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	flowsDir := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flowsDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(flowsDir, "weekly.yaml"), []byte(flowYAML), 0o644); err != nil {
		return nil, err
	}
	rs, err := redisproc.Start(dir)
	if err != nil {
		return nil, err
	}
	defer rs.Stop()
	store, err := storage.Open(rs.URL())
	if err != nil {
		return nil, err
	}
	defer store.Close()
	store.WithStats(func(flow, step string) storage.StatKind {
		return map[string]storage.StatKind{"mood": storage.StatChoice, "sleep": storage.StatScale}[step]
	}).WithJobs(func(string) bool { return true })

	res := &Result{}
	now := time.Now()
	start := time.Now()
	ids, err := seedMembers(ctx, store, cfg.Members)
	if err != nil {
		return nil, fmt.Errorf("seed members: %w", err)
	}
	fmt.Fprintf(cfg.Log, "seeded %d members in %.1f s\n", len(ids), time.Since(start).Seconds())
	if res.Sessions, err = seedSessions(ctx, store, ids, cfg.Weeks, now); err != nil {
		return nil, fmt.Errorf("seed sessions: %w", err)
	}
	fmt.Fprintf(cfg.Log, "counted %d sessions in %.1f s\n", res.Sessions, time.Since(start).Seconds())
	if res.Open, err = seedOpen(ctx, store, ids, now); err != nil {
		return nil, fmt.Errorf("seed open sessions: %w", err)
	}
	if err := seedAlerts(ctx, store, cfg.Alerts, cfg.Weeks, now); err != nil {
		return nil, fmt.Errorf("seed alerts: %w", err)
	}
	res.Seed = time.Since(start)
	res.RedisBytes, _ = rs.UsedMemory(ctx)

	bin := cfg.Bin
	if bin == "" {
		bin = filepath.Join(dir, "tsunagu")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/tsunagu/tsunagu/cmd/tsunagu").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("go build cmd/tsunagu: %v\n%s", err, out)
		}
	}
	since := now.AddDate(0, 0, -7*cfg.Weeks).Format("2006-01-02")
	for _, format := range []string{"md", "csv", "html"} {
		m, err := runReport(ctx, bin, dir, rs.URL(), flowsDir, since, format)
		if err != nil {
			return nil, err
		}
		res.Runs = append(res.Runs, m)
	}
	return res, nil
}

func familyCode(i int) string { return fmt.Sprintf("B%07d", i+1) }

// seedMembers imports one family per two members, tagged with one of six
// towns, and links the members through the storage API.
func seedMembers(ctx context.Context, store *storage.Store, n int) ([]string, error) {
	nfam := (n + 1) / 2
	fams := make([]tsunagu.Family, 0, 1000)
	for i := range nfam {
		fams = append(fams, tsunagu.Family{Code: familyCode(i), Tags: []string{tags[i%len(tags)]}})
		if len(fams) == cap(fams) || i == nfam-1 {
			if _, err := store.ImportFamilies(ctx, fams); err != nil {
				return nil, err
			}
			fams = fams[:0]
		}
	}
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				uid := fmt.Sprintf("U%032x", i+1)
				role := tsunagu.RoleChild
				if i%2 == 1 {
					role = tsunagu.RoleGuardian
				}
				m := &tsunagu.Member{ID: tsunagu.UserHash(uid), FamilyCode: familyCode(i / 2), Role: role, LineUserID: uid, LinkedAt: time.Now(), Consent: "yes"}
				ids[i] = m.ID
				if err := store.Apply(ctx, "", m.ID, func(*storage.State) (*storage.Change, error) { return &storage.Change{Member: m}, nil }); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	return ids, nil
}

// seedSessions counts a check-in a week per member, started on the same
// hour each week (a scheduled dispatch), 75 % answered.
func seedSessions(ctx context.Context, store *storage.Store, ids []string, weeks int, now time.Time) (int, error) {
	tagOf := make(map[string][]string, len(ids))
	for i, id := range ids {
		tagOf[id] = []string{tags[(i/2)%len(tags)]}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	moods := []tsunagu.Answer{{Value: "good", Label: "いい"}, {Value: "ok", Label: "ふつう"}, {Value: "bad", Label: "よくない"}}
	n := 0
	batch := make([]tsunagu.Session, 0, 5000)
	for w := weeks; w >= 1; w-- {
		at := now.AddDate(0, 0, -7*w).Truncate(time.Hour)
		for _, id := range ids {
			s := tsunagu.Session{MemberID: id, FlowID: "bench-weekly", Status: tsunagu.SessionMissed, StartedAt: at, UpdatedAt: at.Add(24 * time.Hour)}
			if rng.IntN(4) > 0 {
				s.Status, s.UpdatedAt = tsunagu.SessionCompleted, at.Add(time.Hour)
				s.Answers = map[string]tsunagu.Answer{"mood": moods[rng.IntN(3)], "sleep": {Value: strconv.Itoa(1 + rng.IntN(5))}}
			}
			batch = append(batch, s)
			if len(batch) == cap(batch) {
				if err := store.CountEnded(ctx, batch, tagOf); err != nil {
					return n, err
				}
				n += len(batch)
				batch = batch[:0]
			}
		}
	}
	if err := store.CountEnded(ctx, batch, tagOf); err != nil {
		return n, err
	}
	return n + len(batch), nil
}

// seedOpen leaves a fifth of the members with this week's check-in open.
func seedOpen(ctx context.Context, store *storage.Store, ids []string, now time.Time) (int, error) {
	n := 0
	for i, id := range ids {
		if i%5 != 0 {
			continue
		}
		s := &tsunagu.Session{ID: "open-" + id, MemberID: id, FlowID: "bench-weekly", Step: "mood", Status: tsunagu.SessionWaiting, StartedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
		if err := store.Apply(ctx, "", id, func(*storage.State) (*storage.Change, error) { return &storage.Change{Session: s}, nil }); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// seedAlerts raises alerts over the period; most are claimed after
// minutes to hours and resolved later, some stay open.
func seedAlerts(ctx context.Context, store *storage.Store, n, weeks int, now time.Time) error {
	rng := rand.New(rand.NewPCG(3, 4))
	sev := []tsunagu.Severity{tsunagu.SeverityUrgent, tsunagu.SeverityWarning, tsunagu.SeverityWarning, tsunagu.SeverityInfo}
	for i := range n {
		at := now.Add(-time.Duration(rng.Int64N(int64(weeks) * 7 * 24 * int64(time.Hour))))
		a := &tsunagu.Alert{ID: fmt.Sprintf("bench-%06d", i), Severity: sev[i%len(sev)], FamilyCode: familyCode(rng.IntN(max(1, n))), Reason: "bench", State: tsunagu.AlertOpen, CreatedAt: at}
		if err := store.RaiseAlert(ctx, a); err != nil {
			return err
		}
		if i%10 == 9 {
			continue
		}
		claimed := at.Add(time.Duration(1+rng.IntN(600)) * time.Minute)
		if _, err := store.ClaimAlert(ctx, a.ID, "U0BENCH", claimed); err != nil {
			return err
		}
		if _, err := store.ResolveAlert(ctx, a.ID, "U0BENCH", claimed.Add(time.Duration(1+rng.IntN(72))*time.Hour)); err != nil {
			return err
		}
	}
	return nil
}

// runReport runs `tsunagu report` over the period and measures it.
func runReport(ctx context.Context, bin, dir, redisURL, flowsDir, since, format string) (Measured, error) {
	out := filepath.Join(dir, "report."+format)
	cmd := exec.CommandContext(ctx, bin, "report", "--since", since, "--format", format, "--out", out)
	cmd.Env = []string{"TSUNAGU_REDIS_URL=" + redisURL, "TSUNAGU_FLOWS_DIR=" + flowsDir, "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	cmd.Stderr = io.Discard
	cmd.SysProcAttr = childAttr()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return Measured{}, fmt.Errorf("tsunagu report --format %s: %w", format, err)
	}
	m := Measured{Format: format, Time: time.Since(start), PeakRSS: peakRSS(cmd.ProcessState)}
	if st, err := os.Stat(out); err == nil {
		m.Bytes = st.Size()
	}
	return m, nil
}
