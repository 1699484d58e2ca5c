package tsunagu

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRoster(t *testing.T) {
	in := "\ufeffcode,tags,supporter\nF-0001,uwajima;school-a,U012AB3CD\nF-0002,,\n\nF-0003,uwajima;uwajima,\n"
	got, err := ParseRoster("roster.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Family{
		{Code: "F-0001", Tags: []string{"uwajima", "school-a"}, Supporter: "U012AB3CD"},
		{Code: "F-0002"},
		{Code: "F-0003", Tags: []string{"uwajima"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestParseRosterErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{"roster.csv:1: the file is empty"}},
		{"name column", "code,name\nF-1,山田\n", []string{`roster.csv:1: unknown column "name"`}},
		{"no code column", "tags,supporter\n", []string{"roster.csv:1: the header has no code column"}},
		{"every bad row at once", "code,tags,supporter\nF-0001,,\nF-0001,,\n山田太郎,,\n,,\nF-0004,,someone\nF-0005,a b,\n",
			[]string{
				"roster.csv:3: code F-0001 already appears on line 2",
				`roster.csv:4: code "山田太郎": use capital letters`,
				"roster.csv:5: code is empty",
				`roster.csv:6: supporter "someone"`,
				`roster.csv:7: tag "a b"`,
			}},
		{"too many fields", "code,tags\nF-1,a,b\n", []string{"roster.csv:2: 3 fields but the header has 2"}},
		{"broken quoting", "code,tags\n\"F-1,a\n", []string{"roster.csv:2:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fams, err := ParseRoster("roster.csv", strings.NewReader(tt.in))
			if fams != nil {
				t.Errorf("got families %v despite errors", fams)
			}
			var re *RosterError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want *RosterError", err)
			}
			if len(re.Problems) != len(tt.want) {
				t.Fatalf("problems:\n%s\nwant %d", err, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(re.Problems[i], w) {
					t.Errorf("problem %d = %q, want prefix %q", i, re.Problems[i], w)
				}
			}
		})
	}
}
