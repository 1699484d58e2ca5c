package flows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateGolden loads each testdata/validate/<case>.yaml and compares
// every diagnostic with <case>.golden. Cases named valid* must load cleanly,
// warn_* must load with warnings only, every other case must fail; en_*
// cases ask for English hints.
func TestValidateGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/validate/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			opt := Options{}
			if strings.HasPrefix(name, "en_") {
				opt.Lang = "en"
			}
			f, ds := Parse(filepath.ToSlash(file), src, opt)
			switch {
			case strings.HasPrefix(name, "valid"):
				if f == nil || len(ds) > 0 {
					t.Errorf("want a clean load, got:\n%s", ds)
				}
			case strings.HasPrefix(name, "warn_"):
				if f == nil || ds.HasErrors() || len(ds) == 0 {
					t.Errorf("want warnings only, got:\n%s", ds)
				}
			default:
				if f != nil || !ds.HasErrors() {
					t.Errorf("want errors and no flow, got flow %v and:\n%s", f != nil, ds)
				}
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".golden", ds.String())
		})
	}
}
