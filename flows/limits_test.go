package flows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShapeLimits: files too large or too deeply nested are refused
// before the YAML parser sees them (which would take minutes and
// gigabytes), at file:line:col; the examples pass.
func TestShapeLimits(t *testing.T) {
	indented := func(levels int) string {
		var b strings.Builder
		b.WriteString("id: deep\n")
		for i := range levels {
			b.WriteString(strings.Repeat("  ", i) + "k:\n")
		}
		return b.String()
	}
	tests := []struct {
		name, src, want string
	}{
		{"80 KB of brackets", "id: x\nsay: " + strings.Repeat("[", 80<<10), "deep.yaml:2:65531: flow file larger than 64 KB"},
		{"80 KB of brackets is too large first", strings.Repeat("[", 80<<10), "larger than 64 KB"},
		{"brackets under the size limit", "id: x\nsay: " + strings.Repeat("[", 60<<10), "deep.yaml:2:29: nesting deeper than 24 levels"},
		{"braces and brackets", "id: x\nsay: " + strings.Repeat("{a: [", 5000), "nesting deeper than 24 levels"},
		{"indentation", indented(40), "deep.yaml:26:"},
		{"dashes", "id: x\nsteps:\n  " + strings.Repeat("- ", 40) + "x\n", "deep.yaml:3:"},
		{"brackets over lines", "id: x\nsay:\n" + strings.Repeat("  [\n", 30), "nesting deeper than 24 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := Parse("deep.yaml", []byte(tt.src), Options{})
			if len(ds) != 1 || !strings.Contains(ds.String(), tt.want) {
				t.Fatalf("got %s, want %q", ds, tt.want)
			}
		})
	}
	t.Run("not nesting", func(t *testing.T) {
		for _, src := range []string{
			"say: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['\n",
			"say: \"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\"\n",
			"say: x # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
		} {
			if at := tooDeep([]byte(src), MaxDepth); at >= 0 {
				t.Errorf("%q: too deep at %d", src, at)
			}
		}
	})
	t.Run("examples", func(t *testing.T) {
		files, _ := filepath.Glob("../examples/flows/*.yaml")
		if len(files) == 0 {
			t.Fatal("no examples")
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if at := tooDeep(src, MaxDepth); at >= 0 {
				t.Errorf("%s: too deep at %v", f, posAt(src, at))
			}
		}
	})
}

// TestLoadPathsLargeFile: LoadPaths reads no more of a huge file than it
// needs to refuse it.
func TestLoadPathsLargeFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(p, []byte(strings.Repeat("#\n", 1<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, ds := LoadPaths(Options{}, p)
	if !strings.Contains(ds.String(), "big.yaml:") || !strings.Contains(ds.String(), "larger than 64 KB") {
		t.Fatalf("got %s", ds)
	}
}

func BenchmarkParseNested(b *testing.B) {
	src := []byte("id: x\nsay: " + strings.Repeat("[", 60<<10))
	for b.Loop() {
		Parse("deep.yaml", src, Options{})
	}
}
