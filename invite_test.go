package tsunagu

import (
	"slices"
	"strings"
	"testing"
)

func TestNewInviteCode(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := NewInviteCode()
		if len(c) != 9 || c[4] != '-' {
			t.Fatalf("code %q: want XXXX-XXXX", c)
		}
		if strings.ContainsAny(c, "0O1IL") {
			t.Fatalf("code %q has an ambiguous character", c)
		}
		if got := FindInviteCodes(c); !slices.Equal(got, []string{c}) {
			t.Fatalf("FindInviteCodes(%q) = %v", c, got)
		}
		seen[c] = true
	}
	if len(seen) < 990 {
		t.Fatalf("only %d distinct codes in 1000 draws", len(seen))
	}
}

func TestFindInviteCodes(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"exact", "K7QM-XR4P", []string{"K7QM-XR4P"}},
		{"in a sentence", "コードは K7QM-XR4P です", []string{"K7QM-XR4P"}},
		{"lower case, no dash", "k7qmxr4p", []string{"K7QM-XR4P"}},
		{"full width", "Ｋ７ＱＭ－ＸＲ４Ｐ", []string{"K7QM-XR4P"}},
		{"long dash", "K7QMーXR4P", []string{"K7QM-XR4P"}},
		{"too short", "K7QM-XR4", nil},
		{"too long", "K7QM-XR4PZ", nil},
		{"ambiguous letters are no code", "K7QO-XR4P", nil},
		{"plain words", "こんにちは", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FindInviteCodes(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("FindInviteCodes(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}
