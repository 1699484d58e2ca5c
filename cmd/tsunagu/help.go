package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
)

// commandHelp is what `tsunagu COMMAND --help` says above the flags.
var commandHelp = map[string]struct{ what, usage, example string }{
	"serve": {
		"Run the service: the LINE webhook, Slack buttons and commands, the scheduler and the delivery workers.\nSIGHUP or a changed flow file reloads the flows; SIGTERM stops it gracefully.",
		"tsunagu serve [--config FILE]",
		"TSUNAGU_REDIS_URL=redis://127.0.0.1:6379/0 tsunagu serve",
	},
	"dev": {
		"Try tsunagu in a browser with no accounts: the real service with fake LINE and Slack inside the\n" +
			"process, sample families with invite codes and a clock you can move, at http://127.0.0.1:8080/\n" +
			"(TSUNAGU_LISTEN). Without TSUNAGU_REDIS_URL the data lives in memory only. It never talks to the\n" +
			"real LINE or Slack.",
		"tsunagu dev [--config FILE] [--verbose]",
		"go run ./cmd/tsunagu dev     # then open http://127.0.0.1:8080/",
	},
	"doctor": {
		"Check a deployment before going live: the configuration, Redis (version, persistence, memory\n" +
			"policy), the LINE token and webhook setting, the Slack token, channels and scopes, and the flows.\n" +
			"Prints ✓ or ✗ per check with what to do; exit 1 if anything is wrong.",
		"tsunagu doctor [--config FILE]",
		"tsunagu doctor --config /etc/tsunagu/tsunagu.yaml",
	},
	"healthcheck": {
		"Ask a running tsunagu on TSUNAGU_LISTEN for /healthz (for container HEALTHCHECKs, where there is\nno curl). Exit 0 when it answers 200, 1 otherwise.",
		"tsunagu healthcheck [--config FILE] [--url URL]",
		"tsunagu healthcheck --url http://127.0.0.1:8080/healthz",
	},
	"validate": {
		"Check flow files or directories (default TSUNAGU_FLOWS_DIR); every problem as file:line:col with a\nhint. Exit 1 on any error, 0 with only warnings.",
		"tsunagu validate [--json] [PATH...]",
		"tsunagu validate examples/flows/",
	},
	"simulate": {
		"Play a flow in the terminal as the member would see it: buttons numbered, re-asks, branches and the\nalerts it would raise.",
		"tsunagu simulate FILE|FLOW_ID [--answers \"a|b|c\"] [--json] [--role R] [--tags T]",
		"tsunagu simulate examples/flows/weekly-child.yaml --answers \"3|1|1|2\"",
	},
	"families import": {
		"Import or update the roster from a CSV file with the header code,tags,supporter. Every bad row is\nreported and then nothing is imported.",
		"tsunagu families import FILE.csv",
		"tsunagu families import roster.csv",
	},
	"families list": {
		"Show the roster and who is linked.",
		"tsunagu families list [--json]",
		"tsunagu families list --json",
	},
	"invite": {
		"Make a one-time enrolment code and the LINE link that pre-fills it.",
		"tsunagu invite FAMILY --role child|guardian [--json]",
		"tsunagu invite F-0001 --role child",
	},
	"send": {
		"Start a check-in now for a family's members: queued for a running serve, the same path as a\nscheduled one.",
		"tsunagu send FLOW --family CODE [--json] [--wait 10s]",
		"tsunagu send weekly-child --family F-0001",
	},
	"schedule": {
		"Show each flow's next check-ins and how many members would get them, or who gets the next one.",
		"tsunagu schedule [--count N] [--json] | tsunagu schedule --dry-run FLOW",
		"tsunagu schedule --dry-run weekly-child",
	},
	"schema": {
		"Print the JSON Schema of flow files, for editor completion.",
		"tsunagu schema > flow.schema.json",
		"tsunagu schema > examples/flows/flow.schema.json",
	},
	"report": {
		"Print the support-status report (支援状況レポート) for a period.",
		"tsunagu report [--since DATE] [--until DATE] [--format md|csv]",
		"tsunagu report --since 2026-04-01 --format csv > report.csv",
	},
}

// wantsHelp reports whether the arguments ask for help (before any "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// printHelp prints a command's description, usage and example, then the
// flags of fs when there is one.
func (e *env) printHelp(name string, fs *flag.FlagSet) {
	h, ok := commandHelp[name]
	if !ok {
		fmt.Fprint(e.stdout, usage)
		return
	}
	fmt.Fprintf(e.stdout, "tsunagu %s — %s\n\nUsage:\n  %s\n\nExample:\n  %s\n", name, h.what, h.usage, h.example)
	if fs != nil {
		fmt.Fprintln(e.stdout, "\nFlags:")
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
	}
}

// help answers `tsunagu COMMAND --help`. The command itself is run with the
// flag so that its flag set, and so the flags listed, are its own; every
// command parses its flags before doing anything.
func (e *env) help(run func() int, cmd string, rest []string) int {
	name := cmd
	if cmd == "families" {
		if len(rest) == 0 || !slices.Contains([]string{"import", "list"}, rest[0]) {
			fmt.Fprintf(e.stdout, "tsunagu families — the roster\n\n  %s\n  %s\n\nRun `tsunagu families import --help` or `tsunagu families list --help`.\n",
				commandHelp["families import"].usage, commandHelp["families list"].usage)
			return exitOK
		}
		name = cmd + " " + rest[0]
	}
	if _, ok := commandHelp[name]; !ok {
		return -1
	}
	// The command's own complaints about the flag are not help.
	stderr := e.stderr
	e.helping, e.stderr = true, io.Discard
	defer func() { e.helping, e.stderr = false, stderr }()
	run()
	if !e.helped {
		e.printHelp(name, nil)
	}
	return exitOK
}

// buildCommit is set by the container build (-X main.buildCommit=…),
// where the source has no .git for the build info to read.
var buildCommit string

// versionText is `tsunagu --version`: the module version (set by `go
// install …@vX`), the commit and whether the tree was modified (set by a
// build from a git checkout), and the Go version.
func versionText() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "tsunagu (no build information)\n"
	}
	version, commit, when, dirty := bi.Main.Version, cmp.Or(buildCommit, "unknown"), "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if version == "" {
		version = "(devel)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tsunagu %s\n", version)
	fmt.Fprintf(&b, "commit: %s", commit)
	if dirty {
		b.WriteString(" (modified)")
	}
	if when != "" {
		fmt.Fprintf(&b, " %s", when)
	}
	fmt.Fprintf(&b, "\ngo: %s\n", bi.GoVersion)
	return b.String()
}
