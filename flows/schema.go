package flows

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// The JSON Schema of flow files is generated from the Go types below: a
// mirror of the file format, one struct per mapping, whose `json` tags are
// the keys and whose `doc` tags are what an editor shows on hover. Tests
// keep the mirror's keys equal to the keys the decoder accepts, and the
// committed examples/flows/flow.schema.json equal to Schema().
//
// Tags read by the generator: json (the key), doc (the description),
// required, pattern, enum (comma-separated), min, max, minItems, maxItems,
// maxLength, default.

// SchemaID is the $id of the flow file schema.
const SchemaID = "https://github.com/tsunagu/tsunagu/examples/flows/flow.schema.json"

type fileFlow struct {
	ID        string     `json:"id" required:"true" pattern:"^[a-z0-9][a-z0-9-]*$" maxLength:"64" doc:"フローの名前（英小文字・数字・-）。フローごとに別の名前にします。例: weekly-child / The flow's id: lowercase letters, digits and '-', unique across files."`
	Title     string     `json:"title" required:"true" doc:"フローの題名。サポーターが見るアラートにも出ます。 / The flow's title; supporters see it in alerts."`
	Languages []fileLang `json:"languages" doc:"このフローが話す言語。さいしょが基本の言語（書かなければ ja）。家庭に見せる文は {ja: …, en: …} のように言語ごとに書きます。 / The languages the flow speaks, its default first (default ja); family-facing texts are then maps by language."`
	Audience  *struct {
		Roles       []fileRole `json:"roles" doc:"だれに送るか: child（こども）・guardian（保護者）。書かなければ両方。 / Roles it is for: child, guardian (default both)."`
		Tags        textList   `json:"tags" doc:"このタグのどれかがある家庭だけに送ります（例: [uwajima]）。 / Only families with any of these tags."`
		ExcludeTags textList   `json:"exclude_tags" doc:"このタグのどれかがある家庭には送りません。 / Never families with any of these tags."`
	} `json:"audience" doc:"だれに送るか。 / Who the flow is for."`
	Schedule     fileSchedules `json:"schedule" doc:"いつ送るか。cron（分 時 日 月 曜日）と timezone。いくつでも書けます。書かなければ tsunagu send・on で始めたときだけ。 / When the scheduler starts it: cron (5 fields or @weekly) and optional timezone; a list for several."`
	On           fileOn        `json:"on" doc:"ほかに始まるとき: enrol（登録したとき）、{keyword: [相談, 話したい]}（ことばが届いたとき）。 / What else starts it: enrol, or {keyword: [...]} typed by a member."`
	ExpiresAfter duration      `json:"expires_after" default:"24h" doc:"答えが終わらないまま、この時間がたつと未回答（missed）で終わります。答えた分は残り、アラートも見ます。例: 24h, 3d / An unfinished session then ends as missed (default 24h)."`
	Reminders    []struct {
		After duration `json:"after" required:"true" doc:"始まってから、どれだけたったら送るか（expires_after より前）。例: 24h / Time since the start; before expires_after."`
		Say   ltext    `json:"say" required:"true" doc:"リマインダーの文。このあと、いまの質問をもう一度送ります。 / The reminder's text; the open question follows it."`
	} `json:"reminders" doc:"まだ終わっていない人に送るリマインダー。after の短い順に。 / Reminders pushed to members who have not finished, in order of after."`
	Missed *struct {
		Streak   int          `json:"streak" required:"true" min:"1" doc:"何回つづけて未回答ならアラートを出すか。 / How many missed sessions in a row raise the alert."`
		Severity fileSeverity `json:"severity" default:"warning" doc:"アラートの重さ。 / The alert's severity (default warning)."`
		Note     string       `json:"note" doc:"サポーターに伝える理由。 / The reason supporters read."`
	} `json:"missed" doc:"同じフローに何回もつづけて答えがないときのアラート。 / An alert after a streak of missed sessions."`
	RiskWordsExtra textList   `json:"risk_words_extra" doc:"このフローで、全体のリストに加えて気をつけることば（「runaway: 家出」のようにカテゴリをつけられます）。 / Risk words added to the global list for this flow's free text (\"runaway: 家出\" gives a category)."`
	RiskPatterns   textList   `json:"risk_patterns" doc:"このフローで加える、ことばの形を見るパターン（例: 「bullying: 先生 に ... 殴る れる|られる」）。docs/risk.md を見てください。 / Risk patterns added for this flow (e.g. \"bullying: 先生 に ... 殴る れる|られる\"); see docs/risk.md."`
	Steps          []fileStep `json:"steps" required:"true" minItems:"1" doc:"質問（ステップ）。上から順に聞きます。 / The steps; a session starts at the first."`
	Alerts         []struct {
		If       condition    `json:"if" required:"true" doc:"アラートを出す条件。ステップの id で答えを読みます。例: mood == \"bad\", energy <= 2, energy <= previous(\"energy\") - 3 / The condition, reading answers by step id."`
		Severity fileSeverity `json:"severity" required:"true" doc:"info（参考）・warning（注意）・urgent（至急）。 / info, warning or urgent."`
		Note     string       `json:"note" required:"true" doc:"サポーターに伝える理由。 / The reason supporters read."`
		When     string       `json:"when" enum:"end,answered" default:"end" doc:"end: おわったとき・未回答で終わったとき。answered: 答えた直後（1回だけ）。 / end: when the session ends (also as missed); answered: as soon as it holds, once."`
	} `json:"alerts" doc:"サポーターへのアラート。 / Alerts for supporters."`
	Done ltext `json:"done" doc:"さいごのお礼の文。{{answers.ステップid}} で答えを入れられます。 / Sent at the end; may quote answers."`
}

type fileStep struct {
	ID       string      `json:"id" required:"true" pattern:"^[a-z][a-z0-9_]*$" doc:"ステップの名前（英小文字で始め、英小文字・数字・_）。条件や答えの書き出しで使います。 / The step's id, used in conditions and exports."`
	Say      lsay        `json:"say" required:"true" doc:"送る文。リストにすると5つまで（さいごが質問）。{{answers.前のステップid}} で前の答えを入れられます。 / What to send; a list of up to 5 texts, the last being the question. May quote earlier answers."`
	Choices  []choice    `json:"choices" maxItems:"13" doc:"ボタンで答える（13個まで、ボタンの文字は20文字まで）。 / Quick-reply buttons (at most 13, labels at most 20 characters)."`
	Number   *numberSpec `json:"number" doc:"数字で答える。 / A number."`
	Text     *textSpec   `json:"text" doc:"自由に書いて答える。 / Free text."`
	Scale    *scaleSpec  `json:"scale" doc:"1〜5などの目盛りをボタンで答える。 / A scale, one button per point."`
	YesNo    *yesNo      `json:"yesno" doc:"はい・いいえで答える（value は yes / no）。 / Yes or no (values yes and no)."`
	Optional bool        `json:"optional" doc:"true なら「スキップ」のボタンで答えずに進めます。 / The member may skip it."`
	Skip     ltext       `json:"skip_label" default:"スキップ" maxLength:"20" doc:"スキップのボタンの文字。 / The skip button's label."`
	RetrySay ltext       `json:"retry_say" doc:"答えが受け取れなかったときに、質問の前に送る文。 / Said before the question when an answer does not fit."`
	Next     fileNext    `json:"next" doc:"次のステップの id か end。または {if, goto} のリスト（上から順に見て、if のない goto が最後の行き先）。書かなければすぐ下のステップ。 / A step id or end, or a list of {if, goto} rules tried in order; a goto without if is the default."`
}

type numberSpec struct {
	Min     float64 `json:"min" doc:"いちばん小さい数。 / Smallest number accepted."`
	Max     float64 `json:"max" doc:"いちばん大きい数。 / Largest number accepted."`
	Integer bool    `json:"integer" default:"true" doc:"true: 整数だけ。false: 小数も。 / Whole numbers only (default true)."`
}

type textSpec struct {
	MaxLength int `json:"max_length" min:"1" max:"5000" default:"500" doc:"何文字まで。 / Longest answer in characters (default 500)."`
}

type scaleSpec struct {
	Min    int `json:"min" default:"1" doc:"目盛りのはじめ。 / The scale's first point (default 1)."`
	Max    int `json:"max" default:"5" doc:"目盛りのおわり（ボタンは13個まで）。 / The scale's last point (default 5; at most 13 points)."`
	Labels *struct {
		Min ltext `json:"min" doc:"はじめの数のボタンにそえる文字。例: 全然 / Label beside the first point."`
		Max ltext `json:"max" doc:"おわりの数のボタンにそえる文字。例: とても / Label beside the last point."`
	} `json:"labels" doc:"両はしの意味。 / What the ends mean."`
}

type yesNo struct {
	Yes ltext `json:"yes" default:"はい" maxLength:"20" doc:"「はい」のボタンの文字。 / The yes button's label."`
	No  ltext `json:"no" default:"いいえ" maxLength:"20" doc:"「いいえ」のボタンの文字。 / The no button's label."`
}

type choiceMap struct {
	Label ltext  `json:"label" required:"true" maxLength:"20" doc:"ボタンの文字（20文字まで）。 / The button's label."`
	Value string `json:"value" doc:"記録する値（条件で比べる）。書かなければ label と同じ。 / The value recorded and compared in conditions (default: the label)."`
	Next  string `json:"next" doc:"この選択肢のときに進むステップの id か end。 / Where this choice leads."`
}

type nextRule struct {
	If   condition `json:"if" doc:"この条件のとき goto に進みます。書かなければいつでも。 / Go when this holds; without it, always."`
	Goto string    `json:"goto" required:"true" doc:"進むステップの id か end。 / The step id or end."`
}

type scheduleMap struct {
	Cron     string `json:"cron" required:"true" doc:"分 時 日 月 曜日（0＝日曜）。例: \"0 17 * * 5\"（毎週金曜17時）、\"0 10 1 * *\"（毎月1日10時）、@weekly / Five cron fields or a descriptor."`
	Timezone string `json:"timezone" doc:"タイムゾーン。書かなければ設定（ふつうは Asia/Tokyo）。 / Time zone (default: the configured one, usually Asia/Tokyo)."`
}

type onMap struct {
	Enrol   bool     `json:"enrol" doc:"登録したときに始める。 / Start when a member enrols."`
	Keyword textList `json:"keyword" doc:"このことばが届いたら始める。例: [相談, 話したい] / Start when a member types one of these."`
}

// Types that are more than one shape in YAML describe themselves.
type (
	textList      []string
	ltext         string // a family-facing text: one, or a map by language
	lsay          struct{}
	fileLang      string
	choice        struct{}
	fileNext      struct{}
	fileSchedules struct{}
	fileOn        struct{}
	fileRole      string
	fileSeverity  string
	duration      string
	condition     string
)

type schemaer interface{ schema(g *schemaGen) *schema }

func (textList) schema(*schemaGen) *schema {
	return &schema{AnyOf: []*schema{{Type: "string"}, {Type: "array", Items: &schema{Type: "string"}}}}
}

func (ltext) schema(*schemaGen) *schema {
	return &schema{AnyOf: []*schema{{Type: "string"}, byLanguage(&schema{Type: "string"})}}
}

func (lsay) schema(g *schemaGen) *schema {
	one := textList(nil).schema(g)
	return &schema{AnyOf: []*schema{one.AnyOf[0], one.AnyOf[1], byLanguage(one)}}
}

func (fileLang) schema(*schemaGen) *schema {
	return &schema{Type: "string", Pattern: langPattern.String(), Examples: []any{"ja", "en", "pt"}}
}

// byLanguage is a mapping from language codes to texts of schema s.
func byLanguage(s *schema) *schema {
	return &schema{Type: "object", Description: "言語ごとの文（例: {ja: こんにちは, en: Hello, pt: Olá}） / One text per language.",
		PropertyNames: &schema{Pattern: langPattern.String()}, AdditionalProperties: s}
}

func (choice) schema(g *schemaGen) *schema {
	return &schema{AnyOf: []*schema{{Type: "string", MaxLength: ptr(MaxLabelLen), Description: "ボタンの文字（value も同じ） / A label that is also the value."}, g.of(reflect.TypeFor[choiceMap]())}}
}

func (fileNext) schema(g *schemaGen) *schema {
	return &schema{AnyOf: []*schema{{Type: "string"}, {Type: "array", Items: g.of(reflect.TypeFor[nextRule]())}}}
}

func (fileSchedules) schema(g *schemaGen) *schema {
	one := &schema{AnyOf: []*schema{{Type: "string"}, g.of(reflect.TypeFor[scheduleMap]())}}
	return &schema{AnyOf: []*schema{one.AnyOf[0], one.AnyOf[1], {Type: "array", Items: one}}}
}

func (fileOn) schema(g *schemaGen) *schema {
	return &schema{AnyOf: []*schema{{Type: "string", Enum: []any{"enrol"}}, g.of(reflect.TypeFor[onMap]())}}
}

func (fileRole) schema(*schemaGen) *schema {
	return &schema{Type: "string", Enum: []any{"child", "guardian"}}
}

func (fileSeverity) schema(*schemaGen) *schema {
	return &schema{Type: "string", Enum: []any{"info", "warning", "urgent"}}
}

func (duration) schema(*schemaGen) *schema {
	return &schema{Type: "string", Pattern: `^([0-9]+d)?([0-9]+(\.[0-9]+)?(h|m|s|ms))*$`, Examples: []any{"24h", "3d", "90m"}}
}

func (condition) schema(*schemaGen) *schema {
	return &schema{Type: "string"}
}

// schema is a JSON Schema (draft-07) node, its keys in a stable order.
type schema struct {
	Schema               string    `json:"$schema,omitempty"`
	ID                   string    `json:"$id,omitempty"`
	Title                string    `json:"title,omitempty"`
	Description          string    `json:"description,omitempty"`
	Type                 any       `json:"type,omitempty"`
	Enum                 []any     `json:"enum,omitempty"`
	Pattern              string    `json:"pattern,omitempty"`
	Minimum              *float64  `json:"minimum,omitempty"`
	Maximum              *float64  `json:"maximum,omitempty"`
	MaxLength            *int      `json:"maxLength,omitempty"`
	MinItems             *int      `json:"minItems,omitempty"`
	MaxItems             *int      `json:"maxItems,omitempty"`
	Items                *schema   `json:"items,omitempty"`
	Properties           *props    `json:"properties,omitempty"`
	Required             []string  `json:"required,omitempty"`
	PropertyNames        *schema   `json:"propertyNames,omitempty"`
	AdditionalProperties any       `json:"additionalProperties,omitempty"`
	AnyOf                []*schema `json:"anyOf,omitempty"`
	Default              any       `json:"default,omitempty"`
	Examples             []any     `json:"examples,omitempty"`
}

type prop struct {
	name string
	s    *schema
}

// props are an object's properties, written in the order of the fields.
type props []prop

func (ps props) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.name)
		v, err := json.Marshal(p.s)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func ptr[T any](v T) *T { return &v }

type schemaGen struct{}

// of is the schema of Go type t.
func (g *schemaGen) of(t reflect.Type) *schema {
	if s, ok := reflect.Zero(t).Interface().(schemaer); ok {
		return s.schema(g)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.of(t.Elem())
	case reflect.String:
		return &schema{Type: "string"}
	case reflect.Bool:
		return &schema{Type: "boolean"}
	case reflect.Int:
		return &schema{Type: "integer"}
	case reflect.Float64:
		return &schema{Type: "number"}
	case reflect.Slice:
		return &schema{Type: "array", Items: g.of(t.Elem())}
	case reflect.Struct:
		s := &schema{Type: []string{"object", "null"}, Properties: &props{}, AdditionalProperties: ptr(false)}
		for i := range t.NumField() {
			f := t.Field(i)
			name := f.Tag.Get("json")
			ps := g.of(f.Type)
			ps.Description = f.Tag.Get("doc")
			g.constraints(ps, f.Tag)
			if f.Tag.Get("required") == "true" {
				s.Required = append(s.Required, name)
			}
			*s.Properties = append(*s.Properties, prop{name, ps})
		}
		return s
	}
	panic("schema: no JSON Schema for " + t.String())
}

func (g *schemaGen) constraints(s *schema, tag reflect.StructTag) {
	num := func(key string) *float64 {
		if v, err := strconv.ParseFloat(tag.Get(key), 64); err == nil {
			return &v
		}
		return nil
	}
	count := func(key string) *int {
		if v, err := strconv.Atoi(tag.Get(key)); err == nil {
			return &v
		}
		return nil
	}
	if p := tag.Get("pattern"); p != "" {
		s.Pattern = p
	}
	if e := tag.Get("enum"); e != "" {
		for _, v := range strings.Split(e, ",") {
			s.Enum = append(s.Enum, v)
		}
	}
	s.Minimum, s.Maximum = num("min"), num("max")
	if v := count("maxLength"); v != nil {
		s.MaxLength = v
	}
	s.MinItems, s.MaxItems = count("minItems"), count("maxItems")
	if d, ok := tag.Lookup("default"); ok {
		switch {
		case s.Type == "integer":
			s.Default, _ = strconv.Atoi(d)
		case s.Type == "boolean":
			s.Default = d == "true"
		default:
			s.Default = d
		}
	}
}

// Schema is the JSON Schema of flow files, generated from the mirror types
// above, for editors (`# yaml-language-server: $schema=./flow.schema.json`).
func Schema() []byte {
	s := (&schemaGen{}).of(reflect.TypeFor[fileFlow]())
	s.Schema = "http://json-schema.org/draft-07/schema#"
	s.ID = SchemaID
	s.Title = "tsunagu flow"
	s.Description = "tsunagu のチェックインのフロー（1ファイルに1つ）。docs/flows.md を見てください。 / A tsunagu check-in flow, one per file; see docs/flows.md."
	s.Type = "object"
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic("schema: " + err.Error())
	}
	return b.Bytes()
}
