package flows

import "testing"

func TestClosest(t *testing.T) {
	keys := []string{"id", "say", "choices", "number", "text", "next"}
	tests := []struct{ word, want string }{
		{"chioces", "choices"},
		{"choice", "choices"},
		{"nxet", "next"},
		{"txet", "text"},
		{"numbers", "number"},
		{"ID", ""}, // keys are case-sensitive, and two edits is too many for two letters
		{"colour", ""},
		{"question", ""},
	}
	for _, tt := range tests {
		if got := closest(tt.word, keys); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	if got := closest("maximum", []string{"min", "max", "integer"}); got != "max" {
		t.Errorf("closest(maximum) = %q, want max", got)
	}
}
