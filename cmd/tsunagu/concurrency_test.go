package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeline"
)

// TestConcurrentAnswers delivers 50 webhooks with answers from one member
// at once. Each is committed exactly once against the session version: the
// session ends with 50 answers to 50 consecutive steps, none lost and none
// applied twice, and each event got exactly one reply.
func TestConcurrentAnswers(t *testing.T) {
	const n = 50
	dir := t.TempDir()
	var steps strings.Builder
	for i := 1; i <= n+1; i++ {
		fmt.Fprintf(&steps, "  - id: q%d\n    say: 質問%dだよ\n    text: {}\n", i, i)
	}
	flow := "id: many\ntitle: たくさんの質問\nsteps:\n" + steps.String() + "done: おわり\n"
	if err := os.WriteFile(filepath.Join(dir, "many.yaml"), []byte(flow), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir)
	h.roster("F-0001,,")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	h.mustCLI("send", "many", "--family", "F-0001")
	h.waitText(user, "質問1だよ")
	before := len(h.received(user))

	events := make([]fakeline.Event, n)
	for i := range events {
		events[i] = h.line.Text(user, fmt.Sprintf("こたえ%d", i))
	}
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i, ev := range events {
		wg.Go(func() {
			req := fakeline.WebhookRequest(h.url+"/line/webhook", lineSecret, fakeline.Body(ev))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				codes[i] = -1
				return
			}
			res.Body.Close()
			codes[i] = res.StatusCode
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("delivery %d answered %d", i, c)
		}
	}

	sess, err := h.main.Store.Session(context.Background(), tsunagu.UserHash(user))
	if err != nil || sess == nil {
		t.Fatalf("session: %v, %v", sess, err)
	}
	if sess.Step != fmt.Sprintf("q%d", n+1) || len(sess.Order) != n || sess.Version != n+1 {
		t.Fatalf("session at step %s with %d answers, version %d; want q%d, %d, %d", sess.Step, len(sess.Order), sess.Version, n+1, n, n+1)
	}
	seen := map[string]bool{}
	for i, id := range sess.Order {
		if id != fmt.Sprintf("q%d", i+1) {
			t.Fatalf("answer %d went to step %s", i, id)
		}
		seen[sess.Answers[id].Value] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct answers stored, want %d", len(seen), n)
	}

	got := h.waitCount(user, before+n)
	if len(h.line.Replies()) < n {
		t.Fatalf("%d replies, want one per event", len(h.line.Replies()))
	}
	asked := map[string]int{}
	for _, m := range got[before:] {
		asked[m.Text]++
	}
	for i := 2; i <= n+1; i++ {
		if q := fmt.Sprintf("質問%dだよ", i); asked[q] != 1 {
			t.Errorf("%s sent %d times, want once", q, asked[q])
		}
	}
}
