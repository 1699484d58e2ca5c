package line

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os/exec"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// tileColours are soft, distinct backgrounds for the areas, dark enough
// apart that the borders show without lines.
var tileColours = []color.RGBA{
	{0xFF, 0xE9, 0xC7, 0xFF}, {0xD7, 0xF0, 0xE0, 0xFF}, {0xD9, 0xE8, 0xFA, 0xFF},
	{0xF8, 0xDD, 0xE6, 0xFF}, {0xEC, 0xE3, 0xF7, 0xFF}, {0xFF, 0xF6, 0xC9, 0xFF},
}

var ink = color.RGBA{0x33, 0x33, 0x33, 0xFF}

// DrawMenu draws a menu's image from its labels, in rows of cols as Layout
// places them, with the font (TrueType or OpenType, or a collection such as
// Noto Sans CJK's .ttc; it needs Japanese glyphs for Japanese labels). It
// returns a PNG.
func DrawMenu(labels []string, cols int, fontData []byte) ([]byte, error) {
	f, err := parseFont(fontData)
	if err != nil {
		return nil, err
	}
	w, h, rects := Layout(len(labels), cols)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, r := range rects {
		tile := image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H)
		draw.Draw(img, tile, &image.Uniform{tileColours[i%len(tileColours)]}, image.Point{}, draw.Src)
		// A white gutter between tiles.
		gutter := image.Rect(r.X, r.Y, r.X+r.W, r.Y+6)
		draw.Draw(img, gutter, image.White, image.Point{}, draw.Src)
		draw.Draw(img, image.Rect(r.X, r.Y, r.X+6, r.Y+r.H), image.White, image.Point{}, draw.Src)
		if err := drawLabel(img, f, labels[i], tile); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func parseFont(data []byte) (*opentype.Font, error) {
	if f, err := opentype.Parse(data); err == nil {
		return f, nil
	}
	c, err := opentype.ParseCollection(data)
	if err != nil {
		return nil, fmt.Errorf("read the font: %w", err)
	}
	if c.NumFonts() == 0 {
		return nil, errors.New("read the font: the collection is empty")
	}
	return c.Font(0)
}

// drawLabel centres label in tile, on one line or, when too wide, two; the
// size shrinks until it fits.
func drawLabel(img draw.Image, f *opentype.Font, label string, tile image.Rectangle) error {
	lines := []string{label}
	for size := 150.0; size >= 40; size -= 10 {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return fmt.Errorf("font face: %w", err)
		}
		d := &font.Drawer{Dst: img, Src: image.NewUniform(ink), Face: face}
		maxW := fixed.I(tile.Dx() * 85 / 100)
		lines = []string{label}
		if d.MeasureString(label) > maxW {
			lines = split(label)
		}
		fits := true
		for _, l := range lines {
			fits = fits && d.MeasureString(l) <= maxW
		}
		if !fits && size > 40 {
			face.Close()
			continue
		}
		m := face.Metrics()
		lineH := m.Height.Ceil()
		top := tile.Min.Y + (tile.Dy()-lineH*len(lines))/2
		for i, l := range lines {
			d.Dot = fixed.Point26_6{
				X: fixed.I(tile.Min.X) + (fixed.I(tile.Dx())-d.MeasureString(l))/2,
				Y: fixed.I(top+i*lineH) + m.Ascent,
			}
			d.DrawString(l)
		}
		face.Close()
		return nil
	}
	return nil
}

// split cuts a label in two lines: at a space or 、 near the middle, else
// in the middle.
func split(label string) []string {
	rs := []rune(label)
	mid := len(rs) / 2
	best := -1
	for i, r := range rs {
		if (r == ' ' || r == '　' || r == '、' || r == '・') && (best < 0 || abs(i-mid) < abs(best-mid)) {
			best = i
		}
	}
	if best > 0 {
		return []string{strings.TrimSpace(string(rs[:best+1])), strings.TrimSpace(string(rs[best+1:]))}
	}
	return []string{string(rs[:mid]), string(rs[mid:])}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// FindJapaneseFont asks fontconfig (fc-list) for a font file with Japanese
// glyphs, preferring a gothic (sans-serif) one. It returns "" when there is
// none or fontconfig is not installed.
func FindJapaneseFont() string {
	out, err := exec.Command("fc-list", ":lang=ja", "file", "family").Output()
	if err != nil {
		return ""
	}
	var any string
	for _, line := range strings.Split(string(out), "\n") {
		file, family, _ := strings.Cut(line, ":")
		file = strings.TrimSpace(file)
		if file == "" {
			continue
		}
		if any == "" {
			any = file
		}
		if f := strings.ToLower(family); strings.Contains(f, "gothic") || strings.Contains(f, "sans") {
			return file
		}
	}
	return any
}
