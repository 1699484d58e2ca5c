package line

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"testing"
)

func TestLayout(t *testing.T) {
	tests := []struct {
		n, cols int
		w, h    int
		rects   []Rect
	}{
		{3, 3, 2500, 843, []Rect{{0, 0, 833, 843}, {833, 0, 833, 843}, {1666, 0, 834, 843}}},
		{4, 2, 2500, 1686, []Rect{{0, 0, 1250, 843}, {1250, 0, 1250, 843}, {0, 843, 1250, 843}, {1250, 843, 1250, 843}}},
		{5, 3, 2500, 1686, []Rect{{0, 0, 833, 843}, {833, 0, 833, 843}, {1666, 0, 834, 843}, {0, 843, 1250, 843}, {1250, 843, 1250, 843}}},
		{1, 0, 2500, 843, []Rect{{0, 0, 2500, 843}}},
	}
	for _, tt := range tests {
		w, h, rects := Layout(tt.n, tt.cols)
		if w != tt.w || h != tt.h || len(rects) != len(tt.rects) {
			t.Fatalf("Layout(%d, %d) = %d×%d %v", tt.n, tt.cols, w, h, rects)
		}
		for i := range rects {
			if rects[i] != tt.rects[i] {
				t.Errorf("Layout(%d, %d)[%d] = %v, want %v", tt.n, tt.cols, i, rects[i], tt.rects[i])
			}
		}
	}
}

// TestDrawMenu draws Japanese labels with a font fontconfig finds: a PNG of
// the menu's size under LINE's 1 MB, with ink in every tile.
func TestDrawMenu(t *testing.T) {
	path := FindJapaneseFont()
	if path == "" {
		t.Skip("no font with Japanese glyphs on this machine (apt-get install fonts-ipafont-gothic); cmd/tsunagu tests the message that says so")
	}
	font, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	labels := []string{"チェックイン", "話したい", "つなぐとは？", "言語・Language"}
	b, err := DrawMenu(labels, 2, font)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 1<<20 {
		t.Errorf("image is %d bytes; LINE takes 1 MB", len(b))
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_, _, rects := Layout(len(labels), 2)
	if img.Bounds() != image.Rect(0, 0, 2500, 1686) {
		t.Fatalf("bounds %v", img.Bounds())
	}
	for i, r := range rects {
		dark := 0
		for y := r.Y; y < r.Y+r.H; y += 3 {
			for x := r.X; x < r.X+r.W; x += 3 {
				if c, _, _, _ := img.At(x, y).RGBA(); c < 0x6000 {
					dark++
				}
			}
		}
		if dark < 50 {
			t.Errorf("tile %d (%s) has no label drawn", i, labels[i])
		}
	}
	if _, err := DrawMenu(labels, 2, []byte("not a font")); err == nil {
		t.Error("a file that is no font is accepted")
	}
}
