package config

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestExampleFile: tsunagu.example.yaml loads, says the defaults, and
// names every key of Config, so a new setting cannot go undocumented.
func TestExampleFile(t *testing.T) {
	const path = "../tsunagu.example.yaml"
	c, err := Load(path, true, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	// Printed, so that an empty list in the file equals none.
	if got, want := fmt.Sprintf("%+v", c), fmt.Sprintf("%+v", Defaults()); got != want {
		t.Errorf("the example's values are not the defaults:\n got %+v\nwant %+v", c, want)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range yamlKeys(reflect.TypeOf(Config{})) {
		if !strings.Contains(string(b), key+":") {
			t.Errorf("tsunagu.example.yaml does not mention %s", key)
		}
	}
}

func yamlKeys(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		out = append(out, key)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(Duration(0)) {
			out = append(out, yamlKeys(f.Type)...)
		}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			out = append(out, yamlKeys(f.Type.Elem())...)
		}
	}
	return out
}
