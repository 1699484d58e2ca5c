package delivery

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/bot"
	"github.com/tsunagu/tsunagu/bot/line"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/redistest"
	"github.com/tsunagu/tsunagu/storage"
)

type senderFixture struct {
	store  *storage.Store
	line   *fakeline.Server
	client *line.Client
	now    time.Time
}

func newSenderFixture(t *testing.T) *senderFixture {
	t.Helper()
	srv := redistest.Start(t)
	fl := fakeline.New(t)
	c, err := line.NewClient("token", fl.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &senderFixture{store: storage.New(srv.Client()), line: fl, client: c, now: time.Now()}
}

func (f *senderFixture) sender(m tsunagu.Messenger, minIdle time.Duration) *LineSender {
	return &LineSender{
		Store: f.store, Outbox: f.store.LineOutbox().WithMinIdle(minIdle), Messenger: m,
		Clock:   tsunagu.ClockFunc(func() time.Time { return f.now }),
		Backoff: Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond, Tries: 3, MaxJobs: 3},
		NewID:   bot.NewID, Log: slog.New(slog.DiscardHandler),
	}
}

// queue commits one outgoing batch for a member, as a state change would.
func (f *senderFixture) queue(t *testing.T, out tsunagu.Outgoing) {
	t.Helper()
	err := f.store.Apply(context.Background(), "", out.MemberID, func(*storage.State) (*storage.Change, error) {
		return &storage.Change{Out: []tsunagu.Outgoing{out}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// runUntil lets a sender work until done holds or the time is up.
func runUntil(t *testing.T, s *LineSender, consumer string, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx, consumer) })
	deadline := time.Now().Add(10 * time.Second)
	for !done() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if !done() {
		t.Fatal("timed out")
	}
}

func TestLineSenderReplyOrPush(t *testing.T) {
	tests := []struct {
		name      string
		token     func(f *senderFixture, user string) string
		replyBy   time.Duration // from now
		wantReply bool
	}{
		{"fresh token replies", func(f *senderFixture, u string) string { return f.line.IssueReplyToken(u) }, time.Minute, true},
		{"old token pushes", func(f *senderFixture, u string) string { return f.line.IssueReplyToken(u) }, -time.Second, false},
		{"rejected token pushes", func(f *senderFixture, u string) string {
			tok := f.line.IssueReplyToken(u)
			f.line.ExpireToken(tok)
			return tok
		}, time.Minute, false},
		{"no token pushes", func(*senderFixture, string) string { return "" }, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSenderFixture(t)
			user := fakeline.NewUserID()
			out := tsunagu.Outgoing{
				ID: bot.NewID(), MemberID: tsunagu.UserHash(user), To: user,
				ReplyToken: tt.token(f, user), ReplyBy: f.now.Add(tt.replyBy),
				Messages: []tsunagu.Message{{Text: "こんにちは"}},
			}
			f.queue(t, out)
			runUntil(t, f.sender(f.client, time.Minute), "a", func() bool { return len(f.line.Delivered(user)) == 1 && f.outboxEmpty() })
			if got := len(f.line.Replies()) == 1; got != tt.wantReply {
				t.Fatalf("replies %d pushes %d, want reply=%v", len(f.line.Replies()), len(f.line.Pushes()), tt.wantReply)
			}
			if !tt.wantReply && f.line.Pushes()[0].RetryKey != RetryKey(out.ID) {
				t.Fatalf("retry key %q, want %q", f.line.Pushes()[0].RetryKey, RetryKey(out.ID))
			}
		})
	}
}

// crashAfterPush delivers and then dies before the sender can mark the job
// done, as a process killed between the two steps would.
type crashAfterPush struct {
	tsunagu.Messenger
	cancel context.CancelFunc
}

func (c *crashAfterPush) Push(ctx context.Context, to, key string, msgs []tsunagu.Message) error {
	err := c.Messenger.Push(context.Background(), to, key, msgs)
	c.cancel()
	if err != nil {
		return err
	}
	return context.Canceled
}

// TestLineSenderCrash: a sender dies after LINE accepted a push but before
// the outbox entry was done. Another sender takes the entry over and pushes
// again with the same retry key: LINE answers 409 and the member sees the
// message once.
func TestLineSenderCrash(t *testing.T) {
	f := newSenderFixture(t)
	user := fakeline.NewUserID()
	f.queue(t, tsunagu.Outgoing{ID: bot.NewID(), MemberID: tsunagu.UserHash(user), To: user, Messages: []tsunagu.Message{{Text: "元気かな？"}}})

	ctx, cancel := context.WithCancel(context.Background())
	f.sender(&crashAfterPush{Messenger: f.client, cancel: cancel}, time.Minute).Run(ctx, "dies")
	if n, _ := f.store.LineOutbox().Len(context.Background()); n != 1 {
		t.Fatalf("outbox has %d entries after the crash, want 1 still pending", n)
	}

	runUntil(t, f.sender(f.client, 20*time.Millisecond), "survivor", f.outboxEmpty)
	if got := len(f.line.Delivered(user)); got != 1 {
		t.Fatalf("member received %d messages, want 1", got)
	}
	if f.line.Conflicts() != 1 {
		t.Fatalf("conflicts = %d, want the retry to be answered 409", f.line.Conflicts())
	}
}

// TestLineSenderRetries: 429 and 5xx are retried; a permanent failure is
// recorded and shown to supporters, never dropped silently.
func TestLineSenderRetries(t *testing.T) {
	t.Run("429 then 500 then success", func(t *testing.T) {
		f := newSenderFixture(t)
		user := fakeline.NewUserID()
		f.line.FailNext(fakeline.PathPush, http.StatusTooManyRequests, 1, 10*time.Millisecond)
		f.line.FailNext(fakeline.PathPush, http.StatusInternalServerError, 1)
		f.queue(t, tsunagu.Outgoing{ID: bot.NewID(), MemberID: tsunagu.UserHash(user), To: user, Messages: []tsunagu.Message{{Text: "やあ"}}})
		runUntil(t, f.sender(f.client, time.Minute), "a", func() bool { return len(f.line.Delivered(user)) == 1 && f.outboxEmpty() })
		if r := f.line.Requests(fakeline.PathPush); r != 3 {
			t.Fatalf("%d push requests, want 3", r)
		}
	})
	t.Run("permanent failure is dead and alerted", func(t *testing.T) {
		f := newSenderFixture(t)
		user := fakeline.NewUserID()
		memberID := tsunagu.UserHash(user)
		if _, err := f.store.ImportFamilies(context.Background(), []tsunagu.Family{{Code: "F-0009", Supporter: "U0SUP"}}); err != nil {
			t.Fatal(err)
		}
		err := f.store.Apply(context.Background(), "", memberID, func(*storage.State) (*storage.Change, error) {
			return &storage.Change{Member: &tsunagu.Member{ID: memberID, FamilyCode: "F-0009", Role: tsunagu.RoleGuardian, LineUserID: user}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		f.line.FailNext(fakeline.PathPush, http.StatusBadRequest, 1)
		f.queue(t, tsunagu.Outgoing{ID: bot.NewID(), MemberID: memberID, To: user, Messages: []tsunagu.Message{{Text: "やあ"}}})
		var alerts []tsunagu.Alert
		runUntil(t, f.sender(f.client, time.Minute), "a", func() bool {
			alerts, _ = f.store.Alerts(context.Background(), 10)
			return len(alerts) == 1
		})
		a := alerts[0]
		if a.FamilyCode != "F-0009" || a.Role != tsunagu.RoleGuardian || a.Supporter != "U0SUP" || a.Severity != tsunagu.SeverityWarning {
			t.Fatalf("alert = %+v", a)
		}
		if !f.outboxEmpty() {
			t.Fatal("the failed entry is still in the outbox")
		}
		if len(f.line.Delivered(user)) != 0 || f.line.Requests(fakeline.PathPush) != 1 {
			t.Fatalf("a 400 was retried")
		}
	})
}

func (f *senderFixture) outboxEmpty() bool {
	n, err := f.store.LineOutbox().Len(context.Background())
	return err == nil && n == 0
}
