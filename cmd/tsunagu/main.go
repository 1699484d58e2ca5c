package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"
	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot"
	"github.com/tsunagu/tsunagu/bot/delivery"
	"github.com/tsunagu/tsunagu/bot/desk"
	"github.com/tsunagu/tsunagu/bot/line"
	"github.com/tsunagu/tsunagu/bot/slack"
	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/flows/risk"
	"github.com/tsunagu/tsunagu/scheduler"
	"github.com/tsunagu/tsunagu/storage"
)

// Main is the service `tsunagu serve` runs: the LINE webhook, the Slack
// interactions, and the workers that deliver the outbox. A test starts it on
// 127.0.0.1:0 with a private Redis and fake LINE and Slack servers.
type Main struct {
	Config config.Config
	Log    *slog.Logger
	Clock  tsunagu.Clock
	// HTTPClient is used for LINE and Slack; nil means a client with a
	// sensible timeout.
	HTTPClient *http.Client
	// TakeOver is how long an outbox entry stays pending with a worker
	// before another takes it over (the worker is presumed dead).
	TakeOver time.Duration
	Backoff  delivery.Backoff

	// TickEvery is how often the scheduler looks for due work.
	TickEvery time.Duration
	// SlackPerSecond paces posts to each Slack channel; 0 for Slack's
	// guidance of one a second.
	SlackPerSecond float64
	// PurgeEvery is how often the service checks whether today's
	// retention purge has run (once a day across replicas); 0 for hourly.
	PurgeEvery time.Duration
	// TokenCheckEvery is how often the LINE and Slack tokens are checked
	// for /readyz; 0 for every 5 minutes.
	TokenCheckEvery time.Duration
	// Routes, when set, adds handlers to the service's own (the `dev`
	// playground's page); it cannot replace them.
	Routes func(*http.ServeMux)

	Store     *storage.Store
	Bot       *bot.Bot   // the member conversation
	Desk      *desk.Desk // the supporters' desk
	Scheduler *scheduler.Scheduler

	reloader *bot.Reloader
	tokens   *tokenWatch
	hup      chan os.Signal

	ln  net.Listener
	srv *http.Server

	metricsLn  net.Listener // TSUNAGU_METRICS_LISTEN, when set
	metricsSrv *http.Server
	cancel     context.CancelFunc
	wg         sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Run loads the flows, connects to Redis, starts listening and starts the
// workers. It returns once the service is up; Close stops it.
func (m *Main) Run(ctx context.Context) error {
	c := &m.Config
	if err := c.CheckServe(); err != nil {
		return &configError{err}
	}
	if m.Log == nil {
		m.Log = slog.Default()
	}
	if m.Clock == nil {
		m.Clock = tsunagu.SystemClock
	}
	if m.HTTPClient == nil {
		// Keep a connection per worker alive: Go's default keeps two per
		// host, and every new one to LINE is a TLS handshake.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 4 * c.Workers
		m.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: t}
	}
	if m.TakeOver == 0 {
		m.TakeOver = time.Duration(c.TakeOver)
	}
	if m.Backoff == (delivery.Backoff{}) {
		m.Backoff = delivery.DefaultBackoff
	}

	storage.SetLogger(m.Log.With("comp", "redis"))
	store, err := openStore(c.RedisURL)
	if err != nil {
		return &configError{fmt.Errorf("TSUNAGU_REDIS_URL: %w", err)}
	}
	m.Store = store
	keys, err := storage.ParseKeyring(c.EncryptionKey, c.EncryptionOldKeys)
	if err != nil {
		return &configError{fmt.Errorf("TSUNAGU_ENCRYPTION_KEY: %w", err)}
	}
	store.SetKeyring(keys)
	pseudonyms := tsunagu.NewPseudonyms([]byte(c.HashKey))
	if _, err := slack.Mentions(c.Slack.OnCall); c.Slack.OnCall != "" && err != nil {
		return &configError{fmt.Errorf("TSUNAGU_SLACK_ONCALL: %w", err)}
	}
	if err := store.Ping(ctx); err != nil {
		return fmt.Errorf("cannot reach Redis at TSUNAGU_REDIS_URL: %w", err)
	}
	if err := store.CheckPseudonyms(ctx, pseudonyms.Fingerprint()); err != nil {
		return &configError{fmt.Errorf("TSUNAGU_HASH_KEY: %w", err)}
	}
	m.warnPersonalData(keys, pseudonyms)

	messenger, err := line.NewClient(c.LINE.ChannelToken, c.LINE.APIURL, m.HTTPClient)
	if err != nil {
		return fmt.Errorf("LINE client: %w", err)
	}
	notifier := slack.NewNotifier(c.Slack.BotToken, c.Slack.Channel, c.Slack.APIURL, m.HTTPClient)
	notifier.Location, notifier.Clock = c.Location(), m.Clock

	if _, _, _, err := programme(c); err != nil {
		return &configError{err}
	}
	m.Bot = newBot(c, store, nil, m.Clock, m.Log)
	// The risk detector loads its dictionary (about 1.5 s, 90 MiB) here,
	// once per process, so the first message is not kept waiting.
	if m.Bot.Risk.Detector() == nil {
		return errors.New("risk detector: the dictionary could not be loaded")
	}
	m.Bot.Quota = messenger.Quota
	m.Bot.EscalateAfter = time.Duration(c.Slack.EscalateAfter)
	m.Bot.Location = c.Location()
	m.Bot.Pseudonyms = pseudonyms
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.Bot.Metrics = bot.NewMetrics(reg, store)
	m.Bot.Flows.Source, m.Bot.Flows.Lang = store.FlowSource, c.Lang
	m.reloader = &bot.Reloader{
		Dir: c.FlowsDir, Lang: c.Lang, Flows: m.Bot.Flows, Store: store,
		Clock: m.Clock, NewID: bot.NewID, Log: m.Log.With("comp", "flows"),
	}
	if err := m.reloader.Reload(ctx); err != nil {
		if diags := flowErrors(c); diags != "" {
			return fmt.Errorf("flows in %s are not valid (run `tsunagu validate %s`):\n%s", c.FlowsDir, c.FlowsDir, diags)
		}
		return fmt.Errorf("load flows: %w", err)
	}

	m.Desk = newDesk(c, m.Bot, m.Clock, m.Log)
	m.Desk.Files, m.Desk.DigestChannel = notifier, c.Slack.Channel
	if !loadChartFont(os.Getenv) {
		m.Log.Info("no Japanese font for chart images (TSUNAGU_CHART_FONT, or apt-get install fonts-ipafont-gothic): the digest's chart is labelled in English")
	}

	guard := slackGuard(c, store, notifier, m.Clock)
	m.Log.Info("slack access", "mode", guard.Access.Mode())
	mux := http.NewServeMux()
	webhook := line.NewWebhook(c.LINE.ChannelSecret, m.Bot, m.Log)
	webhook.Pseudonyms = pseudonyms
	mux.Handle("POST /line/webhook", webhook)
	interactions := slack.NewSupporterInteractions(c.Slack.SigningSecret, m.Desk, notifier, m.Log, m.Clock)
	interactions.Guard = guard
	mux.Handle("POST /slack/interactions", interactions)
	commands := slack.NewCommands(c.Slack.SigningSecret, m.Desk, m.Log, m.Clock)
	commands.Location, commands.Guard = c.Location(), guard
	commands.Cases, commands.Files = m.Desk, notifier
	mux.Handle("POST /slack/commands", commands)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	m.tokens = &tokenWatch{cfg: c, hc: m.HTTPClient, every: cmp.Or(m.TokenCheckEvery, 5*time.Minute), log: m.Log.With("comp", "tokens")}
	mux.HandleFunc("GET /readyz", m.ready)
	metricsLn, metricsSrv, err := serveMetrics(c.Metrics, mux, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), m.Log.Info)
	if err != nil {
		return &configError{fmt.Errorf("TSUNAGU_METRICS_LISTEN: %w", err)}
	}
	m.metricsLn, m.metricsSrv = metricsLn, metricsSrv
	if m.Routes != nil {
		m.Routes(mux)
	}

	m.ln, err = net.Listen("tcp", c.Listen)
	if err != nil {
		return &configError{fmt.Errorf("TSUNAGU_LISTEN: %w", err)}
	}
	m.srv = newHTTPServer(mux)
	go func() {
		if err := m.srv.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("http server stopped", "err", err)
		}
	}()

	wctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	sender := &delivery.LineSender{
		Store: store, Outbox: store.LineOutbox().WithMinIdle(m.TakeOver), Messenger: messenger,
		Clock: m.Clock, Backoff: m.Backoff, NewID: bot.NewID, Log: m.Log.With("comp", "sender"),
		Pacer:   store.PushRate(c.PushRate, max(1, int(c.PushRate/10))),
		Metrics: m.Bot.Metrics,
	}
	m.Scheduler = newScheduler(c, store, m.Bot, m.Desk, m.Clock, m.Log)
	if m.TickEvery == 0 {
		m.TickEvery = 250 * time.Millisecond // a due timer waits at most this; a tick is a few cheap Redis calls
	}
	poster := &delivery.SlackPoster{
		Store: store, Outbox: store.SlackOutbox().WithMinIdle(m.TakeOver), Notifier: notifier,
		Backoff: m.Backoff, Log: m.Log.With("comp", "slack"),
		ThreadWindow: time.Duration(c.Slack.ThreadWindow), OnCall: c.Slack.OnCall, Channel: c.Slack.Channel,
		Coalesce: time.Duration(c.Slack.Coalesce),
		Urgent:   store.SlackUrgentOutbox().WithMinIdle(m.TakeOver), PerSecond: cmp.Or(m.SlackPerSecond, 1), Routes: routes(c.AlertRoutes()),
		Clock: m.Clock, Private: len(c.Organisations) > 0,
	}
	m.hup = make(chan os.Signal, 1)
	signal.Notify(m.hup, syscall.SIGHUP)
	m.goRun(func() { m.reloader.Watch(wctx, m.hup) })
	m.goRun(func() { m.tokens.run(wctx) })
	host := consumerName()
	for i := range c.Workers {
		m.goRun(func() { sender.Run(wctx, fmt.Sprintf("%s-line-%d", host, i)) })
	}
	m.goRun(func() { poster.Run(wctx, host+"-slack") })
	m.Scheduler.TakeOver = m.TakeOver
	m.goRun(func() { m.Scheduler.Run(wctx, host+"-timers", m.TickEvery) })
	m.goRun(func() { m.purgeDaily(wctx) })
	m.Log.Info("tsunagu serving", "addr", m.ln.Addr().String(), "flows", m.Bot.Flows.Len())
	return nil
}

func (m *Main) goRun(f func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// Addr is the address the service listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// MetricsAddr is where /metrics is served on its own, "" when it is not.
func (m *Main) MetricsAddr() string {
	if m.metricsLn == nil {
		return ""
	}
	return m.metricsLn.Addr().String()
}

// Close stops taking requests, lets the ones in flight finish, stops the
// workers and closes Redis.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	var errs []error
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.srv.Shutdown(ctx))
		cancel()
	}
	if m.metricsSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, shutdown(ctx, m.metricsSrv))
		cancel()
	}
	if m.hup != nil {
		signal.Stop(m.hup)
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}

// ready answers 200 when Redis answers, flows are loaded and neither LINE
// nor Slack has rejected its token at the last background check.
func (m *Main) ready(w http.ResponseWriter, r *http.Request) {
	if p := m.tokens.problem(); p != "" {
		http.Error(w, p, http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := m.Store.Ping(ctx); err != nil {
		http.Error(w, "redis unreachable", http.StatusServiceUnavailable)
		return
	}
	if m.Bot.Flows.Len() == 0 {
		http.Error(w, "no flows loaded", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// newDesk wires the supporters' desk to the conversation.
func newDesk(c *config.Config, b *bot.Bot, clock tsunagu.Clock, log *slog.Logger) *desk.Desk {
	return &desk.Desk{
		Store: b.Store, Flows: b.Flows, Bot: b, Clock: clock, Location: c.Location(),
		Metrics: b.Metrics, Log: log.With("comp", "desk"), Orgs: reportOrgs(c),
	}
}

// openStore connects to Redis with the scheduler's rule for which jobs may
// run in quiet hours.
func openStore(url string) (*storage.Store, error) {
	s, err := storage.Open(url)
	if err != nil {
		return nil, err
	}
	return s.WithJobs(scheduler.Quiet), nil
}

// newBot wires the conversation with its texts, risk detector and safety
// replies from the configuration (checked when loaded).
func newBot(c *config.Config, store *storage.Store, fs []*flows.Flow, clock tsunagu.Clock, log *slog.Logger) *bot.Bot {
	texts, scanner, safety, _ := programme(c)
	set := bot.NewFlowSet(fs)
	store.WithStats(desk.StatKinds(set)) // the report's counters, kept as sessions end
	return &bot.Bot{
		Store:  store,
		Flows:  set,
		Risk:   scanner,
		Safety: safety,
		Texts:  texts,
		Clock:  clock,
		NewID:  bot.NewID,
		Log:    log.With("comp", "bot"),
		// The role's rich menu, when the configuration has one.
		Enrolled: enrolledMenus(c, log.With("comp", "richmenu")),
	}
}

// programme is what the configuration makes of the conversation's words:
// the texts, the risk detector (built on first use: report, schedule and
// send never check text) and the safety replies per category and
// audience. serve and simulate both take them from here, so a simulation
// says what serve says.
func programme(c *config.Config) (flows.Texts, *flows.RiskScanner, risk.Safety, error) {
	rc, safety, err := c.RiskConfig(flows.DefaultRiskWords)
	withLanguages(&rc, &safety)
	if err == nil {
		for i, p := range rc.Patterns {
			if err = risk.CheckPattern(p.Pattern); err != nil {
				err = fmt.Errorf("risk.patterns[%d]: %v", i, err)
				break
			}
		}
	}
	if err != nil {
		rc = risk.Config{} // a configuration Run refuses: the built-in rules
	}
	scanner := flows.LazyRiskScanner(func() (*risk.Detector, error) { return risk.New(rc) })
	return flows.WithLanguages(flows.DefaultTexts), scanner, safety, err
}

// withLanguages adds the built-in languages other than Japanese to the
// detector's words and the safety replies, where configuration has not
// given that language's replies.
func withLanguages(rc *risk.Config, safety *risk.Safety) {
	for _, ws := range flows.RiskWordsIn {
		rc.Words = append(rc.Words, ws...)
	}
	for lang, s := range flows.SafetyIn {
		if _, ok := safety.Langs[lang]; ok {
			continue
		}
		if safety.Langs == nil {
			safety.Langs = map[string]risk.Safety{}
		}
		safety.Langs[lang] = s
	}
}

// routes turns configured routes into the poster's.
func routes(rs []config.Route) []delivery.Route {
	out := make([]delivery.Route, len(rs))
	for i, r := range rs {
		out[i] = delivery.Route{Tags: r.Tags, Channel: r.Channel}
		for _, s := range r.Severities {
			out[i].Severities = append(out[i].Severities, tsunagu.Severity(s))
		}
	}
	return out
}

// configError is a start-up failure that a setting causes (exit code 2).
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// consumerName names this process's outbox consumers, unique per process so
// that a dead process's pending work is visibly its own.
func consumerName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), bot.NewID()[:6])
}

// newScheduler wires the scheduler with the configured time zone, quiet
// hours and catch-up window.
func newScheduler(c *config.Config, store *storage.Store, b *bot.Bot, d *desk.Desk, clock tsunagu.Clock, log *slog.Logger) *scheduler.Scheduler {
	start, end, _ := config.ParseQuietHours(c.QuietHours) // checked when loaded
	var digest *flows.Schedule
	if c.Digest != "" && c.Digest != "off" {
		spec, _ := cron.ParseStandard(c.Digest) // checked when loaded
		digest = &flows.Schedule{Cron: c.Digest, Spec: spec}
	}
	return &scheduler.Scheduler{
		Digest: digest,
		Store:  store, Flows: b.Flows, Handler: jobs(b, d), Clock: clock,
		Location: c.Location(), CatchUp: time.Duration(c.CatchUp),
		Quiet:    scheduler.QuietHours{Start: start, End: end, Location: c.Location()},
		MaxTries: 20,
		Log:      log.With("comp", "scheduler"),
	}
}

// jobs is the one table of the jobs the scheduler runs and who does each.
func jobs(b *bot.Bot, d *desk.Desk) scheduler.Jobs {
	return scheduler.Jobs{
		scheduler.JobReminder:  b.Remind,
		scheduler.JobExpire:    b.Expire,
		scheduler.JobRemindAll: b.FanOut,
		scheduler.JobExpireAll: b.FanOut,
		scheduler.JobStart:     b.StartWaiting,
		scheduler.JobDispatch:  b.DispatchJob,
		scheduler.JobEscalate:  d.Escalate,
		scheduler.JobDigest:    d.Digest,
	}
}

// Reload reloads the flows now, as SIGHUP does.
func (m *Main) Reload() { m.hup <- syscall.SIGHUP }

// flowErrors returns the errors of the configured flows, for start-up.
func flowErrors(c *config.Config) string {
	_, diags := flows.LoadPaths(flows.Options{Lang: c.Lang}, c.FlowsDir)
	if !diags.HasErrors() {
		return ""
	}
	return diags.String()
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
