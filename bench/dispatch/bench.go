package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bench/internal/redisproc"
	"github.com/tsunagu/tsunagu/bot"
	"github.com/tsunagu/tsunagu/scheduler"
	"github.com/tsunagu/tsunagu/storage"
)

// Config is one run of the benchmark.
type Config struct {
	Members   int     // linked members to dispatch to
	PerFamily int     // members per family (1: every member its own family)
	Rate      float64 // the fake LINE's limit, requests per second
	PushRate  float64 // serve's push_rate
	Workers   int     // serve's LINE delivery workers (0: serve's default)
	Bin       string  // a built tsunagu binary; "" builds cmd/tsunagu
	Dir       string  // working directory; "" for a temporary one, removed after
	Grace     time.Duration
	Log       io.Writer // progress lines; nil for none
}

// Result is what one run measured.
type Result struct {
	Config Config

	Seed       time.Duration
	Enqueue    time.Duration // queue → dispatch result saved (every session and outbox entry committed)
	Deliver    time.Duration // queue → the fake LINE has seen every distinct retry key
	Expected   time.Duration // members ÷ the effective rate
	PushWindow time.Duration // first accepted push → last
	Counts     map[string]int

	OutboxAtEnqueue int64 // entries still undelivered when the dispatch result appeared
	OutboxAtEnd     int64
	TimersAtEnd     int64

	Mem0, Mem1, Mem2, Mem3 int64 // used_memory: before seeding, after seeding, at enqueue, after delivery
	RedisPeak              int64
	ResultKeyBytes         int64            // the saved dispatch result (`send` only; a scheduled occurrence saves none)
	KeyBytes               map[string]int64 // MEMORY USAGE of one member's keys and of the shared keys

	Line         counts
	ServePeakRSS int64
	ServeRSS     int64
	ServeWarns   int
	ServeErrors  int
	ServeProblem []string
	ServeExit    error

	RedisVersion string
	Dir          string
}

// DispatchBytesPerMember is what the dispatch added per member, after
// delivery (sessions, timers, event keys, the emptied outbox).
func (r *Result) DispatchBytesPerMember() float64 {
	return float64(r.Mem3-r.Mem1) / float64(r.Config.Members)
}

// StateBytesPerMember is all of a member's state after the dispatch: the
// roster entry and what the dispatch added.
func (r *Result) StateBytesPerMember() float64 {
	return float64(r.Mem3-r.Mem0) / float64(r.Config.Members)
}

// PeakBytesPerMember is the state per member while the outbox still held
// most of the occurrence (when the dispatch result appeared).
func (r *Result) PeakBytesPerMember() float64 {
	return float64(r.Mem2-r.Mem0) / float64(r.Config.Members)
}

// Run runs the benchmark once and stops everything it started.
func Run(ctx context.Context, cfg Config) (_ *Result, err error) {
	if cfg.Members < 1 || cfg.Rate <= 0 || cfg.PushRate <= 0 {
		return nil, errors.New("members, rate and push-rate must be positive")
	}
	cfg.PerFamily = max(cfg.PerFamily, 1)
	if cfg.Grace == 0 {
		cfg.Grace = 2 * time.Second
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
		}
	}
	res := &Result{Config: cfg, KeyBytes: map[string]int64{}}

	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "tsunagu-bench-"); err != nil {
			return res, err
		}
		defer os.RemoveAll(dir)
	}
	res.Dir = dir

	rs, err := redisproc.Start(dir)
	if err != nil {
		return res, err
	}
	defer rs.Stop()
	res.RedisVersion = rs.Version(ctx)
	logf("redis-server %s on %s", res.RedisVersion, rs.URL())

	line := newFakeLINE(channelToken, cfg.Rate, cfg.Members)
	if err := line.start(); err != nil {
		return res, err
	}
	defer line.close()

	bin := cfg.Bin
	if bin == "" {
		logf("building cmd/tsunagu")
		if bin, err = buildServe(dir); err != nil {
			return res, err
		}
	}
	conf, err := writeConfig(dir, rs.URL(), line.URL(), line.SlackURL(), cfg.PushRate, cfg.Workers)
	if err != nil {
		return res, err
	}
	serve, err := startServe(bin, conf, filepath.Join(dir, "serve.log"))
	if err != nil {
		return res, err
	}
	defer func() {
		if serr := serve.stop(); serr != nil && res.ServeExit == nil {
			res.ServeExit = serr
		}
		res.ServeWarns, res.ServeErrors, _ = serve.logCounts()
		res.ServeProblem = serve.problems()
	}()
	addr, err := serve.waitUp(30 * time.Second)
	if err != nil {
		return res, err
	}
	logf("tsunagu serve (pid %d) on %s, push_rate %g, fake LINE limit %g/s", serve.pid(), addr, cfg.PushRate, cfg.Rate)

	store, err := storage.Open(rs.URL())
	store = store.WithJobs(scheduler.Quiet)
	if err != nil {
		return res, err
	}
	defer store.Close()

	if res.Mem0, err = rs.UsedMemory(ctx); err != nil {
		return res, err
	}
	logf("seeding %d members in %d families", cfg.Members, (cfg.Members+cfg.PerFamily-1)/cfg.PerFamily)
	start := time.Now()
	firstID, err := seed(ctx, store, cfg.Members, cfg.PerFamily)
	if err != nil {
		return res, fmt.Errorf("seed: %w", err)
	}
	res.Seed = time.Since(start)
	if res.Mem1, err = rs.UsedMemory(ctx); err != nil {
		return res, err
	}
	logf("seeded in %s", res.Seed.Round(time.Millisecond))

	// Queue the occurrence as `tsunagu send` does, for every family.
	key := bot.NewID()
	t0 := time.Now()
	if err := store.AddTimers(ctx, storage.Timer{Kind: scheduler.JobDispatch, Due: t0, FlowID: benchFlowID, Key: key}); err != nil {
		return res, err
	}
	logf("dispatch queued (key %s)", key)
	raw, err := waitResult(ctx, store, key, serve, 60*time.Second+time.Duration(cfg.Members)*time.Millisecond)
	if err != nil {
		return res, err
	}
	res.Enqueue = time.Since(t0)
	res.OutboxAtEnqueue, _ = store.LineOutbox().Len(ctx)
	res.Mem2, _ = rs.UsedMemory(ctx)
	var dr bot.DispatchResult
	if err := json.Unmarshal(raw, &dr); err != nil {
		return res, fmt.Errorf("decode dispatch result: %w", err)
	}
	res.Counts = dr.Counts
	if dr.Error != "" {
		return res, fmt.Errorf("dispatch failed: %s", dr.Error)
	}
	logf("enqueued in %s: %v (%d still in the outbox)", res.Enqueue.Round(time.Millisecond), dr.Counts, res.OutboxAtEnqueue)

	rateEff := min(cfg.PushRate, cfg.Rate)
	res.Expected = time.Duration(float64(cfg.Members) / rateEff * float64(time.Second))
	limit := 3*res.Expected + 60*time.Second
	if err := waitDelivered(ctx, line, serve, limit, logf); err != nil {
		res.Line = line.counts()
		return res, err
	}
	c := line.counts()
	res.Deliver = c.DoneAt.Sub(t0)
	res.PushWindow = c.Last.Sub(c.First)
	logf("delivered in %s", res.Deliver.Round(time.Millisecond))

	// Let the senders mark the last jobs done, then watch a little longer
	// for any push that comes twice.
	drain := time.Now().Add(10 * time.Second)
	for time.Now().Before(drain) {
		if n, err := store.LineOutbox().Len(ctx); err == nil && n == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(cfg.Grace)
	res.Line = line.counts()
	res.OutboxAtEnd, _ = store.LineOutbox().Len(ctx)
	res.TimersAtEnd, _ = store.PendingTimers(ctx)
	res.Mem3, _ = rs.UsedMemory(ctx)
	if v, err := parseInt(rs.Info(ctx, "memory")["used_memory_peak"]); err == nil {
		res.RedisPeak = v
	}
	res.ServePeakRSS, res.ServeRSS, err = procMemory(serve.pid())
	if err != nil {
		logf("peak RSS unknown: %v", err)
	}
	measureKeys(ctx, rs, res, key, firstID)
	return res, nil
}

// seed puts the roster in Redis through the storage API, as `families
// import` and enrolment do: families in batches, then each member linked by
// an Apply of its own, many at a time.
func seed(ctx context.Context, store *storage.Store, n, perFamily int) (firstID string, err error) {
	nfam := (n + perFamily - 1) / perFamily
	fams := make([]tsunagu.Family, 0, 1000)
	for i := range nfam {
		fams = append(fams, tsunagu.Family{Code: familyCode(i)})
		if len(fams) == cap(fams) || i == nfam-1 {
			if _, err := store.ImportFamilies(ctx, fams); err != nil {
				return "", err
			}
			fams = fams[:0]
		}
	}
	now := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				uid := fmt.Sprintf("U%032x", i+1)
				m := &tsunagu.Member{
					ID: tsunagu.UserHash(uid), FamilyCode: familyCode(i / perFamily), Role: tsunagu.RoleChild,
					LineUserID: uid, LinkedAt: now, Consent: "yes",
				}
				err := store.Apply(ctx, "", m.ID, func(*storage.State) (*storage.Change, error) {
					return &storage.Change{Member: m}, nil
				})
				if err != nil {
					select {
					case errs <- fmt.Errorf("member %d: %w", i, err):
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
		return "", err
	default:
	}
	return tsunagu.UserHash(fmt.Sprintf("U%032x", 1)), nil
}

func familyCode(i int) string { return fmt.Sprintf("B%07d", i+1) }

// waitResult waits for serve to save the dispatch result, as `tsunagu send`
// does.
func waitResult(ctx context.Context, store *storage.Store, key string, serve *serveProc, limit time.Duration) ([]byte, error) {
	deadline := time.Now().Add(limit)
	for {
		b, err := store.DispatchResult(ctx, key)
		if err != nil {
			return nil, err
		}
		if b != nil {
			return b, nil
		}
		select {
		case <-serve.exit:
			return nil, fmt.Errorf("tsunagu serve exited during the dispatch: %v", serve.exitErr)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no dispatch result within %s", limit)
		}
	}
}

func waitDelivered(ctx context.Context, line *fakeLINE, serve *serveProc, limit time.Duration, logf func(string, ...any)) error {
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	stop := time.After(limit)
	for {
		select {
		case <-line.done:
			return nil
		case <-tick.C:
			c := line.counts()
			logf("… %d/%d delivered, %d×429, %d×409", c.Distinct, line.want, c.Limited, c.Conflicts)
		case <-serve.exit:
			return fmt.Errorf("tsunagu serve exited during delivery: %v", serve.exitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			c := line.counts()
			return fmt.Errorf("only %d of %d members got their push within %s", c.Distinct, line.want, limit)
		}
	}
}

// measureKeys records MEMORY USAGE of the shared keys and of one member's
// keys, to say where the bytes go. The key names are storage/keys.go's.
func measureKeys(ctx context.Context, rs *redisproc.Server, res *Result, key, memberID string) {
	const p = "tsunagu:"
	res.ResultKeyBytes = rs.KeyMemory(ctx, p+"dispatch:"+key)
	for name, k := range map[string]string{
		"member":         p + "member:{" + memberID + "}",
		"session":        p + "session:{" + memberID + "}",
		"dispatch set":   p + "dispatch:send:" + key + ":members",
		"family":         p + "family:" + familyCode(0),
		"family members": p + "family:" + familyCode(0) + ":members",
		"members set":    p + "members",
		"families set":   p + "families",
		"timers:push":    p + "timers:push",
		"timers:quiet":   p + "timers:quiet",
		"outbox:line":    p + "outbox:line",
	} {
		res.KeyBytes[name] = rs.KeyMemory(ctx, k)
	}
}

func parseInt(s string) (int64, error) {
	var n int64
	_, err := fmt.Sscan(s, &n)
	return n, err
}
