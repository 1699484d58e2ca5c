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
}

type srcFlow struct {
	at        pos
	id, title str
	done      str
	roles     []str
	steps     []*srcStep
	alerts    []*srcAlert
}

type srcStep struct {
	at          pos
	id, say     str
	next        str
	kinds       []field // the answer-kind keys given: choices, number, text
	misspelt    bool    // an unknown key looked like an answer kind
	choices     []*srcChoice
	choicesNode ast.Node
	number      *srcNumber
	text        *srcText
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

type srcAlert struct {
	at                   pos
	cond, severity, note str
}

// keySet is the keys a kind of mapping accepts.
type keySet struct {
	name  string
	where l10n // where these keys go, for a key written in the wrong place
	keys  []string
}

var (
	flowKeys = keySet{"flow", hint("ファイルの一番上（トップレベル）", "at the top level of the file"),
		[]string{"id", "title", "audience", "steps", "alerts", "done"}}
	audienceKeys = keySet{"audience", hint("`audience:` の中", "under `audience:`"),
		[]string{"roles"}}
	stepKeys = keySet{"step", hint("`steps:` の各ステップ", "in a step under `steps:`"),
		[]string{"id", "say", "choices", "number", "text", "next"}}
	choiceKeys = keySet{"choice", hint("`choices:` の各選択肢", "in a choice under `choices:`"),
		[]string{"label", "value", "next"}}
	numberKeys = keySet{"number", hint("`number:` の中", "under `number:`"),
		[]string{"min", "max", "integer"}}
	textKeys = keySet{"text", hint("`text:` の中", "under `text:`"),
		[]string{"max_length"}}
	alertKeys = keySet{"alert", hint("`alerts:` の各アラート", "in an alert under `alerts:`"),
		[]string{"if", "severity", "note"}}

	allKeySets = []keySet{flowKeys, audienceKeys, stepKeys, choiceKeys, numberKeys, textKeys, alertKeys}
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

func (d decoder) flow(root ast.Node) *srcFlow {
	m, ok := d.mapping(root, flowKeys)
	if !ok {
		return nil
	}
	sf := &srcFlow{at: m.at}
	sf.id = d.str(m, flowKeys, "id", true)
	sf.title = d.str(m, flowKeys, "title", true)
	sf.done = d.str(m, flowKeys, "done", false)
	if f, ok := m.get("audience"); ok {
		am, _ := d.mapping(f.value, audienceKeys)
		if rf, ok := am.get("roles"); ok {
			items, _ := d.list(rf)
			for _, it := range items {
				s, ok := scalarText(it)
				if !ok {
					d.errorf(posOf(it), hint("child か guardian を書いてください。", "Write child or guardian."),
						"audience: a role must be text, found %s", kindName(it))
					continue
				}
				sf.roles = append(sf.roles, str{s: strings.TrimSpace(s), at: posOf(it), node: it, set: true})
			}
		}
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

func (d decoder) step(n ast.Node) *srcStep {
	m, ok := d.mapping(n, stepKeys)
	if !ok {
		return nil
	}
	st := &srcStep{at: m.at}
	st.id = d.str(m, stepKeys, "id", true)
	st.say = d.str(m, stepKeys, "say", true)
	st.next = d.str(m, stepKeys, "next", false)
	answerKinds := []string{"choices", "number", "text"}
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
	return st
}

// choice reads a choice written as a plain label or as a mapping.
func (d decoder) choice(n ast.Node) *srcChoice {
	if s, ok := scalarText(n); ok {
		label := str{s: strings.TrimSpace(s), at: posOf(n), node: n, set: true}
		return &srcChoice{at: label.at, label: label, value: label}
	}
	m, ok := d.mapping(n, choiceKeys)
	if !ok {
		return nil
	}
	c := &srcChoice{at: m.at}
	c.label = d.str(m, choiceKeys, "label", true)
	c.value = d.str(m, choiceKeys, "value", false)
	if c.value.s == "" {
		c.value = c.label
	}
	c.next = d.str(m, choiceKeys, "next", false)
	return c
}

func (d decoder) number(n ast.Node) *srcNumber {
	num := &srcNumber{at: posOf(n), integer: true}
	m, _ := d.mapping(n, numberKeys)
	bound := func(key string) (*float64, pos) {
		f, ok := m.get(key)
		if !ok {
			return nil, pos{}
		}
		v, ok := number(f.value)
		if !ok {
			d.errorf(posOf(f.value), hint("`%s:` には数字を書きます（例: `%s: 10`）。", "`%s:` takes a number (e.g. `%s: 10`).", key, key),
				"number: `%s` must be a number", key)
			return nil, pos{}
		}
		return &v, posOf(f.value)
	}
	num.min, num.minAt = bound("min")
	num.max, num.maxAt = bound("max")
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
	}
}
