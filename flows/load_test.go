package flows

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu"
)

// TestExamples keeps the example flows that coordinators copy valid.
func TestExamples(t *testing.T) {
	flows, ds := LoadPaths(Options{}, "../examples/flows")
	if len(ds) > 0 {
		t.Fatalf("examples do not validate cleanly:\n%s", ds)
	}
	both := []tsunagu.Role{tsunagu.RoleChild, tsunagu.RoleGuardian}
	want := map[string][]tsunagu.Role{
		"weekly-child": {tsunagu.RoleChild}, "monthly-guardian": {tsunagu.RoleGuardian},
		"signup": {tsunagu.RoleChild}, "signup-guardian": {tsunagu.RoleGuardian},
		"half-yearly": both, "talk": both, "language": both,
	}
	if len(flows) != len(want) {
		t.Fatalf("loaded %d flows, want %d", len(flows), len(want))
	}
	for _, f := range flows {
		roles, ok := want[f.ID]
		if !ok || !slices.Equal(f.Roles, roles) {
			t.Errorf("flow %q is for %v", f.ID, f.Roles)
		}
		if f.File == "" || f.Hash == "" || len(f.Alerts) == 0 {
			t.Errorf("flow %q: file %q hash %q alerts %d", f.ID, f.File, f.Hash, len(f.Alerts))
		}
		// Each starts somehow: a schedule, enrolment or a keyword.
		if len(f.Schedules) == 0 && !f.OnEnrol && len(f.Keywords) == 0 {
			t.Errorf("flow %q never starts by itself", f.ID)
		}
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flow := func(id string) string {
		return "id: " + id + "\ntitle: t\nsteps:\n  - {id: a, say: q, text: {}}\n"
	}
	write("flows/b.yml", flow("beta"))
	write("flows/a.yaml", flow("alpha"))
	write("flows/notes.txt", "not a flow")
	write("flows/sub/c.yaml", flow("gamma")) // not loaded: directories are not walked
	dup := write("other/dup.yaml", "# same id as a.yaml\n"+flow("alpha"))
	bad := write("other/bad.yaml", "id: bad\n")
	write("empty/README", "")

	flows, ds := LoadPaths(Options{}, filepath.Join(dir, "flows"), dup, bad, filepath.Join(dir, "empty"), filepath.Join(dir, "missing.yaml"))
	var ids []string
	for _, f := range flows {
		ids = append(ids, f.ID)
	}
	if len(ids) != 2 || ids[0] != "alpha" || ids[1] != "beta" {
		t.Errorf("loaded %v, want [alpha beta] in file order", ids)
	}
	rel := func(p string) string { return filepath.Join(dir, p) }
	want := []string{
		rel("empty") + ": no flow files (*.yaml, *.yml) in this directory",
		rel("missing.yaml") + ": cannot read: no such file or directory",
		rel("other/dup.yaml") + `:2:5: flow id "alpha" is also used by ` + rel("flows/a.yaml"),
		rel("other/bad.yaml") + ":1:1: flow: missing `title`",
		rel("other/bad.yaml") + ":1:1: flow: missing `steps`",
	}
	if len(ds) != len(want) {
		t.Fatalf("diagnostics:\n%s", ds)
	}
	for i, d := range ds {
		if line, _, _ := strings.Cut(d.String(), "\n"); line != want[i] {
			t.Errorf("diagnostic %d = %q, want %q", i, line, want[i])
		}
	}
	if !ds.HasErrors() {
		t.Error("HasErrors = false")
	}
}
