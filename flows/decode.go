package flows

import (
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// The decoder turns the YAML tree into src* values that still carry their
// positions, reporting the mistakes of shape: unknown and missing keys and
// values of the wrong type. validate.go then checks their meaning.

// str is a scalar read from the file.
type str struct {
	s    string
	at   pos
	node ast.Node
	set  bool
	tr   map[string]str // a family-facing text in the flow's other languages
}

type srcFlow struct {
	at          pos
	id, title   str
	languages   []str
	done        str
	roles       []str
	tags        []str
	excludeTags []str
	schedules   []*srcSchedule
	expires     str
	reminders   []*srcReminder
	missed      *srcMissed
	onEnrol     bool
	keywords    []str
	riskWords   []str
	riskPats    []str
	steps       []*srcStep
	alerts      []*srcAlert
}

type srcStep struct {
	at          pos
	id          str
	say         []str
	sayTr       map[string][]str // say in the flow's other languages
	sayAt       pos
	next        str
	rules       []*srcRule
	kinds       []field // the answer-kind keys given: choices, number, text, scale, yesno
	misspelt    bool    // an unknown key looked like an answer kind
	choices     []*srcChoice
	choicesNode ast.Node
	number      *srcNumber
	text        *srcText
	scale       *srcScale
	yesno       *srcYesNo
	optional    bool
	optionalAt  pos
	skip        str
	retry       str
}

type srcChoice struct {
	at                 pos
	label, value, next str
}

type srcNumber struct {
	at       pos
	min, max *float64
	minAt    pos
	maxAt    pos
	integer  bool
}

type srcText struct {
	maxLength   int
	maxLengthAt pos
}

type srcScale struct {
	at                 pos
	min, max           *float64
	minAt, maxAt       pos
	minLabel, maxLabel str
}

type srcYesNo struct {
	at      pos
	yes, no str
}

type srcRule struct {
	at       pos
	cond, to str
	hasIf    bool
}

type srcAlert struct {
	at                         pos
	cond, severity, note, when str
}

type srcSchedule struct {
	at             pos
	cron, timezone str
}

type srcReminder struct {
	at         pos
	after, say str
}

type srcMissed struct {
	at             pos
	streak         str
	severity, note str
}

// keySet is the keys a kind of mapping accepts.
type keySet struct {
	name  string
	where l10n // where these keys go, for a key written in the wrong place
	keys  []string
}

var (
	flowKeys = keySet{"flow", hint("ファイルの一番上（トップレベル）", "at the top level of the file"),
		[]string{"id", "title", "languages", "audience", "schedule", "on", "expires_after", "reminders", "missed",
			"risk_words_extra", "risk_patterns", "steps", "alerts", "done"}}
	audienceKeys = keySet{"audience", hint("`audience:` の中", "under `audience:`"),
		[]string{"roles", "tags", "exclude_tags"}}
	stepKeys = keySet{"step", hint("`steps:` の各ステップ", "in a step under `steps:`"),
		[]string{"id", "say", "choices", "number", "text", "scale", "yesno", "optional", "skip_label", "retry_say", "next"}}
	choiceKeys = keySet{"choice", hint("`choices:` の各選択肢", "in a choice under `choices:`"),
		[]string{"label", "value", "next"}}
	numberKeys = keySet{"number", hint("`number:` の中", "under `number:`"),
		[]string{"min", "max", "integer"}}
	textKeys = keySet{"text", hint("`text:` の中", "under `text:`"),
		[]string{"max_length"}}
	scaleKeys = keySet{"scale", hint("`scale:` の中", "under `scale:`"),
		[]string{"min", "max", "labels"}}
	scaleLabelKeys = keySet{"labels", hint("`scale:` の `labels:` の中", "under `labels:` of `scale:`"),
		[]string{"min", "max"}}
	yesnoKeys = keySet{"yesno", hint("`yesno:` の中", "under `yesno:`"),
		[]string{"yes", "no"}}
	nextKeys = keySet{"next", hint("`next:` の各行", "in a rule under `next:`"),
		[]string{"if", "goto"}}
	alertKeys = keySet{"alert", hint("`alerts:` の各アラート", "in an alert under `alerts:`"),
		[]string{"if", "severity", "note", "when"}}
	scheduleKeys = keySet{"schedule", hint("`schedule:` の中", "under `schedule:`"),
		[]string{"cron", "timezone"}}
	reminderKeys = keySet{"reminder", hint("`reminders:` の各リマインダー", "in a reminder under `reminders:`"),
		[]string{"after", "say"}}
	missedKeys = keySet{"missed", hint("`missed:` の中", "under `missed:`"),
		[]string{"streak", "severity", "note"}}
	onKeys = keySet{"on", hint("`on:` の中", "under `on:`"),
		[]string{"enrol", "keyword"}}

	allKeySets = []keySet{flowKeys, audienceKeys, stepKeys, choiceKeys, numberKeys, textKeys, scaleKeys,
		scaleLabelKeys, yesnoKeys, nextKeys, alertKeys, scheduleKeys, reminderKeys, missedKeys, onKeys}

	answerKinds = []string{"choices", "number", "text", "scale", "yesno"}
)

// requiredHints says how to fill in each required key, by "set.key".
var requiredHints = map[string]l10n{
	"flow.id": hint("`id:` にフローの名前を英小文字・数字・`-` で書いてください（例: `id: weekly-child`）。",
		"Add `id:` with the flow's name in lowercase letters, digits and `-` (e.g. `id: weekly-child`)."),
	"flow.title": hint("`title:` にフローの題名を書いてください。サポーターが見るアラートにも出ます。",
		"Add `title:` with the flow's title; supporters see it in alerts."),
	"flow.steps": hint("`steps:` に質問（ステップ）を1つ以上書いてください。",
		"Add `steps:` with at least one step."),
	"step.id": hint("`id:` にステップの名前を英小文字・数字・`_` で書いてください（例: `id: mood`）。",
		"Add `id:` with the step's name in lowercase letters, digits and `_` (e.g. `id: mood`)."),
	"step.say": hint("`say:` にメンバーに送る質問を書いてください。",
		"Add `say:` with the question to send to the member."),
	"choice.label": hint("`label:` にボタンに出す文字を書いてください。",
		"Add `label:` with the text shown on the button."),
	"alert.if": hint("`if:` にアラートを出す条件を書いてください（例: `if: mood == \"bad\"`）。",
		"Add `if:` with the condition that raises the alert (e.g. `if: mood == \"bad\"`)."),
	"alert.severity": hint("`severity:` に info・warning・urgent のどれかを書いてください。",
		"Add `severity:` with one of info, warning, urgent."),
	"next.goto": hint("`goto:` に進むステップの `id` か `end` を書いてください（例: `- {if: mood == \"bad\", goto: why}`）。",
		"Add `goto:` with the step `id` (or `end`) to go to (e.g. `- {if: mood == \"bad\", goto: why}`)."),
	"schedule.cron": hint("`cron:` に送る日時を書いてください（例: 毎週金曜17時なら `cron: \"0 17 * * 5\"`）。",
		"Add `cron:` with when to send (e.g. `cron: \"0 17 * * 5\"` for Fridays at 17:00)."),
	"reminder.after": hint("`after:` に始まってからの時間を書いてください（例: `after: 24h`）。",
		"Add `after:` with the time since the start (e.g. `after: 24h`)."),
	"reminder.say": hint("`say:` にリマインダーの文を書いてください。", "Add `say:` with the reminder's text."),
	"missed.streak": hint("`streak:` に何回つづけて答えがなかったらアラートを出すかを書いてください（例: `streak: 2`）。",
		"Add `streak:` with how many missed sessions in a row raise the alert (e.g. `streak: 2`)."),
	"alert.note": hint("`note:` にサポーターに伝える理由を書いてください（例: 気分がよくないと回答）。",
		"Add `note:` with the reason supporters will read."),
}

type decoder struct{ *reporter }

// mapping reads n as a mapping of the keys in ks, reporting unknown keys.
func (d decoder) mapping(n ast.Node, ks keySet) (mapping, bool) {
	m := mapping{at: posOf(n), fields: map[string]field{}}
	if isNull(n) {
		return m, true // `text:` with nothing after it is an empty mapping
	}
	mn, ok := unwrap(n).(*ast.MappingNode)
	if !ok {
		d.errorf(posOf(n), hint("ここには `key: value` の形で書きます（使えるキー: %s）。",
			"Write `key: value` pairs here (keys: %s).", strings.Join(ks.keys, ", ")),
			"%s: expected a mapping, found %s", ks.name, kindName(n))
		return m, false
	}
	for _, mv := range mn.Values {
		key, _ := scalarText(mv.Key)
		f := field{key: key, keyPos: posOf(mv.Key), value: mv.Value}
		if !slices.Contains(ks.keys, key) {
			d.unknownKey(f, ks)
			m.unknown = append(m.unknown, key)
			continue
		}
		m.fields[key] = f
	}
	return m, true
}

func (d decoder) unknownKey(f field, ks keySet) {
	h := hint("ここで使えるキー: %s。", "Keys allowed here: %s.", strings.Join(ks.keys, ", "))
	if s := closest(f.key, ks.keys); s != "" {
		h = hint("もしかして `%s` ですか？", "Did you mean `%s`?", s).and(h)
	} else {
		for _, other := range allKeySets {
			if slices.Contains(other.keys, f.key) {
				h = l10n{
					ja: "`" + f.key + "` は" + other.where.ja + "に書くキーです。" + h.ja,
					en: "`" + f.key + "` belongs " + other.where.en + ". " + h.en,
				}
				break
			}
		}
	}
	d.errorf(f.keyPos, h, "%s: unknown key `%s`", ks.name, f.key)
}

// str reads the scalar at key. A required key that is missing or empty is
// reported at the mapping.
func (d decoder) str(m mapping, ks keySet, key string, required bool) str {
	f, ok := m.fields[key]
	if !ok || isNull(f.value) {
		if required {
			at, what := m.at, "missing"
			if ok {
				at, what = f.keyPos, "empty"
			}
			d.errorf(at, requiredHints[ks.name+"."+key], "%s: %s `%s`", ks.name, what, key)
		}
		return str{at: m.at}
	}
	s, isScalar := scalarText(f.value)
	if !isScalar {
		d.errorf(posOf(f.value), hint("`%s:` には文字を1つ書きます。", "`%s:` takes a single text value.", key),
			"%s: `%s` must be text, found %s", ks.name, key, kindName(f.value))
		return str{at: posOf(f.value)}
	}
	s = strings.TrimSpace(s)
	if s == "" && required {
		d.errorf(posOf(f.value), requiredHints[ks.name+"."+key], "%s: empty `%s`", ks.name, key)
	}
	return str{s: s, at: posOf(f.value), node: f.value, set: true}
}

// list reads the sequence at f.
func (d decoder) list(f field) ([]ast.Node, bool) {
	if isNull(f.value) {
		return nil, true
	}
	seq, ok := unwrap(f.value).(*ast.SequenceNode)
	if !ok {
		d.errorf(posOf(f.value), hint("`%s:` の下には `- ` で始まる行を並べます。", "List items under `%s:`, each on a line starting with `- `.", f.key),
			"`%s` must be a list, found %s", f.key, kindName(f.value))
		return nil, false
	}
	return seq.Values, true
}

// strs reads a list of scalars at f; a single scalar counts as a list of
// one, so that `tags: uwajima` works as well as `tags: [uwajima]`.
func (d decoder) strs(f field, what l10n) []str {
	if isNull(f.value) {
		return nil
	}
	if s, ok := scalarText(f.value); ok {
		return []str{{s: strings.TrimSpace(s), at: posOf(f.value), node: f.value, set: true}}
	}
	items, _ := d.list(f)
	var out []str
	for _, it := range items {
		s, ok := scalarText(it)
		if !ok {
			d.errorf(posOf(it), what, "`%s`: an item must be text, found %s", f.key, kindName(it))
			continue
		}
		out = append(out, str{s: strings.TrimSpace(s), at: posOf(it), node: it, set: true})
	}
	return out
}

// boolean reads true or false at key of m.
func (d decoder) boolean(m mapping, ks keySet, key string) (v, set bool, at pos) {
	f, ok := m.get(key)
	if !ok {
		return false, false, pos{}
	}
	b, isBool := unwrap(f.value).(*ast.BoolNode)
	if !isBool {
		d.errorf(posOf(f.value), hint("`%s:` には true か false を書きます。", "`%s:` takes true or false.", key),
			"%s: `%s` must be true or false", ks.name, key)
		return false, false, posOf(f.value)
	}
	return b.Value, true, posOf(f.value)
}

// items reads f as a list of mappings, or a single mapping as a list of one.
func (d decoder) items(f field) []ast.Node {
	if isNull(f.value) {
		return nil
	}
	if _, isMap := unwrap(f.value).(*ast.MappingNode); isMap {
		return []ast.Node{f.value}
	}
	items, _ := d.list(f)
	return items
}

func (d decoder) flow(root ast.Node) *srcFlow {
	m, ok := d.mapping(root, flowKeys)
	if !ok {
		return nil
	}
	sf := &srcFlow{at: m.at}
	sf.id = d.str(m, flowKeys, "id", true)
	sf.title = d.str(m, flowKeys, "title", true)
	d.languages(sf, m)
	sf.done = d.ltext(m, flowKeys, "done", false)
	sf.expires = d.str(m, flowKeys, "expires_after", false)
	if f, ok := m.get("audience"); ok {
		am, _ := d.mapping(f.value, audienceKeys)
		tagHint := hint("タグを1つずつ書きます（例: `[uwajima, seiyo]`）。", "List the tags (e.g. `[uwajima, seiyo]`).")
		if rf, ok := am.get("roles"); ok {
			sf.roles = d.strs(rf, hint("child か guardian を書いてください。", "Write child or guardian."))
		}
		if tf, ok := am.get("tags"); ok {
			sf.tags = d.strs(tf, tagHint)
		}
		if tf, ok := am.get("exclude_tags"); ok {
			sf.excludeTags = d.strs(tf, tagHint)
		}
	}
	if f, ok := m.get("schedule"); ok {
		sf.schedules = d.schedules(f)
	}
	if f, ok := m.get("on"); ok {
		d.on(sf, f)
	}
	if f, ok := m.get("reminders"); ok {
		for _, it := range d.items(f) {
			rm, ok := d.mapping(it, reminderKeys)
			if !ok {
				continue
			}
			sf.reminders = append(sf.reminders, &srcReminder{at: rm.at,
				after: d.str(rm, reminderKeys, "after", true), say: d.ltext(rm, reminderKeys, "say", true)})
		}
	}
	if f, ok := m.get("missed"); ok {
		if mm, ok := d.mapping(f.value, missedKeys); ok {
			sf.missed = &srcMissed{at: mm.at, streak: d.str(mm, missedKeys, "streak", true),
				severity: d.str(mm, missedKeys, "severity", false), note: d.str(mm, missedKeys, "note", false)}
		}
	}
	if f, ok := m.get("risk_words_extra"); ok {
		sf.riskWords = d.strs(f, hint("ことばを1つずつ書きます（例: `[家出, いえで]`、カテゴリをつけるなら `\"runaway: 家出\"`）。", "List the words (e.g. `[家出, いえで]`; with a category, `\"runaway: 家出\"`)."))
	}
	if f, ok := m.get("risk_patterns"); ok {
		sf.riskPats = d.strs(f, hint("パターンを1つずつ書きます（例: `[\"bullying: 先生 に ... 殴る れる|られる\"]`）。", "List the patterns (e.g. `[\"bullying: 先生 に ... 殴る れる|られる\"]`)."))
	}
	f, ok := m.fields["steps"]
	switch items, isList := d.list(f); {
	case !ok:
		d.errorf(m.at, requiredHints["flow.steps"], "flow: missing `steps`")
	case isList && len(items) == 0:
		d.errorf(f.keyPos, requiredHints["flow.steps"], "flow: empty `steps`")
	default:
		for _, it := range items {
			if st := d.step(it); st != nil {
				sf.steps = append(sf.steps, st)
			}
		}
	}
	if f, ok := m.get("alerts"); ok {
		items, _ := d.list(f)
		for _, it := range items {
			if a := d.alert(it); a != nil {
				sf.alerts = append(sf.alerts, a)
			}
		}
	}
	return sf
}

// schedules reads `schedule:` as a cron text, a mapping, or a list of either.
func (d decoder) schedules(f field) []*srcSchedule {
	one := func(n ast.Node) *srcSchedule {
		if s, ok := scalarText(n); ok {
			return &srcSchedule{at: posOf(n), cron: str{s: strings.TrimSpace(s), at: posOf(n), node: n, set: true}}
		}
		m, ok := d.mapping(n, scheduleKeys)
		if !ok {
			return nil
		}
		return &srcSchedule{at: m.at, cron: d.str(m, scheduleKeys, "cron", true), timezone: d.str(m, scheduleKeys, "timezone", false)}
	}
	var nodes []ast.Node
	if _, isList := unwrap(f.value).(*ast.SequenceNode); isList {
		nodes, _ = d.list(f)
	} else {
		nodes = []ast.Node{f.value}
	}
	var out []*srcSchedule
	for _, n := range nodes {
		if s := one(n); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// on reads `on: enrol` or `on: {enrol: true, keyword: [...]}`.
func (d decoder) on(sf *srcFlow, f field) {
	if s, ok := scalarText(f.value); ok {
		s = strings.TrimSpace(s)
		if s == "enrol" {
			sf.onEnrol = true
			return
		}
		h := hint("`on:` には `enrol`（登録したとき）か `{keyword: [相談, 話したい]}`（ことばが届いたとき）を書きます。",
			"`on:` takes `enrol` (when a member enrols) or `{keyword: [相談, 話したい]}` (when a member types a word).")
		if closest(s, []string{"enrol", "keyword"}) == "enrol" || s == "enroll" {
			h = hint("もしかして `enrol` ですか？", "Did you mean `enrol`?").and(h)
		}
		d.errorf(posOf(f.value), h, "on: unknown trigger %q", s)
		return
	}
	m, ok := d.mapping(f.value, onKeys)
	if !ok {
		return
	}
	sf.onEnrol, _, _ = d.boolean(m, onKeys, "enrol")
	if kf, ok := m.get("keyword"); ok {
		sf.keywords = d.strs(kf, hint("ことばを1つずつ書きます（例: `[相談, 話したい]`）。", "List the words (e.g. `[相談, 話したい]`)."))
		if len(sf.keywords) == 0 {
			d.errorf(kf.keyPos, hint("`keyword:` にことばを1つ以上書いてください。", "List at least one word under `keyword:`."), "on: empty `keyword`")
		}
	}
}

func (d decoder) step(n ast.Node) *srcStep {
	m, ok := d.mapping(n, stepKeys)
	if !ok {
		return nil
	}
	st := &srcStep{at: m.at}
	st.id = d.str(m, stepKeys, "id", true)
	st.sayAt = m.at
	if f, ok := m.fields["say"]; !ok || isNull(f.value) {
		d.str(m, stepKeys, "say", true) // reports it missing
	} else {
		st.sayAt = f.keyPos
		st.say, st.sayTr = d.say(f)
		if len(st.say) == 0 {
			d.errorf(f.keyPos, requiredHints["step.say"], "step: empty `say`")
		}
		for _, s := range st.say {
			if s.s == "" {
				d.errorf(s.at, requiredHints["step.say"], "step: empty text in `say`")
			}
		}
	}
	st.skip = d.ltext(m, stepKeys, "skip_label", false)
	st.retry = d.ltext(m, stepKeys, "retry_say", false)
	st.optional, _, st.optionalAt = d.boolean(m, stepKeys, "optional")
	if f, ok := m.get("next"); ok {
		if _, isList := unwrap(f.value).(*ast.SequenceNode); isList {
			items, _ := d.list(f)
			for _, it := range items {
				if r := d.rule(it); r != nil {
					st.rules = append(st.rules, r)
				}
			}
		} else {
			st.next = d.str(m, stepKeys, "next", false)
		}
	}
	for _, k := range answerKinds {
		if f, ok := m.fields[k]; ok {
			st.kinds = append(st.kinds, f)
		}
	}
	for _, k := range m.unknown {
		st.misspelt = st.misspelt || closest(k, answerKinds) != ""
	}
	if f, ok := m.fields["choices"]; ok {
		st.choicesNode = f.value
		items, _ := d.list(f)
		for _, it := range items {
			if c := d.choice(it); c != nil {
				st.choices = append(st.choices, c)
			}
		}
	}
	if f, ok := m.fields["number"]; ok {
		st.number = d.number(f.value)
	}
	if f, ok := m.fields["text"]; ok {
		st.text = d.text(f.value)
	}
	if f, ok := m.fields["scale"]; ok {
		st.scale = d.scale(f.value)
	}
	if f, ok := m.fields["yesno"]; ok {
		st.yesno = d.yesno(f.value)
	}
	return st
}

func (d decoder) rule(n ast.Node) *srcRule {
	m, ok := d.mapping(n, nextKeys)
	if !ok {
		return nil
	}
	r := &srcRule{at: m.at}
	_, r.hasIf = m.fields["if"]
	if r.hasIf {
		r.cond = d.str(m, nextKeys, "if", true)
	}
	r.to = d.str(m, nextKeys, "goto", true)
	return r
}

func (d decoder) scale(n ast.Node) *srcScale {
	sc := &srcScale{at: posOf(n)}
	m, _ := d.mapping(n, scaleKeys)
	sc.min, sc.minAt = d.numberAt(m, "scale", "min")
	sc.max, sc.maxAt = d.numberAt(m, "scale", "max")
	if f, ok := m.get("labels"); ok {
		lm, _ := d.mapping(f.value, scaleLabelKeys)
		sc.minLabel = d.ltext(lm, scaleLabelKeys, "min", false)
		sc.maxLabel = d.ltext(lm, scaleLabelKeys, "max", false)
	}
	return sc
}

func (d decoder) yesno(n ast.Node) *srcYesNo {
	yn := &srcYesNo{at: posOf(n)}
	m, _ := d.mapping(n, yesnoKeys)
	yn.yes = d.ltext(m, yesnoKeys, "yes", false)
	yn.no = d.ltext(m, yesnoKeys, "no", false)
	return yn
}

// numberAt reads the number at key of m.
func (d decoder) numberAt(m mapping, set, key string) (*float64, pos) {
	f, ok := m.get(key)
	if !ok {
		return nil, pos{}
	}
	v, ok := number(f.value)
	if !ok {
		d.errorf(posOf(f.value), hint("`%s:` には数字を書きます（例: `%s: 10`）。", "`%s:` takes a number (e.g. `%s: 10`).", key, key),
			"%s: `%s` must be a number", set, key)
		return nil, pos{}
	}
	return &v, posOf(f.value)
}

// choice reads a choice written as a plain label or as a mapping.
func (d decoder) choice(n ast.Node) *srcChoice {
	if s, ok := scalarText(n); ok {
		label := str{s: strings.TrimSpace(s), at: posOf(n), node: n, set: true}
		d.lacks(label, "label")
		value := label
		value.tr = nil
		return &srcChoice{at: label.at, label: label, value: value}
	}
	m, ok := d.mapping(n, choiceKeys)
	if !ok {
		return nil
	}
	c := &srcChoice{at: m.at}
	c.label = d.ltext(m, choiceKeys, "label", true)
	c.value = d.str(m, choiceKeys, "value", false)
	if c.value.s == "" {
		c.value = c.label
		c.value.tr = nil
	}
	c.next = d.str(m, choiceKeys, "next", false)
	return c
}

func (d decoder) number(n ast.Node) *srcNumber {
	num := &srcNumber{at: posOf(n), integer: true}
	m, _ := d.mapping(n, numberKeys)
	num.min, num.minAt = d.numberAt(m, "number", "min")
	num.max, num.maxAt = d.numberAt(m, "number", "max")
	if f, ok := m.get("integer"); ok {
		b, isBool := unwrap(f.value).(*ast.BoolNode)
		if !isBool {
			d.errorf(posOf(f.value), hint("`integer:` には true（整数だけ）か false（小数も可）を書きます。",
				"`integer:` takes true (whole numbers only) or false (decimals allowed)."),
				"number: `integer` must be true or false")
		} else {
			num.integer = b.Value
		}
	}
	return num
}

func (d decoder) text(n ast.Node) *srcText {
	t := &srcText{maxLength: DefaultMaxLength, maxLengthAt: posOf(n)}
	m, _ := d.mapping(n, textKeys)
	if f, ok := m.get("max_length"); ok {
		v, isNum := number(f.value)
		if !isNum || v != float64(int(v)) || v < 1 || v > MaxMessageLen {
			d.errorf(posOf(f.value), hint("`max_length:` には 1 から %d までの整数を書きます。", "`max_length:` takes a whole number from 1 to %d.", MaxMessageLen),
				"text: bad `max_length`")
		} else {
			t.maxLength = int(v)
		}
		t.maxLengthAt = posOf(f.value)
	}
	return t
}

func (d decoder) alert(n ast.Node) *srcAlert {
	m, ok := d.mapping(n, alertKeys)
	if !ok {
		return nil
	}
	return &srcAlert{
		at:       m.at,
		cond:     d.str(m, alertKeys, "if", true),
		severity: d.str(m, alertKeys, "severity", true),
		note:     d.str(m, alertKeys, "note", true),
		when:     d.str(m, alertKeys, "when", false),
	}
}
