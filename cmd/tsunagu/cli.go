// Command tsunagu is the LINE check-in and outreach bot: the service
// (serve) and the coordinators' tools (validate, simulate, families, invite,
// send). Run `tsunagu help` for the list.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/config"
)

// defaultMemoryLimit is serve's soft memory limit unless GOMEMLIMIT says:
// the 112 MiB the service needed before, plus the risk detector's
// dictionary (about 90 MiB, loaded once at start-up; docs/risk.md).
const defaultMemoryLimit = (112 + 96) << 20

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and found problems (invalid flows, bad roster)
	exitUsage = 2 // bad command line or configuration
)

const usage = `tsunagu — LINE check-ins for child and family support programmes

Usage:
  tsunagu dev                                 try it in a browser: the service with fake LINE and Slack
  tsunagu serve                               run the service (LINE webhook, Slack, workers)
  tsunagu doctor                              check the configuration, Redis, LINE, Slack and flows
  tsunagu healthcheck [--url URL]             ask a running service for /healthz (for containers)
  tsunagu validate [--json] PATH...           check flow files or directories
  tsunagu simulate FILE [--answers "a|b|c"] [--json]
                                              try a flow in the terminal
  tsunagu families import FILE.csv [--prune [--yes]]
                                              import or update the roster (code,tags,supporter)
  tsunagu families list [--json]              show the roster and linked members
  tsunagu families show|pause|resume CODE     one family: details, or (un)pause its check-ins
  tsunagu families unlink CODE --member ID    end one member's link
  tsunagu families remove|forget CODE [--yes] [--slack] [--by NAME]
                                              erase everything about a family
  tsunagu invite FAMILY --role child|guardian [--qr FILE.png] [--json]
                                              make a one-time enrolment code (and its QR code)
  tsunagu invite --all --role child|guardian --out DIR
                                              one printable A4 invite page per family
  tsunagu invite --revoke CODE                revoke an unused invite code
  tsunagu export [--flow F] [--since D] [--until D] [--tags T] [--format csv|jsonl] [--out FILE]
                                              answers, one row per question (never a LINE id)
  tsunagu export --family CODE [--out FILE]   everything held about one family (disclosure)
  tsunagu audit [--since D] [--family CODE] [--json]
                                              who did what with personal data
  tsunagu rekey                               re-encrypt free text with the current key
  tsunagu lang FAMILY [--member ID] LANG      the language a member reads (ja, en, pt…, default)
  tsunagu richmenu apply|show|preview FILE    the LINE rich menu: create and set it, show what is live
  tsunagu send FLOW --family CODE [--json]    start a check-in now
  tsunagu schedule [--dry-run FLOW] [--json]  next check-ins and who gets them
  tsunagu schema                              JSON Schema of flow files, for editors
  tsunagu report [--since DATE] [--until DATE] [--format md|csv|html] [--out FILE] [--tag T|--org ID]
                                              support-status report (支援状況レポート), html with charts
  tsunagu case CODE [--since DATE] [--format html|md] [--out FILE] [--no-text]
                                              one family's case meeting pack (ケース会議資料)
  tsunagu risk check "TEXT" | --file F        does a message match the risk rules, which category, why
  tsunagu risk test FILE                      recall and false alarms on a labelled file

Every command takes --config FILE (default tsunagu.yaml if present);
TSUNAGU_* environment variables override the file. "tsunagu COMMAND --help"
describes a command; "tsunagu --version" prints the version. See README.md.
`

// env is what a command sees of the outside world, so tests can run the CLI
// in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	clock          tsunagu.Clock
	// terminal says stdin is a person at a terminal, who can confirm an
	// erasure; scripts pass --yes instead.
	terminal bool

	helping, helped bool // answering `COMMAND --help`; its help was printed
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, clock: tsunagu.SystemClock, terminal: isTerminal(os.Stdin)}
	os.Exit(e.run(ctx, os.Args[1:]))
}

func (e *env) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	if !e.helping && wantsHelp(rest) {
		if code := e.help(func() int { return e.run(ctx, args) }, cmd, rest); code >= 0 {
			return code
		}
	}
	switch cmd {
	case "serve":
		return e.serve(ctx, rest)
	case "dev":
		return e.dev(ctx, rest)
	case "doctor":
		return e.doctor(ctx, rest)
	case "healthcheck":
		return e.healthcheck(ctx, rest)
	case "version", "-version", "--version":
		fmt.Fprint(e.stdout, versionText())
		return exitOK
	case "validate":
		return e.validate(rest)
	case "simulate":
		return e.simulate(rest)
	case "schema":
		return e.schema(rest)
	case "families":
		return e.families(ctx, rest)
	case "invite":
		return e.invite(ctx, rest)
	case "send":
		return e.send(ctx, rest)
	case "lang":
		return e.lang(ctx, rest)
	case "richmenu":
		return e.richmenu(ctx, rest)
	case "schedule":
		return e.schedule(ctx, rest)
	case "report":
		return e.report(ctx, rest)
	case "case":
		return e.caseMeeting(ctx, rest)
	case "export":
		return e.export(ctx, rest)
	case "audit":
		return e.audit(ctx, rest)
	case "rekey":
		return e.rekey(ctx, rest)
	case "risk":
		return e.risk(rest)
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "tsunagu: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// flags returns a flag set for a subcommand with the common --config flag.
func (e *env) flags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("tsunagu "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if e.helping {
		fs.Usage = func() {
			e.helped = true
			e.printHelp(name, fs)
		}
	}
	cfg := fs.String("config", "", "configuration `file` (default tsunagu.yaml if present)")
	return fs, cfg
}

// parse parses flags that may come before or after the positional
// arguments, as coordinators type them in either order.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// config loads the configuration, printing one clear line on failure.
func (e *env) config(path string) (config.Config, bool) {
	c, err := config.Load(path, path != "", e.getenv)
	if err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: %v\n", err)
		return c, false
	}
	return c, true
}

// fail prints an error for a coordinator: the safe message, and the chain
// behind it for the operator when it is not a domain error.
func (e *env) fail(err error) int {
	var te *tsunagu.Error
	if errors.As(err, &te) && te.Code != tsunagu.EINTERNAL {
		fmt.Fprintf(e.stderr, "tsunagu: %s\n", err)
		if te.Code == tsunagu.EUNAVAILABLE {
			fmt.Fprintln(e.stderr, "  (is Redis running, and is TSUNAGU_REDIS_URL right?)")
		}
		return exitFail
	}
	fmt.Fprintf(e.stderr, "tsunagu: %v\n", err)
	return exitFail
}

func (e *env) printJSON(v any) {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (e *env) serve(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("serve")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	if e.getenv("GOMEMLIMIT") == "" {
		// A soft limit: the garbage collector works harder as the heap
		// nears it instead of letting it double, which keeps a dispatch to
		// 100,000 members well inside a small container. Go exceeds it
		// rather than fail, and GOMEMLIMIT overrides it.
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	m := &Main{Config: c, Log: log, Clock: e.clock}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintf(e.stderr, "tsunagu: %v\n", err)
		_ = m.Close()
		if ce := (*configError)(nil); errors.As(err, &ce) {
			return exitUsage // a setting: fix the configuration
		}
		return exitFail // flows, Redis: fix those and start again
	}
	<-ctx.Done()
	log.Info("shutting down")
	if err := m.Close(); err != nil {
		log.Error("shutdown", "err", err)
		return exitFail
	}
	return exitOK
}
