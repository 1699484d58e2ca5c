package slack

import "testing"

func TestTruncate(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"fits", "あいう", 3, "あいう"},
		{"cut", "あいうえお", 4, "あいう…"},
		{"emoji counts twice", "😀😀😀", 4, "😀…"},
		{"does not split an escape", "ab&amp;cd", 6, "ab…"},
		{"keeps a whole escape", "ab&amp;cd", 8, "ab&amp;…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := truncate(tt.in, tt.limit)
			if got != tt.want || units(got) > tt.limit {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}
