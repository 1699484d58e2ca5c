// Package delivery takes what the conversation and the supporters' desk
// committed to the outboxes to where it goes: LineSender to families on
// LINE (reply while the token is fresh, push with a retry key after), and
// SlackPoster to supporters in Slack (routing by organisation, tag and
// severity, family threads, coalescing, pacing per channel, and urgent
// alerts in a lane of their own).
package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/storage"
)

// retryKeySpace namespaces the retry keys derived from outbox ids.
var retryKeySpace = uuid.MustParse("6f1c1f0e-6d3a-4f4e-9a51-7473756e6167")

// RetryKey is the X-Line-Retry-Key of an outgoing batch: derived from its id,
// so every attempt to push the same batch carries the same key and LINE
// shows it once.
func RetryKey(outgoingID string) string {
	return uuid.NewSHA1(retryKeySpace, []byte(outgoingID)).String()
}

// Backoff says how long to wait before retry n (0-based).
type Backoff struct {
	Base, Max time.Duration
	Tries     int // tries within one hand-out of a job, before leaving it to be taken over later
	MaxJobs   int64
}

// DefaultBackoff retries quickly a few times, then leaves the job pending so
// that any worker retries it later; after MaxJobs hand-outs it is dead.
var DefaultBackoff = Backoff{Base: 200 * time.Millisecond, Max: 10 * time.Second, Tries: 5, MaxJobs: 20}

func (b Backoff) wait(n int, asked time.Duration) time.Duration {
	d := b.Base << n
	if d > b.Max || d <= 0 {
		d = b.Max
	}
	return max(d, asked)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// LineSender delivers the LINE outbox: by reply while the event's token is
// fresh (free), by push with a retry key after (counts against the quota).
type LineSender struct {
	Store     *storage.Store
	Outbox    *storage.Outbox
	Messenger tsunagu.Messenger
	Clock     tsunagu.Clock
	Backoff   Backoff
	NewID     func() string
	Log       *slog.Logger
	// Pacer paces pushes below LINE's rate limit, for every replica
	// together (storage.PushRate); nil for none. Replies are not paced:
	// they answer someone who is waiting.
	Pacer   Pacer
	Metrics Metrics // nil counts nothing
}

// Pacer waits until the next push may go.
type Pacer interface {
	Wait(ctx context.Context) error
}

// Metrics counts deliveries: by "reply" or "push", "ok" or "failed".
type Metrics interface {
	Delivery(by, result string)
}

func (s *LineSender) count(by, result string) {
	if s.Metrics != nil {
		s.Metrics.Delivery(by, result)
	}
}

// Run delivers until ctx ends. Several may run, in one process or many.
func (s *LineSender) Run(ctx context.Context, consumer string) {
	// One at a time: a reply is only tried on a job's first hand-out, and a
	// job read but waiting behind a slow one could be handed out again.
	s.Outbox.Work(ctx, consumer, 1, s.Log, s.deliver)
}

func (s *LineSender) deliver(ctx context.Context, j storage.Job) error {
	var out tsunagu.Outgoing
	if err := j.Decode(&out); err != nil {
		return s.dead(ctx, j, nil, errors.New("undecodable outbox entry"))
	}
	log := s.Log.With("out", out.ID, "user", out.MemberID)
	// Only the first hand-out tries the reply token: a later one cannot know
	// whether an earlier reply got through, and the push's retry key can.
	if out.ReplyToken != "" && j.Attempts == 1 && s.Clock.Now().Before(out.ReplyBy) {
		err := s.Messenger.Reply(ctx, out.ReplyToken, out.Messages)
		if err == nil {
			log.Info("delivered", "by", "reply", "messages", len(out.Messages))
			s.count("reply", "ok")
			return s.done(ctx, j)
		}
		log.Info("reply failed; pushing instead", "err", err)
	}
	key := RetryKey(out.ID)
	var err error
	for n := range s.Backoff.Tries {
		if s.Pacer != nil {
			if err := s.Pacer.Wait(ctx); err != nil {
				return err
			}
		}
		if err = s.Messenger.Push(ctx, out.To, key, out.Messages); err == nil {
			log.Info("delivered", "by", "push", "messages", len(out.Messages), "tries", n+1)
			s.count("push", "ok")
			return s.done(ctx, j)
		}
		retry, after := tsunagu.Retryable(err)
		if !retry {
			return s.dead(ctx, j, &out, err)
		}
		sleep(ctx, s.Backoff.wait(n, after))
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if j.Attempts >= s.Backoff.MaxJobs {
		return s.dead(ctx, j, &out, err)
	}
	return err // stays pending; taken over after the outbox's idle time
}

// done marks a delivered job, even while shutting down: a delivery that is
// not marked done is delivered again by another worker.
func (s *LineSender) done(ctx context.Context, j storage.Job) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return s.Outbox.Done(ctx, j.ID)
}

// dead records a delivery that can never succeed and tells supporters, so
// nothing is dropped silently.
func (s *LineSender) dead(ctx context.Context, j storage.Job, out *tsunagu.Outgoing, cause error) error {
	reason := cause.Error()
	s.Log.Error("delivery failed for good", "job", j.ID, "reason", reason)
	s.count("push", "failed")
	if err := s.Outbox.Dead(ctx, j, reason); err != nil {
		return err
	}
	// One alert an hour per kind of failure: a revoked token or a spent
	// quota fails every queued push, and supporters need to hear it once,
	// not ten thousand times. The metric and the dead stream count them all.
	status := 0
	if se := (*tsunagu.SendError)(nil); errors.As(cause, &se) {
		status = se.Status
	}
	first, err := s.Store.First(ctx, fmt.Sprintf("dead:%d:%s", status, s.Clock.Now().UTC().Format("2006010215")), time.Hour)
	if err != nil || !first {
		return err
	}
	a := &tsunagu.Alert{
		ID:        s.NewID(),
		Severity:  tsunagu.SeverityWarning,
		Reason:    "LINEへのメッセージを届けられませんでした。ブロックされたか、設定の問題かもしれません",
		State:     tsunagu.AlertOpen,
		CreatedAt: s.Clock.Now(),
	}
	a.FamilyCode = "不明"
	if out != nil {
		if m, err := s.Store.Member(ctx, out.MemberID); err == nil {
			a.FamilyCode, a.Role = m.FamilyCode, m.Role
			if f, err := s.Store.Family(ctx, m.FamilyCode); err == nil {
				a.Supporter = f.Supporter
			}
		}
	}
	return s.Store.RaiseAlert(ctx, a)
}

// SlackPoster posts queued alerts to Slack and records where they went;
// a family's alerts within the thread window go into one thread.
type SlackPoster struct {
	Store        *storage.Store
	Outbox       *storage.Outbox // everything but urgent alerts
	Urgent       *storage.Outbox // urgent alerts and their escalations
	Notifier     tsunagu.Notifier
	Backoff      Backoff
	ThreadWindow time.Duration // 0: no family threads
	Coalesce     time.Duration // a family's alerts within this join one message; 0: never
	OnCall       string        // who escalations mention: a user group S… or users U…
	Channel      string        // the default channel, and where posts that belong to no alert go
	Routes       []Route       // where alerts go by tag and severity; the first that matches wins
	// PerSecond paces posts to each channel (Slack takes about one a
	// second per channel, with short bursts); 0 for no pacing. The urgent
	// lane has a pace of its own, so an urgent alert never waits for the
	// rest's turn.
	PerSecond float64
	// StrangerCap bounds the new messages per channel and minute for
	// people who never enrolled; more join the newest one, counted. 0 for
	// DefaultStrangerCap.
	StrangerCap int
	Clock       tsunagu.Clock // for the cap's minute; nil for the wall clock
	// Private: alerts belong to organisations (configuration
	// `organisations:`). An alert its channel refuses then waits for the
	// channel to be fixed, and the default channel gets a notice with no
	// family detail, instead of the alert.
	Private bool
	Log     *slog.Logger

	limiters sync.Map // channel → *rate.Limiter
}

// Route sends some alerts to a channel of their own: those of families
// with any of Tags (any family when empty) and of any of Severities (any
// when empty).
type Route struct {
	Tags       []string
	Severities []tsunagu.Severity
	Channel    string
}

func (r Route) matches(a *tsunagu.Alert, tags []string) bool {
	if len(r.Severities) > 0 && !slices.Contains(r.Severities, a.Severity) {
		return false
	}
	return len(r.Tags) == 0 || slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(r.Tags, t) })
}

// channelFor routes an alert.
func (p *SlackPoster) channelFor(ctx context.Context, a *tsunagu.Alert) (string, error) {
	if len(p.Routes) == 0 {
		return p.Channel, nil
	}
	var tags []string
	if tsunagu.ValidFamilyCode(a.FamilyCode) {
		f, err := p.Store.Family(ctx, a.FamilyCode)
		if err != nil && tsunagu.ErrorCode(err) != tsunagu.ENOTFOUND {
			return "", err
		}
		if f != nil {
			tags = f.Tags
		}
	}
	for _, r := range p.Routes {
		if r.matches(a, tags) {
			return r.Channel, nil
		}
	}
	return p.Channel, nil
}

// Run posts until ctx ends: urgent alerts from their own queue, so that
// they never wait behind a backlog of others.
func (p *SlackPoster) Run(ctx context.Context, consumer string) {
	var wg sync.WaitGroup
	wg.Go(func() { p.Urgent.Work(ctx, consumer+"-urgent", 1, p.Log, p.post(p.Urgent)) })
	p.Outbox.Work(ctx, consumer, 1, p.Log, p.post(p.Outbox))
	wg.Wait()
}

func (p *SlackPoster) post(outbox *storage.Outbox) func(context.Context, storage.Job) error {
	return func(ctx context.Context, j storage.Job) error { return p.postFrom(ctx, outbox, j) }
}

func (p *SlackPoster) postFrom(ctx context.Context, outbox *storage.Outbox, j storage.Job) error {
	var job storage.SlackJob
	if err := j.Decode(&job); err != nil {
		p.Log.Error("undecodable slack job", "job", j.ID)
		return outbox.Dead(ctx, j, "undecodable")
	}
	var a *tsunagu.Alert
	if job.AlertID != "" {
		var err error
		a, err = p.Store.Alert(ctx, job.AlertID)
		if tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND {
			return outbox.Dead(ctx, j, "alert not found")
		}
		if err != nil {
			return err
		}
	}
	log := p.Log.With("op", job.Op, "alert", job.AlertID)
	var err error
	for n := range p.Backoff.Tries {
		var done bool
		if done, err = p.do(ctx, job, a, outbox == p.Urgent); err == nil {
			if done {
				log.Info("slack done")
			}
			return outbox.Done(ctx, j.ID)
		}
		if tsunagu.ErrorCode(err) == tsunagu.EUNAVAILABLE {
			return err // Redis: stays pending, taken over later
		}
		retry, after := tsunagu.Retryable(err)
		if !retry {
			log.Error("slack refused", "err", err)
			return outbox.Dead(ctx, j, err.Error())
		}
		sleep(ctx, p.Backoff.wait(n, after))
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	// Slack is down or busy: keep the job, however long it takes. Unlike a
	// LINE delivery, nobody would hear of a dead alert.
	return err
}

// do runs one Slack job; done is false when there was nothing to do.
func (p *SlackPoster) do(ctx context.Context, job storage.SlackJob, a *tsunagu.Alert, urgent bool) (done bool, err error) {
	pace := func(channel string) error { return p.wait(ctx, channel, urgent) }
	switch job.Op {
	case storage.SlackPost:
		if a.TS != "" {
			return false, nil // posted before a crash, not yet acknowledged: don't post twice
		}
		return true, p.postAlert(ctx, a, pace)
	case storage.SlackUpdate:
		if a.TS == "" {
			return false, nil // never posted: its post draws it whole
		}
		if err := pace(a.Channel); err != nil {
			return false, err
		}
		return true, p.Notifier.UpdateAlert(ctx, a) // a was read when the job began: fresh
	case storage.SlackThread:
		channel, thread := cmp.Or(job.Channel, p.Channel), ""
		if a != nil {
			if a.TS == "" {
				return false, fmt.Errorf("alert %s not posted yet", a.ID) // retried after its post
			}
			channel, thread = a.Channel, cmp.Or(a.ThreadTS, a.TS)
		}
		if err := pace(channel); err != nil {
			return false, err
		}
		_, err := p.Notifier.PostInThread(ctx, channel, thread, job.Text)
		return true, err
	case storage.SlackEscalate:
		if a.State != tsunagu.AlertOpen {
			return false, nil // claimed or resolved meanwhile
		}
		if a.TS == "" { // not posted yet (Slack down): escalate once it is
			return false, &tsunagu.SendError{Op: "escalate", Retry: true, Err: fmt.Errorf("alert %s not posted yet", a.ID)}
		}
		if err := pace(a.Channel); err != nil {
			return false, err
		}
		return true, p.Notifier.Escalate(ctx, a, job.Level, p.OnCall)
	}
	return false, fmt.Errorf("unknown slack job %q", job.Op)
}

// wait paces posts to a channel, each lane at its own pace: the urgent
// lane never waits for tokens the others used.
func (p *SlackPoster) wait(ctx context.Context, channel string, urgent bool) error {
	if p.PerSecond <= 0 {
		return nil
	}
	key := channel
	if urgent {
		key += "|urgent"
	}
	l, _ := p.limiters.LoadOrStore(key, rate.NewLimiter(rate.Limit(p.PerSecond), 3))
	return l.(*rate.Limiter).Wait(ctx)
}

// refusedPrivate handles an organisation's channel that refuses an alert
// (the bot was not invited, or was removed): the family's words must not
// go to a channel of people who may not see them, and the alert must not be
// lost. It tells the default channel once, with no family detail, what to
// fix, and keeps the alert queued until its own channel takes it.
func (p *SlackPoster) refusedPrivate(ctx context.Context, a *tsunagu.Alert, channel string, cause error) error {
	p.Log.Error("an organisation's channel refused an alert; it waits for the channel", "channel", channel, "alert", a.ID, "err", cause)
	first, err := p.Store.First(ctx, "refused:"+channel, time.Hour)
	if err != nil {
		return err
	}
	if first {
		text := fmt.Sprintf("⚠️ 組織のチャンネル <#%s> にアラートを投稿できません（%s）。ボットをそのチャンネルに招待してください。アラートは、投稿できるまで待っています。", channel, slackReason(cause))
		if _, err := p.Notifier.PostInThread(ctx, p.Channel, "", text); err != nil {
			p.Log.Error("notice of a refused channel failed", "err", err)
		}
	}
	return &tsunagu.SendError{Op: "post", Retry: true, Err: cause}
}

// slackReason is the error code Slack gave, for a person to read.
func slackReason(err error) string {
	for _, code := range []string{"not_in_channel", "channel_not_found", "is_archived", "missing_scope", "restricted_action"} {
		if strings.Contains(err.Error(), code) {
			return code
		}
	}
	return "refused"
}

// DefaultStrangerCap is how many new messages a channel gets a minute for
// people who never enrolled, when SlackPoster.StrangerCap is 0.
const DefaultStrangerCap = 3

// threadKey is what an alert's thread and burst are kept by: its family,
// or for someone not enrolled, their label; "" for neither (the system).
func threadKey(a *tsunagu.Alert) string {
	switch {
	case a.Stranger != "":
		return a.FamilyCode + a.Stranger
	case tsunagu.ValidFamilyCode(a.FamilyCode):
		return a.FamilyCode
	}
	return ""
}

// overCap joins a stranger's alert that would start a new message to the
// newest stranger message, once the minute's cap of new ones is spent: a
// flood of strangers reads as a few messages with a count. It reports
// whether a joined one.
func (p *SlackPoster) overCap(ctx context.Context, a *tsunagu.Alert, channel string) (bool, error) {
	now := time.Now()
	if p.Clock != nil {
		now = p.Clock.Now()
	}
	free, err := p.Store.StrangerSlot(ctx, channel, cmp.Or(p.StrangerCap, DefaultStrangerCap), now)
	if err != nil || free {
		return false, err
	}
	lead, err := p.Store.StrangerLead(ctx, channel)
	if err != nil || lead == "" || lead == a.ID {
		return false, err
	}
	// The lead may be claimed or gone: then the alert posts on its own
	// rather than be lost.
	return p.Store.GroupAlert(ctx, lead, a)
}

// postAlert posts an alert to its channel: into the message of an alert
// for the family posted within the last minute (so that a burst reads as
// one message), else into its family's thread there when one is open, else
// as a message of its own.
func (p *SlackPoster) postAlert(ctx context.Context, a *tsunagu.Alert, pace func(channel string) error) error {
	channel, err := p.channelFor(ctx, a)
	if err != nil {
		return err
	}
	a.Channel = channel
	key := threadKey(a)
	if key != "" && p.Coalesce > 0 {
		// Taken before posting, so that of two alerts at once one leads
		// and the other joins it, whichever poster is first.
		lead, err := p.Store.Lead(ctx, key, channel, a.ID, p.Coalesce)
		if err != nil {
			return err
		}
		if lead != a.ID {
			grouped, err := p.Store.GroupAlert(ctx, lead, a)
			if err != nil || grouped {
				return err // grouped: the lead's redraw is queued with it
			}
		}
	}
	var root string
	threaded := key != "" && p.ThreadWindow > 0
	if threaded {
		if a.ThreadTS, root, err = p.Store.FamilyThread(ctx, key, channel); err != nil {
			return err
		}
	}
	if a.Stranger != "" && a.ThreadTS == "" {
		if joined, err := p.overCap(ctx, a, channel); err != nil || joined {
			return err // joined: the lead's redraw is queued with it
		}
	}
	if err := pace(channel); err != nil {
		return err
	}
	ch, ts, err := p.Notifier.PostAlert(ctx, a)
	if retry, _ := tsunagu.Retryable(err); err != nil && !retry && channel != p.Channel {
		if p.Private {
			return p.refusedPrivate(ctx, a, channel, err)
		}
		// A route to a channel the bot cannot post in must not lose the
		// alert: it goes to the default channel, and the log says why.
		p.Log.Error("routed channel refused the alert; posting to the default channel", "channel", channel, "err", err)
		a.Channel, a.ThreadTS, channel = p.Channel, "", p.Channel
		ch, ts, err = p.Notifier.PostAlert(ctx, a)
	}
	if err != nil {
		return err
	}
	a.Channel, a.TS = ch, ts // a retry of this job must not post again
	// The post is out: record it even through a Redis blip, or the job's
	// retry would post the alert a second time.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for n := 0; ; n++ {
		if _, err = p.Store.SetAlertPosted(rctx, a.ID, ch, ts, a.ThreadTS); err == nil || rctx.Err() != nil {
			break
		}
		sleep(rctx, p.Backoff.wait(n, 0))
	}
	if err != nil {
		return err
	}
	if a.Stranger != "" && a.ThreadTS == "" {
		if err := p.Store.SetStrangerLead(ctx, ch, a.ID); err != nil {
			return err
		}
	}
	switch {
	case threaded && a.ThreadTS == "":
		return p.Store.StartFamilyThread(ctx, key, ch, ts, a.ID, p.ThreadWindow)
	case threaded && root != "":
		// The thread's first message shows the newest state, so the
		// channel reads without opening every thread. Redrawn by a job of
		// its own: its failure must not make this post be retried.
		r, err := p.Store.NoteInThread(ctx, root, a)
		if err != nil {
			return err
		}
		return p.Store.QueueRedraw(ctx, r)
	}
	return nil
}
