package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tsunagu/tsunagu"
)

// seedFlows are the example flows and the test flows: real shapes for the
// fuzzers to start from.
func seedFlows(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	for _, glob := range []string{"../examples/flows/*.yaml", "testdata/*/*.yaml", "../cmd/tsunagu/testdata/*/*.yaml"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		f.Fatal("no seed flows found")
	}
	return out
}

// FuzzParse: any bytes as a flow file. The loader must not panic; it
// either returns a flow or errors, every error placed in the file, and the
// flow it returns passed validation (so the engine may run it).
func FuzzParse(f *testing.F) {
	for _, b := range seedFlows(f) {
		f.Add(b)
	}
	f.Add([]byte("id: x\nsteps: [{id: a, say: hi, choices: [{label: a, value: a, next: a}]}]\n"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("id: !!binary x\n"))
	f.Add([]byte("steps:\n  - <<: *nope\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		fl, diags := Parse("fuzz.yaml", src, Options{Lang: "en"})
		// YAML breaks lines at \n, \r\n and a lone \r.
		lines := strings.Count(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n") + strings.Count(string(src), "\r") + 1
		for _, d := range diags {
			if d.Message == "" {
				t.Fatalf("a diagnostic without a message: %+v", d)
			}
			if d.Line < 0 || d.Line > lines+1 {
				t.Fatalf("diagnostic at line %d of a %d-line file: %s", d.Line, lines, d)
			}
		}
		if diags.HasErrors() {
			return
		}
		if fl == nil || len(fl.Steps) == 0 {
			t.Fatalf("no errors but no runnable flow: %v", fl)
		}
		// A valid flow starts without panicking and within LINE's limits.
		res := fl.Start("s1", "m1", time.Unix(0, 0), Env{Role: tsunagu.RoleChild})
		checkMessages(t, res.Messages)
	})
}

// FuzzEngine runs random answers against random valid flows: the flow is
// generated from the fuzzer's bytes (steps of every kind, choices and
// rules jumping back and forth, so cycles are common), the answers are taps
// on the buttons shown, typed labels, numbers and free text. The engine must
// never panic, never keep a member in a flow for ever (the loop guard ends
// it), keep every message within LINE's limits, and keep the session on a
// step of the flow.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{3, 0, 1, 2, 3, 4, 5}, []byte{0, 1, 2, 3, 4, 5, 6, 7}, "元気")
	f.Add([]byte{5, 0, 0, 0, 1, 1, 1, 2, 2, 2}, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0}, "")
	f.Add([]byte{1, 4}, []byte{9, 9, 9}, "しにたい")
	f.Add([]byte{6, 1, 2, 3, 4, 0, 255, 128}, []byte{1, 3, 5, 7, 11, 13}, "123")
	f.Fuzz(func(t *testing.T, shape, answers []byte, text string) {
		src := genFlow(shape)
		fl, diags := Parse("gen.yaml", []byte(src), Options{Lang: "en"})
		if diags.HasErrors() {
			t.Skipf("generated flow is invalid (fine, the generator is loose):\n%s\n%s", src, diags)
		}
		now := time.Date(2026, 1, 1, 17, 0, 0, 0, time.UTC)
		env := Env{Role: tsunagu.RoleChild, Tags: []string{"t"}}
		res := fl.Start("s1", "m1", now, env)
		checkMessages(t, res.Messages)
		s := res.Session
		accepted := 0
		// Accepted answers before the session must have ended: each step
		// can be entered MaxVisits times.
		limit := len(fl.Steps)*MaxVisits + 1
		for i, b := range answers {
			if !s.Open() {
				if _, err := fl.Resume(s, Input{Text: "x"}, now, env); err == nil {
					t.Fatalf("an ended session accepted an answer")
				}
				return
			}
			if fl.Step(s.Step) == nil {
				t.Fatalf("session waits on step %q, not in the flow", s.Step)
			}
			prompt, _ := fl.Prompt(s)
			in := answerFor(b, prompt, text, i)
			now = now.Add(time.Minute)
			r, err := fl.Resume(s, in, now, env)
			if err != nil {
				continue // a stale or foreign postback: refused, session unchanged
			}
			checkMessages(t, r.Messages)
			if !r.Reasked {
				accepted++
			}
			if accepted > limit {
				t.Fatalf("%d answers accepted and the session is still open: a loop the guard missed\n%s", accepted, src)
			}
			s = r.Session
		}
	})
}

// answerFor turns one fuzzer byte into what a member might send: a tap on
// one of the buttons shown, the same words typed, a number, or free text.
func answerFor(b byte, prompt tsunagu.Message, text string, i int) Input {
	qr := prompt.QuickReplies
	switch b % 5 {
	case 0, 1:
		if len(qr) > 0 {
			return Input{Postback: qr[int(b/5)%len(qr)].Data}
		}
	case 2:
		if len(qr) > 0 {
			return Input{Text: qr[int(b/5)%len(qr)].Label}
		}
	case 3:
		return Input{Text: fmt.Sprint(int(b/5) - 5)}
	}
	if text == "" {
		text = fmt.Sprintf("answer %d", i)
	}
	return Input{Text: text}
}

// checkMessages holds a turn's messages to what LINE accepts: at most 5
// texts a reply plus the engine's own notes, none empty, at most 5,000
// UTF-16 units; at most 13 quick replies with labels of at most 20
// characters and data of at most 300.
func checkMessages(t *testing.T, ms []tsunagu.Message) {
	t.Helper()
	for _, m := range ms {
		if strings.TrimSpace(m.Text) == "" {
			t.Fatalf("an empty message (LINE refuses it): %+v", ms)
		}
		if n := len(utf16.Encode([]rune(m.Text))); n > 5000 {
			t.Fatalf("a message of %d UTF-16 units", n)
		}
		if len(m.QuickReplies) > 13 {
			t.Fatalf("%d quick replies, LINE allows 13", len(m.QuickReplies))
		}
		for _, q := range m.QuickReplies {
			if n := utf8.RuneCountInString(q.Label); n == 0 || n > 20 {
				t.Fatalf("quick reply label %q has %d characters (1 to 20)", q.Label, n)
			}
			if q.Data == "" || len(q.Data) > 300 {
				t.Fatalf("postback data of %d bytes (1 to 300)", len(q.Data))
			}
		}
	}
}

// genFlow builds a flow file from shape: shape[0] says how many steps (1 to
// 6); each following byte picks a step's kind, whether it is optional and
// where it (or its choices) jump to, backwards included.
func genFlow(shape []byte) string {
	at := func(i int) int {
		if i < len(shape) {
			return int(shape[i])
		}
		return i * 7
	}
	n := 1 + at(0)%6
	target := func(v int) string {
		if v%(n+1) == n {
			return "end"
		}
		return fmt.Sprintf("s%d", v%(n+1))
	}
	var b strings.Builder
	b.WriteString("id: gen\ntitle: 生成\nsteps:\n")
	first := ""
	for i := range n {
		k := at(1 + i)
		fmt.Fprintf(&b, "  - id: s%d\n", i)
		if i == 0 {
			b.WriteString("    say: [こんにちは, 最初の質問]\n")
		} else {
			fmt.Fprintf(&b, "    say: [\"前は {{answers.s0}}\", 質問%d]\n", i)
		}
		// Jumps are conditional (the validator refuses a loop with no way
		// out), but often hold when run, so the loop guard gets its turn.
		cond := ""
		switch k % 5 {
		case 0:
			b.WriteString("    choices:\n")
			for c := range 1 + k%4 {
				to := target(k/5 + c)
				if c == 0 {
					to = target(i + 1) // one way forward, so not every loop is closed
				}
				fmt.Fprintf(&b, "      - {label: 選択%d, value: v%d, next: %s}\n", c, c, to)
			}
			cond = fmt.Sprintf(`s%d == "v0"`, i)
		case 1:
			fmt.Fprintf(&b, "    number: {min: 0, max: %d}\n", 1+k%10)
			cond = fmt.Sprintf(`s%d >= 1`, i)
		case 2:
			b.WriteString("    text: {max_length: 20}\n")
			cond = fmt.Sprintf(`s%d != ""`, i)
		case 3:
			fmt.Fprintf(&b, "    scale: {min: 1, max: %d}\n", 2+k%5)
			cond = fmt.Sprintf(`s%d >= 2`, i)
		case 4:
			b.WriteString("    yesno: {}\n")
			cond = fmt.Sprintf(`s%d == "yes"`, i)
		}
		if k%5 != 0 {
			fmt.Fprintf(&b, "    next: [{if: '%s', goto: %s}]\n", cond, target(k/5))
		}
		if i == 0 {
			first = cond
		}
		if k&0x40 != 0 {
			b.WriteString("    optional: true\n")
		}
	}
	fmt.Fprintf(&b, "alerts:\n  - {if: '%s', severity: warning, note: 注意}\ndone: ありがとう\n", first)
	return b.String()
}
