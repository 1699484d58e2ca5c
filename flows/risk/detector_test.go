package risk

import (
	"slices"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		want       Category // "" for no match
		gentle     bool
		rule       string // checked when set
	}{
		{"desiderative", "死にたい", Suicidal, false, "suicidal.wish"},
		{"becoming", "死にたくなる", Suicidal, false, ""},
		{"past", "死にたかった", Suicidal, false, ""},
		{"te-shimau", "消えてしまいたい", Suicidal, false, ""},
		{"kana", "しにたい", Suicidal, false, ""},
		{"half-width", "ｼﾆﾀｲ", Suicidal, false, ""},
		{"romaji", "shinitai", Suicidal, false, "phrase.suicidal"},
		{"worth", "生きてる意味ない", Suicidal, false, "suicidal.no_reason_to_live"},
		{"better gone", "私なんていないほうがいい", Suicidal, false, ""},
		{"self-harm past", "腕を切った", SelfHarm, false, ""},
		{"self-harm slang", "リスカした", SelfHarm, false, ""},
		{"family violence", "父に殴られた", PhysicalAbuse, false, "physical_abuse.family"},
		{"family violence kana", "ぱぱになぐられた", PhysicalAbuse, false, ""},
		{"not fed", "ご飯を食べさせてもらえない", Neglect, false, ""},
		{"not let in", "家に入れてもらえない", Neglect, false, ""},
		{"alone for days", "何日も一人", Neglect, false, ""},
		{"running away", "家出したい", Runaway, false, ""},
		{"no place", "居場所がない", Runaway, false, ""},
		{"bullied", "いじめられてる", Bullying, false, ""},
		{"touched", "体を触られる", SexualAbuse, false, ""},
		// negation, decided: a negated wish is worth a gentle look
		{"negated wish", "死にたくない", Suicidal, true, ""},
		{"denied wish", "死にたいとは思わない", Suicidal, true, ""},
		{"not really", "死にたいわけじゃない", Suicidal, true, ""},
		{"retracted", "消えたいなんてね", Suicidal, true, ""},
		{"explanatory ん is not a negation", "もう死にたいんよ", Suicidal, false, ""},
		{"negation further on is not the wish's", "死にたい気持ちがおさまらない", Suicidal, false, ""},
		// traps stay quiet
		{"intensifier", "死ぬほど眠い", "", false, ""},
		{"scribble", "殴り書き", "", false, ""},
		{"eraser", "消しゴム", "", false, ""},
		{"stamp", "切手", "", false, ""},
		{"arm goes up", "腕が上がる", "", false, ""},
		{"game death", "ゲームで死んだ", "", false, ""},
		{"homework", "宿題で死ぬ", "", false, ""},
		{"leaving home at 7", "7時に家出る", "", false, ""},
		{"haircut", "髪を切った", "", false, ""},
		{"football", "サッカーで足を蹴られた", "", false, ""},
		{"shoulder tap", "友達に肩を叩かれた", "", false, ""},
		{"suicide prevention poster", "自殺防止のポスターを描いた", "", false, ""},
		{"pet ran away", "家出したネコが帰ってきた", "", false, ""},
		{"toy purchase", "ゲーム買ってもらえない", "", false, ""},
		{"business trip", "パパが出張で三日帰ってこない", "", false, ""},
		{"help received", "友達に助けてもらった", "", false, ""},
		{"empty", "", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := d.Check(tt.text)
			if tt.want == "" {
				if ok {
					t.Fatalf("Check(%q) = %+v, want no match", tt.text, m)
				}
				return
			}
			if !ok || m.Category != tt.want || m.Gentle != tt.gentle {
				t.Fatalf("Check(%q) = %+v, %v; want %s gentle=%v", tt.text, m, ok, tt.want, tt.gentle)
			}
			if tt.rule != "" && m.Rule != tt.rule {
				t.Errorf("Check(%q).Rule = %q, want %q", tt.text, m.Rule, tt.rule)
			}
			if len(m.Tokens) == 0 || m.Phrase == "" {
				t.Errorf("Check(%q) = %+v: want the tokens and phrase that matched", tt.text, m)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	d, err := New(Config{
		Words:    []Word{{Text: "つらすぎ", Category: Suicidal}, {Text: "たすけにきて"}},
		Patterns: []Pattern{{Pattern: "先生 に ... 殴る れる", Category: "いじめ"}},
		Remove:   []string{"runaway.leave_home"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := d.Check("ツラスギ"); !ok || m.Category != Suicidal || m.Rule != "word: つらすぎ" {
		t.Errorf("programme word: %+v %v", m, ok)
	}
	if m, ok := d.Check("たすけにきて"); !ok || m.Category != Other {
		t.Errorf("word without a category is other: %+v %v", m, ok)
	}
	if m, ok := d.Check("先生になぐられた"); !ok || m.Category != Bullying || !strings.HasPrefix(m.Rule, "pattern: ") {
		t.Errorf("programme pattern (label as category, kana reading): %+v %v", m, ok)
	}
	if m, ok := d.Check("家出したい"); ok {
		t.Errorf("removed rule still matched: %+v", m)
	}
	if _, ok := d.Check("死にたい"); !ok {
		t.Error("other built-in rules must stay")
	}

	flow, err := d.With([]Word{{Text: "もうむり"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := flow.Check("もうむり"); !ok {
		t.Error("flow word not matched")
	}
	if _, ok := d.Check("もうむり"); ok {
		t.Error("With changed the original detector")
	}

	only, err := New(Config{NoBuiltins: true, Words: []Word{{Text: "きえたい"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := only.Check("死にたい"); ok {
		t.Error("NoBuiltins: built-in rule matched")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Patterns: []Pattern{{Pattern: ""}}},
		{Patterns: []Pattern{{Pattern: "... 死ぬ"}}},
		{Patterns: []Pattern{{Pattern: "死ぬ ..."}}},
		{Patterns: []Pattern{{Pattern: "* ..."}}},
		{Patterns: []Pattern{{Pattern: "死ぬ||たい"}}},
		{Patterns: []Pattern{{Pattern: "死ぬ", Category: "sad"}}},
		{Words: []Word{{Text: "  "}}},
		{Words: []Word{{Text: "x", Category: "nope"}}},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v): want an error", c)
		}
	}
	if err := CheckPattern("父|母 に ... 殴る れる|られる"); err != nil {
		t.Errorf("CheckPattern: %v", err)
	}
}

func TestCategories(t *testing.T) {
	for _, c := range Categories {
		if !c.Valid() || c.Label() == string(c) {
			t.Errorf("%s: no label", c)
		}
		if p, ok := ParseCategory(c.Label()); !ok || p != c {
			t.Errorf("ParseCategory(%q) = %q", c.Label(), p)
		}
	}
	if Category("x").Valid() {
		t.Error("x valid")
	}
	ids := RuleIDs()
	if !slices.Contains(ids, "suicidal.wish") || len(ids) < 10 {
		t.Errorf("RuleIDs = %v", ids)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"ｼﾆﾀｲ":      "しにたい",
		"  ＡＢＣ　 ｄ ": "abc d",
		"シニタイ":      "しにたい",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Compact("し に た い"); got != "しにたい" {
		t.Errorf("Compact = %q", got)
	}
}

// TestCheckConcurrent checks from many goroutines at once, as the workers
// of a service do (run with -race).
func TestCheckConcurrent(t *testing.T) {
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"死にたい", "消しゴムなくした", "ﾊﾟﾊﾟﾆﾅｸﾞﾗﾚﾀ", "死にたくない", "家出したい"}
	done := make(chan bool)
	for g := 0; g < 8; g++ {
		go func() {
			ok := true
			for i := 0; i < 50; i++ {
				text := texts[(g+i)%len(texts)]
				_, matched := d.Check(text)
				ok = ok && matched == (text != "消しゴムなくした")
			}
			done <- ok
		}()
	}
	for g := 0; g < 8; g++ {
		if !<-done {
			t.Error("a concurrent check gave a different answer")
		}
	}
}
