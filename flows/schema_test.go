package flows

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSchemaFile keeps the committed schema equal to the generated one
// (`go test ./flows -run TestSchemaFile -update` rewrites it).
func TestSchemaFile(t *testing.T) {
	got := Schema()
	var v map[string]any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	checkGolden(t, "../examples/flows/flow.schema.json", string(got))
}

// TestSchemaKeys keeps the schema's keys equal to the keys the decoder
// accepts, mapping by mapping, so that an editor completes exactly what
// `tsunagu validate` allows.
func TestSchemaKeys(t *testing.T) {
	flow := reflect.TypeFor[fileFlow]()
	field := func(t reflect.Type, key string) reflect.Type {
		for i := range t.NumField() {
			if t.Field(i).Tag.Get("json") == key {
				ft := t.Field(i).Type
				for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
					ft = ft.Elem()
				}
				return ft
			}
		}
		return nil
	}
	scale := reflect.TypeFor[scaleSpec]()
	mirrors := map[string]reflect.Type{
		flowKeys.name:       flow,
		audienceKeys.name:   field(flow, "audience"),
		stepKeys.name:       reflect.TypeFor[fileStep](),
		choiceKeys.name:     reflect.TypeFor[choiceMap](),
		numberKeys.name:     reflect.TypeFor[numberSpec](),
		textKeys.name:       reflect.TypeFor[textSpec](),
		scaleKeys.name:      scale,
		scaleLabelKeys.name: field(scale, "labels"),
		yesnoKeys.name:      reflect.TypeFor[yesNo](),
		nextKeys.name:       reflect.TypeFor[nextRule](),
		alertKeys.name:      field(flow, "alerts"),
		scheduleKeys.name:   reflect.TypeFor[scheduleMap](),
		reminderKeys.name:   field(flow, "reminders"),
		missedKeys.name:     field(flow, "missed"),
		onKeys.name:         reflect.TypeFor[onMap](),
	}
	for _, ks := range allKeySets {
		mt := mirrors[ks.name]
		if mt == nil {
			t.Errorf("no schema mirror for %q", ks.name)
			continue
		}
		var keys []string
		for i := range mt.NumField() {
			keys = append(keys, mt.Field(i).Tag.Get("json"))
			if mt.Field(i).Tag.Get("doc") == "" {
				t.Errorf("%s.%s has no doc", ks.name, mt.Field(i).Tag.Get("json"))
			}
		}
		if !slices.Equal(keys, ks.keys) {
			t.Errorf("%s: schema keys %v, decoder keys %v", ks.name, keys, ks.keys)
		}
	}
}

// TestExamplesDeclareSchema keeps the yaml-language-server line at the top
// of every example, so that editors pick the schema up.
func TestExamplesDeclareSchema(t *testing.T) {
	files, _ := os.ReadDir("../examples/flows")
	for _, e := range files {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		src, err := os.ReadFile("../examples/flows/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(src), "# yaml-language-server: $schema=./flow.schema.json\n") {
			t.Errorf("%s does not start with the schema line", e.Name())
		}
	}
}
