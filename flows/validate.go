package flows

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/tsunagu/tsunagu"
)

var (
	flowIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	stepIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

const maxFlowIDLen = 64

// build checks the meaning of a decoded flow and turns it into a Flow. It
// reports every problem it finds; the Flow is only usable when none of them
// is an error.
func (r *reporter) build(sf *srcFlow) *Flow {
	f := &Flow{
		ID:        sf.id.s,
		Title:     sf.title.s,
		Done:      sf.done.s,
		DoneIn:    localized(sf.done),
		Languages: r.langs,
		index:     map[string]int{},
	}
	if sf.id.s != "" && (!flowIDPattern.MatchString(sf.id.s) || len(sf.id.s) > maxFlowIDLen) {
		r.errorf(sf.id.at, hint("フローの `id` は英小文字・数字・`-` だけで、%d文字までです（例: `weekly-child`）。",
			"A flow `id` uses only lowercase letters, digits and `-`, at most %d characters (e.g. `weekly-child`).", maxFlowIDLen),
			"bad flow id %q", sf.id.s)
	}
	f.Roles = r.roles(sf)
	f.Tags, f.ExcludeTags = r.tags(sf.tags, "tags"), r.tags(sf.excludeTags, "exclude_tags")
	for _, t := range sf.excludeTags {
		for _, in := range sf.tags {
			if t.s == in.s {
				r.errorf(t.at, hint("同じタグが `tags:` と `exclude_tags:` の両方にあると、だれにも届きません。どちらかから消してください。",
					"A tag in both `tags:` and `exclude_tags:` leaves no one: remove it from one of them."),
					"audience: tag %q is both included and excluded", t.s)
			}
		}
	}
	if f.Done == "" {
		f.Done = f.wording().done
		for _, lang := range f.Languages[1:] {
			f.DoneIn[lang] = f.wordingIn(lang).done
		}
	}
	r.checkMessageLen(sf.done, "done")
	for _, t := range sf.done.tr {
		r.checkMessageLen(t, "done")
	}

	seen := map[string]*srcStep{}
	for _, ss := range sf.steps {
		s := r.step(ss, seen)
		if _, dup := f.index[s.ID]; !dup {
			f.index[s.ID] = len(f.Steps)
		}
		f.Steps = append(f.Steps, s)
	}
	env := conditionEnv(f.Steps)
	for i, ss := range sf.steps {
		r.checkNext(f, ss.next)
		for _, c := range ss.choices {
			r.checkNext(f, c.next)
		}
		f.Steps[i].Rules = r.rules(f, ss, env)
	}
	r.checkGraph(f, sf)
	for _, sa := range sf.alerts {
		if a := r.alert(f, sa, env); a != nil {
			f.Alerts = append(f.Alerts, a)
		}
	}
	r.checkPlaceholders(f, sf)
	r.living(f, sf)
	return f
}

// tags checks the tags of `audience:`.
func (r *reporter) tags(ss []str, key string) []string {
	var out []string
	for _, s := range ss {
		if s.s == "" {
			r.errorf(s.at, hint("空のタグは使えません。", "A tag cannot be empty."), "audience: empty tag in `%s`", key)
			continue
		}
		out = append(out, s.s)
	}
	return out
}

func (r *reporter) roles(sf *srcFlow) []tsunagu.Role {
	if sf.roles == nil {
		return append([]tsunagu.Role(nil), tsunagu.Roles...)
	}
	var roles []tsunagu.Role
	for _, s := range sf.roles {
		role := tsunagu.Role(s.s)
		if !role.Valid() {
			h := hint("`roles:` には child（子ども）か guardian（保護者）を書きます。", "`roles:` takes child or guardian.")
			if sug := closest(s.s, []string{string(tsunagu.RoleChild), string(tsunagu.RoleGuardian)}); sug != "" {
				h = hint("もしかして `%s` ですか？", "Did you mean `%s`?", sug).and(h)
			}
			r.errorf(s.at, h, "unknown role %q", s.s)
			continue
		}
		roles = append(roles, role)
	}
	return roles
}

// step checks one step. seen holds the steps before it, to catch a reused id.
func (r *reporter) step(ss *srcStep, seen map[string]*srcStep) *Step {
	s := &Step{ID: ss.id.s, Next: ss.next.s, Optional: ss.optional, Skip: ss.skip.s, RetrySay: ss.retry.s,
		SkipIn: localized(ss.skip), RetrySayIn: localized(ss.retry), SayIn: map[string][]string{}}
	for _, t := range ss.say {
		s.Say = append(s.Say, t.s)
	}
	for lang, texts := range ss.sayTr {
		for _, t := range texts {
			s.SayIn[lang] = append(s.SayIn[lang], t.s)
			r.checkMessageLen(t, "say")
		}
		if len(texts) > MaxMessages {
			r.errorf(texts[MaxMessages].at, hint("LINEは1回に%dつまでしかメッセージを送れません。`say:` は質問をふくめて%dつまでにしてください（質問の前の文は%dつまで）。",
				"LINE sends at most %d messages at once: keep `say:` to %d texts, the question included (%d before it).", MaxMessages, MaxMessages, MaxMessages-1),
				"step %q says %d texts in %s; LINE sends at most %d messages at once", ss.id.s, len(texts), lang, MaxMessages)
		}
	}
	if len(s.Say) == 0 {
		s.Say = []string{""} // reported already; keeps Question() safe
	}
	switch {
	case s.ID == "":
	case !stepIDPattern.MatchString(s.ID):
		r.errorf(ss.id.at, hint("ステップの `id` は英小文字で始め、英小文字・数字・`_` だけを使います（`-` は使えません）。`if:` の式で名前として使うためです。例: `sleep_hours`",
			"A step `id` starts with a lowercase letter and uses only lowercase letters, digits and `_` (not `-`), because `if:` expressions use it as a name. E.g. `sleep_hours`."),
			"bad step id %q", s.ID)
	case reservedIDs[s.ID]:
		r.errorf(ss.id.at, hint("`%s` は `if:` の式で特別な意味を持つ言葉なので、ステップの `id` には使えません。別の名前にしてください。",
			"`%s` means something else in `if:` expressions, so a step cannot use it as its `id`; choose another name.", s.ID),
			"step id %q is reserved", s.ID)
	case s.ID == End:
		r.errorf(ss.id.at, hint("`end` は「おわり」を表す `next:` の言葉なので、ステップの `id` には使えません。",
			"`end` is the `next:` that finishes the flow, so a step cannot use it as its `id`."),
			"step id %q is reserved", s.ID)
	case seen[s.ID] != nil:
		first := seen[s.ID]
		r.errorf(ss.id.at, hint("ステップの `id` はファイルの中で1回ずつしか使えません（%d行目で使用済み）。",
			"Each step `id` may be used once per file (already used on line %d).", first.id.at.line),
			"duplicate step id %q", s.ID)
	default:
		seen[s.ID] = ss
	}
	for _, t := range ss.say {
		r.checkMessageLen(t, "say")
	}
	if len(ss.say) > MaxMessages {
		r.errorf(ss.say[MaxMessages].at, hint("LINEは1回に%dつまでしかメッセージを送れません。`say:` は質問をふくめて%dつまでにしてください（質問の前の文は%dつまで）。",
			"LINE sends at most %d messages at once: keep `say:` to %d texts, the question included (%d before it).", MaxMessages, MaxMessages, MaxMessages-1),
			"step %q says %d texts; LINE sends at most %d messages at once", s.ID, len(ss.say), MaxMessages)
	}
	r.checkMessageLen(ss.retry, "retry_say")
	for _, t := range ss.retry.tr {
		r.checkMessageLen(t, "retry_say")
	}
	switch {
	case ss.skip.set && !ss.optional:
		r.warnf(ss.skip.at, hint("`skip_label:` は `optional: true` のステップでだけ使われます。スキップできるようにするなら `optional: true` も書いてください。",
			"`skip_label:` is used only on a step with `optional: true`: add that too if the member may skip it."),
			"step %q has `skip_label` but is not optional", s.ID)
	case s.Optional && s.Skip == "":
		s.Skip = r.wordingOf(r.langs[0]).skip
		for _, lang := range r.langs[1:] {
			s.SkipIn[lang] = r.wordingOf(lang).skip
		}
	}
	if s.Optional {
		r.checkLabel(str{s: s.Skip, at: cmp.Or(ss.skip.at, ss.optionalAt), node: ss.skip.node})
		for _, t := range ss.skip.tr {
			r.checkLabel(t)
		}
	}

	switch len(ss.kinds) {
	case 0:
		if ss.misspelt {
			break // the misspelt key is reported already
		}
		r.errorf(ss.at, hint("答え方を `choices:`（ボタン）・`yesno:`（はい/いいえ）・`scale:`（1〜5などの目盛り）・`number:`（数字）・`text:`（自由に書く）のどれか1つで書いてください。",
			"Say how the member answers with exactly one of `choices:` (buttons), `yesno:` (yes/no), `scale:` (e.g. 1 to 5), `number:` (a number) or `text:` (free text)."),
			"step %q has no `choices`, `yesno`, `scale`, `number` or `text`", s.ID)
	case 1:
	default:
		k := ss.kinds[1]
		r.errorf(k.keyPos, hint("1つのステップの答え方は1つだけです。`%s:` と `%s:` のどちらかを消すか、ステップを2つに分けてください。",
			"A step takes one kind of answer: remove `%s:` or `%s:`, or split the step in two.", ss.kinds[0].key, k.key),
			"step %q has both `%s` and `%s`", s.ID, ss.kinds[0].key, k.key)
	}

	if ss.number != nil {
		n := ss.number
		s.Number = &NumberSpec{Min: n.min, Max: n.max, Integer: n.integer}
		if n.min != nil && n.max != nil && *n.min > *n.max {
			r.errorf(n.minAt, hint("`min:` は `max:` 以下にしてください。", "Make `min:` no larger than `max:`."),
				"number: min %v is greater than max %v", *n.min, *n.max)
		}
	}
	if ss.text != nil {
		s.Text = &TextSpec{MaxLength: ss.text.maxLength}
	}
	if ss.scale != nil {
		s.Scale, s.Choices = r.scale(ss)
	}
	if ss.yesno != nil {
		s.YesNo = true
		def := r.wordingOf(r.langs[0])
		yes, no := cmp.Or(ss.yesno.yes.s, def.yes), cmp.Or(ss.yesno.no.s, def.no)
		r.checkLabel(ss.yesno.yes)
		r.checkLabel(ss.yesno.no)
		if yes == no {
			r.errorf(ss.yesno.no.at, hint("「はい」と「いいえ」のボタンは別の文字にしてください。", "The yes and no buttons need different labels."),
				"yesno: both buttons say %q", yes)
		}
		yesIn, noIn := Localized{}, Localized{}
		for _, lang := range r.langs[1:] {
			w := r.wordingOf(lang)
			yesIn[lang], noIn[lang] = cmp.Or(ss.yesno.yes.tr[lang].s, w.yes), cmp.Or(ss.yesno.no.tr[lang].s, w.no)
		}
		for _, t := range ss.yesno.yes.tr {
			r.checkLabel(t)
		}
		for _, t := range ss.yesno.no.tr {
			r.checkLabel(t)
		}
		s.Choices = []Choice{{Label: yes, Value: "yes", Labels: yesIn}, {Label: no, Value: "no", Labels: noIn}}
	}
	if _, ok := fieldOf(ss.kinds, "choices"); ok {
		s.Choices = r.choices(ss)
		if s.Choices == nil {
			s.Choices = []Choice{} // keep Kind() right for a step that failed
		}
	}
	if s.Optional && len(s.Choices) > 0 {
		if len(s.Choices)+1 > MaxChoices && len(s.Choices) <= MaxChoices {
			r.errorf(ss.optionalAt, hint("スキップのボタンもふくめて、LINEのボタンは%d個までです。選択肢を減らすか、`optional:` をやめてください。",
				"LINE shows at most %d buttons, the skip button included: remove a choice or drop `optional:`.", MaxChoices),
				"step %q has %d buttons with the skip button; LINE allows %d", s.ID, len(s.Choices)+1, MaxChoices)
		}
		for _, c := range s.Choices {
			if trimPunct(Normalize(c.Label)) == trimPunct(Normalize(s.Skip)) {
				r.errorf(cmp.Or(ss.skip.at, ss.optionalAt), hint("スキップのボタンと選択肢が同じ文字だと区別できません。`skip_label:` を変えてください。",
					"The skip button and a choice have the same label: change `skip_label:`."),
					"step %q: skip label %q is also a choice", s.ID, s.Skip)
			}
		}
	}
	return s
}

// scale checks a scale step and makes its buttons: one per point, the end
// labels beside the end numbers ("1 全然", "5 とても").
func (r *reporter) scale(ss *srcStep) (*ScaleSpec, []Choice) {
	sc := ss.scale
	spec := &ScaleSpec{Min: 1, Max: 5, MinLabel: sc.minLabel.s, MaxLabel: sc.maxLabel.s}
	whole := func(v *float64, at pos, key string, into *int) {
		if v == nil {
			return
		}
		if *v != float64(int(*v)) || *v < -99 || *v > 99 {
			r.errorf(at, hint("`%s:` には整数を書きます（例: 1）。", "`%s:` takes a whole number (e.g. 1).", key),
				"scale: `%s` must be a whole number", key)
			return
		}
		*into = int(*v)
	}
	whole(sc.min, sc.minAt, "min", &spec.Min)
	whole(sc.max, sc.maxAt, "max", &spec.Max)
	at := cmp.Or(sc.maxAt, sc.at)
	switch n := spec.Max - spec.Min + 1; {
	case spec.Min >= spec.Max:
		r.errorf(cmp.Or(sc.minAt, sc.at), hint("`min:` は `max:` より小さくしてください（例: `{min: 1, max: 5}`）。", "Make `min:` smaller than `max:` (e.g. `{min: 1, max: 5}`)."),
			"scale: min %d is not below max %d", spec.Min, spec.Max)
		return spec, []Choice{}
	case n > MaxChoices:
		r.errorf(at, hint("LINEのボタンは%d個までなので、目盛りは%d段階までです。", "LINE shows at most %d buttons, so a scale has at most %d points.", MaxChoices, MaxChoices),
			"scale: %d points; LINE allows %d buttons", n, MaxChoices)
		return spec, []Choice{}
	}
	var out []Choice
	for v := spec.Min; v <= spec.Max; v++ {
		c := Choice{Label: strconv.Itoa(v), Value: strconv.Itoa(v), Labels: Localized{}}
		var end str
		switch v {
		case spec.Min:
			end = sc.minLabel
		case spec.Max:
			end = sc.maxLabel
		}
		if end.s != "" {
			c.Label += " " + end.s
			c.aliases = []string{end.s}
			r.checkLabel(str{s: c.Label, at: end.at, node: end.node})
		}
		for lang, t := range end.tr {
			c.Labels[lang] = c.Value + " " + t.s
			c.aliases = append(c.aliases, t.s)
			r.checkLabel(str{s: c.Labels[lang], at: t.at, node: t.node})
		}
		out = append(out, c)
	}
	return spec, out
}

// checkLabel reports a button label over LINE's limit.
func (r *reporter) checkLabel(label str) {
	if n := lineLen(label.s); n > MaxLabelLen {
		r.errorf(label.at, hint("LINEのボタンに出せるのは%d文字までです（今は%d文字）。短くして、長い説明は `say:` に書いてください。",
			"LINE button labels hold at most %d characters (this one has %d): shorten it and put longer wording in `say:`.", MaxLabelLen, n),
			"button label %q is longer than %d characters", label.s, MaxLabelLen)
	}
}

// rules checks a step's `next:` list and compiles its conditions.
func (r *reporter) rules(f *Flow, ss *srcStep, env map[string]any) []*NextRule {
	var out []*NextRule
	var always *srcRule
	for _, sr := range ss.rules {
		if always != nil {
			r.errorf(sr.at, hint("`if:` のない `goto:` より後ろの行は使われません。`if:` のない行は `next:` の一番下に書いてください。",
				"A rule after one without `if:` is never used: put the rule without `if:` last."),
				"next: this rule comes after the default on line %d and is never used", always.at.line)
		}
		nr := &NextRule{If: sr.cond.s, Goto: sr.to.s}
		r.checkNext(f, sr.to)
		switch {
		case !sr.hasIf:
			if always == nil {
				always = sr
			}
		case sr.cond.s != "":
			if program, err := compileCondition(sr.cond.s, env); err != nil {
				r.conditionError(f, sr.cond, err)
			} else {
				nr.program = program
				r.checkCondition(f, sr.cond)
			}
		}
		out = append(out, nr)
	}
	return out
}

func fieldOf(fs []field, key string) (field, bool) {
	for _, f := range fs {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

func (r *reporter) choices(ss *srcStep) []Choice {
	if len(ss.choices) == 0 && isNull(ss.choicesNode) {
		f, _ := fieldOf(ss.kinds, "choices")
		r.errorf(f.keyPos, hint("`choices:` の下に `- ` で始まる選択肢を1つ以上書いてください。",
			"List at least one choice under `choices:`, each on a line starting with `- `."),
			"step %q has no choices", ss.id.s)
		return nil
	}
	var out []Choice
	values := map[string]*srcChoice{}
	labels := map[string]*srcChoice{}
	for i, c := range ss.choices {
		if i == MaxChoices {
			r.errorf(c.at, hint("LINEのボタンは1つの質問に%d個までです。選択肢を減らすか、質問を2つに分けてください。",
				"LINE shows at most %d buttons under a message: remove some choices or split the question.", MaxChoices),
				"step %q has %d choices; LINE allows %d", ss.id.s, len(ss.choices), MaxChoices)
		}
		if n := lineLen(c.label.s); n > MaxLabelLen {
			r.errorf(c.label.at, hint("LINEのボタンに出せるのは%d文字までです（今は%d文字）。短くして、長い説明は `say:` に書いてください。",
				"LINE button labels hold at most %d characters (this one has %d): shorten it and put longer wording in `say:`.", MaxLabelLen, n),
				"choice label %q is longer than %d characters", c.label.s, MaxLabelLen)
		}
		if first, dup := values[c.value.s]; dup && c.value.s != "" {
			r.errorf(c.value.at, hint("選択肢の `value` は1つの質問の中で重ならないようにします（%d行目と同じ）。",
				"Each choice needs its own `value` within a step (same as line %d).", first.value.at.line),
				"duplicate choice value %q", c.value.s)
		} else {
			values[c.value.s] = c
		}
		if first, dup := labels[c.label.s]; dup && c.label.s != "" && c.value.s != c.label.s {
			r.errorf(c.label.at, hint("同じ文字のボタンが2つあると、メンバーが区別できません（%d行目と同じ）。",
				"Two buttons with the same label cannot be told apart (same as line %d).", first.label.at.line),
				"duplicate choice label %q", c.label.s)
		} else {
			labels[c.label.s] = c
		}
		if n := postbackLen(ss.id.s, c.value.s); n > MaxPostbackLen {
			r.errorf(c.value.at, hint("ボタンを押したときにLINEへ送るデータが%d文字を超えます。`value:` を短い英数字にしてください（例: `value: bad`）。",
				"The data LINE sends back for this button would exceed %d characters: use a short `value:` (e.g. `value: bad`).", MaxPostbackLen),
				"choice value %q makes postback data of %d characters; LINE allows %d", truncate(c.value.s, 20), n, MaxPostbackLen)
		}
		for _, t := range c.label.tr {
			if n := lineLen(t.s); n > MaxLabelLen {
				r.errorf(t.at, hint("LINEのボタンに出せるのは%d文字までです（今は%d文字）。短くして、長い説明は `say:` に書いてください。",
					"LINE button labels hold at most %d characters (this one has %d): shorten it and put longer wording in `say:`.", MaxLabelLen, n),
					"choice label %q is longer than %d characters", t.s, MaxLabelLen)
			}
		}
		out = append(out, Choice{Label: c.label.s, Labels: localized(c.label), Value: c.value.s, Next: c.next.s})
	}
	return out
}

// checkNext reports a `next` that names no step.
func (r *reporter) checkNext(f *Flow, next str) {
	if next.s == "" || next.s == End || f.Step(next.s) != nil {
		return
	}
	ids := make([]string, 0, len(f.Steps)+1)
	for _, s := range f.Steps {
		ids = append(ids, s.ID)
	}
	h := hint("`next:` にはステップの `id` か `end`（おわり）を書きます。", "`next:` takes a step `id` or `end`.")
	if sug := closest(next.s, append(ids, End)); sug != "" {
		h = hint("もしかして `%s` ですか？", "Did you mean `%s`?", sug).and(h)
	}
	r.errorf(next.at, h, "next: no step %q", next.s)
}

func (r *reporter) alert(f *Flow, sa *srcAlert, env map[string]any) *AlertRule {
	a := &AlertRule{If: sa.cond.s, Severity: tsunagu.Severity(sa.severity.s), Note: sa.note.s, When: cmp.Or(sa.when.s, WhenEnd)}
	if a.When != WhenEnd && a.When != WhenAnswered {
		h := hint("`when:` には end（おわったとき・期限切れのとき。ふつうはこちら）か answered（答えた直後）を書きます。",
			"`when:` takes end (when the session ends, finished or missed; the default) or answered (right after an answer).")
		if sug := closest(a.When, []string{WhenEnd, WhenAnswered}); sug != "" {
			h = hint("もしかして `%s` ですか？", "Did you mean `%s`?", sug).and(h)
		}
		r.errorf(sa.when.at, h, "alert: unknown `when` %q", a.When)
	}
	if sa.severity.s != "" && !a.Severity.Valid() {
		r.unknownSeverity(sa.severity)
	}
	if sa.cond.s == "" {
		return a
	}
	program, err := compileCondition(sa.cond.s, env)
	if err != nil {
		r.conditionError(f, sa.cond, err)
		return a
	}
	a.program = program
	r.checkCondition(f, sa.cond)
	return a
}

// checkCondition reports what compiles but cannot be meant: a choice value
// no choice has, previous() of an unknown step.
func (r *reporter) checkCondition(f *Flow, cond str) {
	for _, cv := range comparedValues(cond.s) {
		r.checkComparedValue(f, cond, cv)
	}
	for _, pc := range previousCalls(cond.s) {
		if !pc.ok {
			r.errorf(within(cond, pc.offset), hint("`previous(...)` にはステップの `id` を \"…\" で囲んで1つ書きます（例: `previous(\"energy\")`）。",
				"`previous(...)` takes one step `id` in quotes (e.g. `previous(\"energy\")`)."),
				"if: previous() needs a step id in quotes")
			continue
		}
		if f.Step(pc.stepID) == nil {
			h := hint("`previous(\"…\")` には、このフローのステップの `id` を書きます。", "`previous(\"…\")` takes a step `id` of this flow.")
			if sug := closest(pc.stepID, f.stepIDs()); sug != "" {
				h = hint("もしかして `%s` ですか？", "Did you mean `%s`?", sug).and(h)
			}
			r.errorf(within(cond, pc.offset), h, "if: previous(%q): no such step", pc.stepID)
		}
	}
}

// stepIDs are the ids of f's steps, in file order.
func (f *Flow) stepIDs() []string {
	ids := make([]string, 0, len(f.Steps))
	for _, s := range f.Steps {
		ids = append(ids, s.ID)
	}
	return ids
}

func (r *reporter) unknownSeverity(sev str) {
	h := hint("`severity:` には info（参考）・warning（注意）・urgent（至急）のどれかを書きます。",
		"`severity:` takes info, warning or urgent.")
	if sug := closest(sev.s, []string{"info", "warning", "urgent"}); sug != "" {
		h = hint("もしかして `%s` ですか？", "Did you mean `%s`?", sug).and(h)
	}
	r.errorf(sev.at, h, "unknown severity %q", sev.s)
}

func (r *reporter) conditionError(f *Flow, cond str, err error) {
	offset, msg := conditionError(err)
	msg = strings.TrimSpace(msg)
	at := within(cond, offset)
	if name, ok := unknownName(msg); ok {
		ids := make([]string, 0, len(f.Steps))
		for _, s := range f.Steps {
			ids = append(ids, s.ID)
		}
		h := hint("`if:` の式ではステップの `id` で答えを読みます（例: `mood == \"bad\"`）。", "`if:` reads answers by step `id` (e.g. `mood == \"bad\"`).")
		if sug := closest(name, ids); sug != "" {
			h = hint("もしかして `%s` ですか？", "Did you mean `%s`?", sug).and(h)
		}
		r.errorf(at, h, "if: no step %q", name)
		return
	}
	switch {
	case strings.Contains(msg, "to call previous"):
		r.errorf(at, hint("`previous(...)` にはステップの `id` を \"…\" で囲んで書きます（例: `previous(\"energy\")`）。",
			"`previous(...)` takes a step `id` in quotes (e.g. `previous(\"energy\")`)."), "if: %s", msg)
		return
	case strings.Contains(msg, "familyVars has no field"), strings.Contains(msg, "memberVars has no field"):
		r.errorf(at, hint("条件で読めるのは `family.tags`（家庭のタグ）と `member.role`（child か guardian）だけです。家庭のコードは条件にも使えません。",
			"Conditions can read `family.tags` (the family's tags) and `member.role` (child or guardian) only; family codes are not available."),
			"if: %s", strings.NewReplacer("flows.familyVars", "family", "flows.memberVars", "member").Replace(msg))
		return
	}
	r.errorf(at, hint("式の書き方を確かめてください。例: `mood == \"bad\"`、`energy <= 2`、`mood in [\"bad\", \"so_so\"]`。文字は \"…\" で囲み、比べるときは `==` を使います。",
		"Check the expression. E.g. `mood == \"bad\"`, `energy <= 2`, `mood in [\"bad\", \"so_so\"]`. Quote text with \"…\" and compare with `==`."),
		"if: %s", msg)
}

// checkComparedValue reports a condition comparing a choice step with a
// value none of its choices has: it would silently never be true.
func (r *reporter) checkComparedValue(f *Flow, cond str, cv comparedValue) {
	s := f.Step(cv.stepID)
	if s == nil || len(s.Choices) == 0 || s.choice(cv.value) != nil {
		return
	}
	values := make([]string, 0, len(s.Choices))
	var h l10n
	for _, c := range s.Choices {
		values = append(values, c.Value)
		if c.Label == cv.value && h.ja == "" {
			h = hint("%q はボタンの文字（label）です。比べるのは value の %q です。", "%q is the label; compare with its value %q.", c.Label, c.Value)
		}
	}
	if h.ja == "" {
		if sug := closest(cv.value, values); sug != "" {
			h = hint("もしかして %q ですか？", "Did you mean %q?", sug)
		}
	}
	h = h.and(hint("`%s` の value: %s", "Values of `%s`: %s", s.ID, strings.Join(values, ", ")))
	r.errorf(within(cond, cv.offset), h, "if: step %q has no choice with value %q", s.ID, cv.value)
}

// within is the position of the rune at offset inside the scalar s, or of
// s itself when its text does not map to columns one to one.
func within(s str, offset int) pos {
	base, ok := valueOffset(s.node)
	if !ok {
		return s.at
	}
	return pos{s.at.line, s.at.col + base + offset}
}

func (r *reporter) checkMessageLen(s str, key string) {
	if n := lineLen(s.s); n > MaxMessageLen {
		r.errorf(s.at, hint("LINEのメッセージは%d文字までです（今は%d文字）。短くするか、ステップを分けてください。",
			"LINE messages hold at most %d characters (this one has %d): shorten it or split it into steps.", MaxMessageLen, n),
			"`%s` is longer than %d characters", key, MaxMessageLen)
	}
}

// lineLen counts characters as LINE does, in UTF-16 units: an emoji counts
// two.
func lineLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// postbackLen is the length of the longest postback a choice can send.
func postbackLen(stepID, value string) int {
	return lineLen(encodePostback(strings.Repeat("x", MaxSessionIDLen), stepID, value))
}

// localized is the translations of a family-facing text.
func localized(s str) Localized {
	l := Localized{}
	for lang, t := range s.tr {
		l[lang] = t.s
	}
	return l
}

// wordingOf is the engine's wording in lang, for the default buttons.
func (r *reporter) wordingOf(lang string) *wording {
	if w, ok := wordings[lang]; ok {
		return w[0]
	}
	return english
}
