package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRiskCheckCommand(t *testing.T) {
	t.Chdir(t.TempDir()) // no tsunagu.yaml around
	msgs := writeFile(t, "msgs.txt", "今日は楽しかった\n\nパパにけられた\n死にたくない\n")
	cfg := writeFile(t, "tsunagu.yaml", "risk:\n  words: [\"runaway: ネカフェ難民\"]\n  patterns: [\"bullying: 先生 に ... 殴る れる|られる\"]\n")
	badCfg := writeFile(t, "bad.yaml", "risk:\n  patterns: [\"bullying: 先生 に ... ...\"]\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"match", []string{"risk", "check", "もう死にたい"}, 1, []string{"一致 (matched): 希死念慮 (suicidal)", "rule:   suicidal.wish", "tokens: 死ぬ たい", "phrase: 死にたい"}},
		{"no match", []string{"risk", "check", "死ぬほど眠い"}, 0, []string{"一致なし"}},
		{"file", []string{"risk", "check", "--file", msgs}, 1, []string{msgs + ":1: 一致なし", msgs + ":3: 一致 (matched): 身体的虐待", msgs + ":4: 打ち消し"}},
		{"config words and patterns", []string{"risk", "check", "--config", cfg, "ネカフェ難民かも", "先生になぐられた"}, 1, []string{"居場所・家出 (runaway)", "いじめ (bullying)", "rule:   pattern: 先生 に ... 殴る れる|られる"}},
		{"bad pattern is a configuration error", []string{"risk", "check", "--config", badCfg, "x"}, 2, []string{"risk.patterns"}},
		{"text and file", []string{"risk", "check", "--file", msgs, "x"}, 2, []string{"not both"}},
		{"nothing to check", []string{"risk", "check"}, 2, []string{"usage"}},
		{"unknown subcommand", []string{"risk", "nope"}, 2, []string{"unknown command"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := run(t, map[string]string{}, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errs, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errs)
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		out, _, code := run(t, map[string]string{}, "risk", "check", "--json", "ママにたたかれた", "おはよう")
		var got []riskResult
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 || len(got) != 2 {
			t.Fatalf("exit %d, %v:\n%s", code, err, out)
		}
		if !got[0].Matched || got[0].Match.Category != "physical_abuse" || got[0].Label != "身体的虐待" || got[1].Matched {
			t.Errorf("results = %+v", got)
		}
	})
}

func TestRiskTestCommand(t *testing.T) {
	corpus := []string{mustAbs(t, "../../flows/risk/testdata/risk.tsv"), mustAbs(t, "../../flows/risk/testdata/everyday.tsv")}
	t.Chdir(t.TempDir())
	good := writeFile(t, "good.tsv", "# a programme's own file\nsuicidal\t死にたい\nneglect\tご飯を食べさせてもらえない\nnone\t死ぬほど眠い\nnone\t消しゴムなくした\n")
	poor := writeFile(t, "poor.tsv", "suicidal\tもう限界かも\nnone\t宿題で死にたい\n")
	bad := writeFile(t, "bad.tsv", "sad\tかなしい\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"thresholds met", []string{"risk", "test", good}, 0, []string{"| suicidal | 希死念慮 | 1 | 1 | 100.0% |", "0.0%** false alarms", "ok: thresholds met"}},
		{"below thresholds", []string{"risk", "test", poor}, 1, []string{"見逃し (missed) " + poor + ":1: [suicidal] もう限界かも", "誤検知 (false alarm) " + poor + ":2:", "below the thresholds"}},
		{"the repository's corpus", append([]string{"risk", "test"}, corpus...), 0, []string{"ok: thresholds met"}},
		{"bad label", []string{"risk", "test", bad}, 1, []string{"line 1: unknown category"}},
		{"no file", []string{"risk", "test"}, 2, []string{"labelled file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := run(t, map[string]string{}, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errs, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errs)
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		out, _, code := run(t, map[string]string{}, "risk", "test", "--json", good)
		var got riskReport
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 || got.Risk.Total != 2 || got.Everyday != 2 || got.Recall != 1 {
			t.Fatalf("exit %d, %v: %+v", code, err, got)
		}
	})
}
