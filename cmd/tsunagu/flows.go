package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	_ "time/tzdata" // flow timezones validate the same on a machine without zoneinfo

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
)

func (e *env) validate(args []string) int {
	fs, cfgPath := e.flags("validate")
	asJSON := fs.Bool("json", false, "print diagnostics as JSON (for editors and CI)")
	paths, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	if len(paths) == 0 {
		paths = []string{c.FlowsDir}
	}
	loaded, diags := flows.LoadPaths(flows.Options{Lang: c.Lang}, paths...)
	if *asJSON {
		if diags == nil {
			diags = flows.Diagnostics{}
		}
		e.printJSON(diags)
	} else {
		for _, d := range diags {
			fmt.Fprintln(e.stdout, d)
		}
	}
	if diags.HasErrors() {
		if !*asJSON {
			fmt.Fprintf(e.stdout, "\n%d error(s); fix them and run `tsunagu validate` again\n", countErrors(diags))
		}
		return exitFail
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "ok: %d flow(s) valid\n", len(loaded))
	}
	return exitOK
}

func countErrors(ds flows.Diagnostics) int {
	n := 0
	for _, d := range ds {
		if d.Severity == "error" {
			n++
		}
	}
	return n
}

func (e *env) simulate(args []string) int {
	fs, cfgPath := e.flags("simulate")
	answers := fs.String("answers", "", "scripted answers separated by '|', e.g. \"2|ねむれた|7\" (default: ask interactively)")
	asJSON := fs.Bool("json", false, "print the transcript as JSON")
	role := fs.String("role", "", "simulate a `child` or `guardian` (default: the flow's first role)")
	tags := fs.String("tags", "", "the simulated family's tags, comma-separated (e.g. uwajima,seiyo)")
	lang := fs.String("lang", "", "simulate a member who reads this `language` (ja, en, pt…; default: the flow's first)")
	streak := fs.Int("streak-missed", 0, "sessions of this flow the member missed in a row before (for streak_missed and missed:)")
	pos, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "usage: tsunagu simulate FILE|FLOW_ID [--answers \"a|b|c\"] [--json] [--role child|guardian] [--tags a,b] [--lang pt]")
		return exitUsage
	}
	if r := tsunagu.Role(*role); r != "" && !r.Valid() {
		fmt.Fprintf(e.stderr, "tsunagu: --role %q: use child or guardian\n", *role)
		return exitUsage
	}
	var tagList []string
	for _, t := range strings.Split(*tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tagList = append(tagList, t)
		}
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	f, code := e.findFlow(c.FlowsDir, c.Lang, pos[0])
	if f == nil {
		return code
	}
	if *lang != "" && !f.Speaks(*lang) {
		fmt.Fprintf(e.stderr, "tsunagu: flow %s does not speak %q (languages: %s); a member who reads it gets %s\n", f.ID, *lang, strings.Join(f.Languages, ", "), f.Languages[0])
	}
	var in flows.Answerer
	if answersGiven(args) {
		in = flows.ScriptedAnswers(*answers)
	} else {
		in = flows.InteractiveAnswers(e.stdin, e.stdout)
	}
	texts, scanner, safety, err := programme(&c)
	if err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: %v\n", err)
		return exitUsage
	}
	_, err = flows.Simulate(e.stdout, f, in, flows.SimOptions{
		Risk: scanner, Texts: texts, Safety: safety, JSON: *asJSON, Now: e.clock.Now(),
		Role: tsunagu.Role(*role), Tags: tagList, StreakMissed: *streak, Location: c.Location(), Lang: *lang,
	})
	var ae *flows.AudienceError
	if errors.As(err, &ae) {
		fmt.Fprintf(e.stderr, "tsunagu: %v\n  (--role と --tags で、シミュレーションする相手を変えられます / choose who is simulated with --role and --tags)\n", err)
		return exitFail
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: %v\n", err)
		return exitFail
	}
	return exitOK
}

func answersGiven(args []string) bool {
	for _, a := range args {
		if a == "--answers" || a == "-answers" || strings.HasPrefix(a, "--answers=") || strings.HasPrefix(a, "-answers=") {
			return true
		}
	}
	return false
}

// findFlow loads a flow from a file, or by id from the flows directory.
func (e *env) findFlow(dir, lang, arg string) (*flows.Flow, int) {
	paths := []string{arg}
	if _, err := os.Stat(arg); err != nil {
		paths = []string{dir}
	}
	loaded, diags := flows.LoadPaths(flows.Options{Lang: lang}, paths...)
	if diags.HasErrors() {
		for _, d := range diags {
			fmt.Fprintln(e.stderr, d)
		}
		fmt.Fprintln(e.stderr, "tsunagu: fix the errors above first (tsunagu validate)")
		return nil, exitFail
	}
	if paths[0] == arg {
		if len(loaded) != 1 {
			fmt.Fprintf(e.stderr, "tsunagu: %s holds %d flows; name one file or flow id\n", arg, len(loaded))
			return nil, exitUsage
		}
		return loaded[0], exitOK
	}
	for _, f := range loaded {
		if f.ID == arg {
			return f, exitOK
		}
	}
	fmt.Fprintf(e.stderr, "tsunagu: no file %s and no flow with that id in %s\n", arg, dir)
	return nil, exitFail
}

// schema prints the JSON Schema of flow files, for editors:
// `tsunagu schema > flow.schema.json`.
func (e *env) schema(args []string) int {
	fs, _ := e.flags("schema")
	pos, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) > 0 {
		fmt.Fprintln(e.stderr, "usage: tsunagu schema > flow.schema.json")
		return exitUsage
	}
	if _, err := e.stdout.Write(flows.Schema()); err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: %v\n", err)
		return exitFail
	}
	return exitOK
}
