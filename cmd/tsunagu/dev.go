package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/config"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// The playground's own secrets: the page signs webhooks and clicks with
// them, as LINE and Slack sign theirs. They open nothing outside the
// process.
const (
	devLineSecret  = "tsunagu-dev-line-secret"
	devLineToken   = "tsunagu-dev-line-token"
	devSlackSecret = "tsunagu-dev-slack-secret"
	devBasicID     = "@tsunagu-dev"
	devSupporter   = "U0DEVSUPPORT" // the supporter the page clicks as
	devListen      = "127.0.0.1:8080"
)

// devMember is a sample family member the page can play.
type devMember struct {
	Key    string       `json:"key"` // "F-0001-child"
	Family string       `json:"family"`
	Role   tsunagu.Role `json:"role"`
	Code   string       `json:"code"` // invite code
	user   string       // the fake LINE user id; never shown
	tags   []string
}

// userMsg is something the page's member sent, placed after the bot
// messages the member had received by then.
type userMsg struct {
	after int
	text  string
}

// playground is `tsunagu dev`: the real service and what it talks to.
type playground struct {
	m     *Main
	cfg   config.Config
	clock *devClock
	line  *fakeline.Server
	slack *fakeslack.Server
	mini  *miniredis.Miniredis // nil when TSUNAGU_REDIS_URL names a Redis
	base  string               // the service's URL
	log   *slog.Logger

	members []*devMember

	clockMu sync.Mutex // one clock move at a time

	mu        sync.Mutex
	sent      map[string][]userMsg // by member key
	friends   map[string]bool
	closed    map[string]bool // modals submitted or closed, by view id
	notices   []notice
	flowsAt   time.Time
	flowsDiag string
	stop      chan struct{}
	wg        sync.WaitGroup
}

// notice is a slash command's answer, shown only to the page's supporter.
type notice struct {
	Text   string `json:"text"`
	Blocks any    `json:"blocks,omitempty"`
	Public bool   `json:"public"`
}

// devOptions are what a test changes about the playground.
type devOptions struct {
	listen    string
	tickEvery time.Duration
}

// startPlayground starts the fakes, the store, the service and the sample
// families. c is the loaded configuration; redisFromEnv says the operator
// named a Redis, which is then used instead of the in-memory one.
func startPlayground(ctx context.Context, c config.Config, redisFromEnv bool, log *slog.Logger, o devOptions) (*playground, error) {
	p := &playground{
		clock: &devClock{}, log: log, sent: map[string][]userMsg{}, friends: map[string]bool{},
		closed: map[string]bool{}, stop: make(chan struct{}),
	}
	p.line = fakeline.Start(fakeline.WithChannelToken(devLineToken))
	p.line.SetBotInfo(fakeline.BotInfo{DisplayName: "つなぐ（お試し）", BasicID: devBasicID, ChatMode: "bot", MarkAsReadMode: "auto"})
	p.slack = fakeslack.Start()
	if !redisFromEnv {
		mini, err := miniredis.Run()
		if err != nil {
			p.closeFakes()
			return nil, fmt.Errorf("in-memory Redis: %w", err)
		}
		p.mini = mini
		c.RedisURL = "redis://" + mini.Addr()
		// A fresh store: run as production should, with free text
		// encrypted and keyed pseudonyms (throwaway keys, as the data is).
		if c.EncryptionKey == "" {
			c.EncryptionKey = base64.StdEncoding.EncodeToString([]byte("tsunagu-dev-throwaway-key-32byte"))
		}
		if c.HashKey == "" {
			c.HashKey = "tsunagu-dev-throwaway-hash-key"
		}
	}
	if o.listen != "" {
		c.Listen = o.listen
	}
	c.LINE = config.LINE{ChannelSecret: devLineSecret, ChannelToken: devLineToken, APIURL: p.line.URL, BasicID: devBasicID}
	c.Slack.BotToken, c.Slack.SigningSecret = fakeslack.Token, devSlackSecret
	c.Slack.Channel, c.Slack.APIURL = fakeslack.Channel, p.slack.APIURL()
	c.Slack.TeamID, c.Slack.AppID = fakeslack.TeamID, ""
	// The page shows one alert channel and plays one supporter who may act
	// on every family: organisations, routes and who-may-act lists of the
	// configuration would point at channels and people the fake lacks.
	c.Slack.Routes, c.Organisations, c.Slack.Supporters, c.Slack.Admins = nil, nil, nil, nil
	c.Slack.OnCall = ""
	p.cfg = c
	p.m = &Main{Config: c, Log: log, Clock: p.clock, TickEvery: o.tickEvery, Routes: p.routes}
	if err := p.m.Run(ctx); err != nil {
		_ = p.Close()
		return nil, err
	}
	p.base = "http://" + p.m.Addr()
	p.line.SetWebhookEndpoint(p.base+"/line/webhook", true)
	if err := p.seed(ctx); err != nil {
		_ = p.Close()
		return nil, fmt.Errorf("sample families: %w", err)
	}
	if p.mini != nil {
		p.wg.Add(1)
		go p.ageRedis()
	}
	return p, nil
}

// ageRedis makes the in-memory Redis's key lifetimes (TTLs) pass with
// real time: miniredis only ages keys when told to.
func (p *playground) ageRedis() {
	defer p.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mini.FastForward(now.Sub(last))
			last = now
		}
	}
}

// sampleFamilies are the roster the playground starts with: codes only,
// as in production, with the page's supporter in charge of the first.
var sampleFamilies = []struct {
	fam   tsunagu.Family
	roles []tsunagu.Role
}{
	{tsunagu.Family{Code: "F-0001", Tags: []string{"sample"}, Supporter: devSupporter}, []tsunagu.Role{tsunagu.RoleChild, tsunagu.RoleGuardian}},
	{tsunagu.Family{Code: "F-0002", Tags: []string{"sample"}}, []tsunagu.Role{tsunagu.RoleChild}},
	{tsunagu.Family{Code: "F-0003", Tags: []string{"sample"}}, []tsunagu.Role{tsunagu.RoleGuardian}},
}

// seed imports the sample families and makes an invite for each member,
// through the same store calls as `families import` and `invite`.
func (p *playground) seed(ctx context.Context) error {
	fams := make([]tsunagu.Family, len(sampleFamilies))
	for i, s := range sampleFamilies {
		fams[i] = s.fam
	}
	if _, err := p.m.Store.ImportFamilies(ctx, fams); err != nil {
		return err
	}
	now := p.clock.Now()
	for _, s := range sampleFamilies {
		for _, role := range s.roles {
			inv := tsunagu.Invite{FamilyCode: s.fam.Code, Role: role, ExpiresAt: now.Add(time.Duration(p.cfg.InviteTTL)).Truncate(time.Second)}
			var err error
			for range 5 {
				inv.Code = tsunagu.NewInviteCode()
				if err = p.m.Store.CreateInvite(ctx, inv, now); tsunagu.ErrorCode(err) != tsunagu.ECONFLICT {
					break
				}
			}
			if err != nil {
				return err
			}
			p.members = append(p.members, &devMember{
				Key: s.fam.Code + "-" + string(role), Family: s.fam.Code, Role: role, Code: inv.Code, user: fakeline.NewUserID(), tags: s.fam.Tags,
			})
		}
	}
	return nil
}

func (p *playground) member(key string) *devMember {
	for _, m := range p.members {
		if m.Key == key {
			return m
		}
	}
	return nil
}

// URL is the page's address.
func (p *playground) URL() string { return p.base + "/" }

// Close stops the service, then the fakes and the in-memory Redis.
func (p *playground) Close() error {
	close(p.stop)
	p.wg.Wait()
	var err error
	if p.m != nil {
		err = p.m.Close()
	}
	p.closeFakes()
	if p.mini != nil {
		p.mini.Close()
	}
	return err
}

func (p *playground) closeFakes() {
	p.line.Close()
	p.slack.Close()
}

// dev runs the playground until interrupted.
func (e *env) dev(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("dev")
	verbose := fs.Bool("verbose", false, "log everything the service does, not only warnings")
	if pos, err := parse(fs, args); err != nil || len(pos) > 0 {
		fmt.Fprintln(e.stderr, "usage: tsunagu dev [--config FILE] [--verbose]")
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	if e.getenv("TSUNAGU_LISTEN") == "" && c.Listen == config.Defaults().Listen {
		c.Listen = devListen // the playground is for this machine only
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	redisFromEnv := e.getenv("TSUNAGU_REDIS_URL") != "" || c.RedisURL != config.Defaults().RedisURL
	p, err := startPlayground(ctx, c, redisFromEnv, log, devOptions{})
	if err != nil {
		fmt.Fprintf(e.stderr, "tsunagu dev: %v\n", err)
		return exitFail
	}
	p.banner(e.stdout, redisFromEnv)
	<-ctx.Done()
	if err := p.Close(); err != nil {
		fmt.Fprintf(e.stderr, "tsunagu dev: %v\n", err)
		return exitFail
	}
	return exitOK
}

func (p *playground) banner(w io.Writer, redisFromEnv bool) {
	fmt.Fprintf(w, "tsunagu dev: open %s in a browser (Ctrl-C to stop)\n", p.URL())
	if redisFromEnv {
		fmt.Fprintln(w, "  data: the Redis at TSUNAGU_REDIS_URL (sample families F-0001..F-0003 were added to it;")
		fmt.Fprintln(w, "        use one you can throw away: moving the clock is recorded there too)")
	} else {
		fmt.Fprintln(w, "  data: IN MEMORY ONLY — everything is gone when dev stops (set TSUNAGU_REDIS_URL to keep it)")
	}
	fmt.Fprintf(w, "  flows: %s (edit a file and it reloads)\n", p.cfg.FlowsDir)
	fmt.Fprintln(w, "  LINE and Slack: fakes inside this process; nothing is sent to the real services")
	for _, m := range p.members {
		fmt.Fprintf(w, "  sample %s %-8s invite code %s\n", m.Family, m.Role, m.Code)
	}
}
