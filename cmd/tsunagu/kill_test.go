package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeline"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
	"github.com/tsunagu/tsunagu/internal/redistest"
	"github.com/tsunagu/tsunagu/scheduler"
	"github.com/tsunagu/tsunagu/storage"
)

// TestKillMidDispatch kills the dispatching `tsunagu serve` with SIGKILL
// part way through a 10,000-member dispatch and starts another. Every
// member gets exactly one push: the fake LINE counts by retry key, and a
// push repeated after the kill shows as a 409, never as a second message.
func TestKillMidDispatch(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 members and two processes")
	}
	const members = 10_000
	bin := buildBinary(t)
	redis := redistest.Start(t)
	fl := fakeline.New(t, fakeline.WithChannelToken(lineToken))
	fs := fakeslack.New(t)
	store := storage.New(redis.Client()).WithJobs(scheduler.Quiet)
	ctx := context.Background()

	if _, err := store.ImportFamilies(ctx, []tsunagu.Family{{Code: "F-BIG"}}); err != nil {
		t.Fatal(err)
	}
	users := seedMembers(t, store, "F-BIG", members)

	dir := t.TempDir()
	cfg := filepath.Join(dir, "tsunagu.yaml")
	if err := os.WriteFile(cfg, []byte("push_rate: 3000\nquiet_hours: \"off\"\ntakeover: 1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"TSUNAGU_REDIS_URL="+redis.URL(),
		"TSUNAGU_FLOWS_DIR="+mustAbs(t, "testdata/flows"),
		"TSUNAGU_LINE_CHANNEL_SECRET="+lineSecret,
		"TSUNAGU_LINE_CHANNEL_TOKEN="+lineToken,
		"TSUNAGU_LINE_API_URL="+fl.URL,
		"TSUNAGU_SLACK_BOT_TOKEN="+fakeslack.Token,
		"TSUNAGU_SLACK_SIGNING_SECRET="+slackSecret,
		"TSUNAGU_SLACK_CHANNEL="+fakeslack.Channel,
		"TSUNAGU_SLACK_TEAM_ID="+fakeslack.TeamID,
		"TSUNAGU_SLACK_API_URL="+fs.APIURL(),
	)
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, "serve", "--config", cfg)
		cmd.Env = append(env, "TSUNAGU_LISTEN="+freePort(t))
		var logs bytes.Buffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd, &logs
	}

	first, _ := start()
	err := store.AddTimers(ctx, storage.Timer{Kind: scheduler.JobDispatch, Due: time.Now(), FlowID: "test-checkin", Family: "F-BIG", Key: "kill-test"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return len(fl.Pushes()) >= 1500 }, "the dispatch to be under way")
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	atKill := len(fl.Pushes())
	if atKill >= members {
		t.Fatalf("all %d pushes were out before the kill; the test proves nothing", atKill)
	}

	_, logs := start()
	deadline := time.Now().Add(60 * time.Second)
	for distinct(fl.Pushes()) < members {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d members reached after the restart; log:\n%s", distinct(fl.Pushes()), members, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Let any late retry land before counting: wait for the outbox, not
	// for a time.
	eventually(t, func() bool {
		n, err := store.LineOutbox().Len(ctx)
		return err == nil && n == 0
	}, "the outbox to drain")

	pushes := fl.Pushes()
	perUser := map[string]int{}
	for _, p := range pushes {
		perUser[p.To]++
	}
	for _, u := range users {
		if perUser[u] != 1 {
			t.Fatalf("a member got %d pushes, want exactly 1", perUser[u])
		}
	}
	if len(pushes) != members {
		t.Fatalf("%d pushes delivered, want %d", len(pushes), members)
	}
	t.Logf("killed after %d of %d pushes; %d repeated pushes answered 409 by LINE, none shown twice", atKill, members, fl.Conflicts())
}

// seedMembers links n new LINE users to a family, straight through the
// store, as n enrolments would.
func seedMembers(t *testing.T, store *storage.Store, family string, n int) []string {
	t.Helper()
	users := make([]string, n)
	for i := range users {
		users[i] = fakeline.NewUserID()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for w := range 50 {
		wg.Go(func() {
			for i := w; i < n; i += 50 {
				id := tsunagu.UserHash(users[i])
				err := store.Apply(context.Background(), "", id, func(*storage.State) (*storage.Change, error) {
					return &storage.Change{Member: &tsunagu.Member{ID: id, FamilyCode: family, Role: tsunagu.RoleChild, LineUserID: users[i], LinkedAt: time.Now()}}, nil
				})
				if err != nil {
					errs <- fmt.Errorf("seed member %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return users
}

func distinct(ps []fakeline.Push) int {
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.To] = true
	}
	return len(seen)
}
