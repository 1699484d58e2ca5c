package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"

	"github.com/tsunagu/tsunagu"
)

// Recorder keeps the record of who did what to a family's data: refused
// actions and every read of a family's summary.
type Recorder interface {
	Record(ctx context.Context, e tsunagu.AuditEntry) error
}

// RecorderFunc makes a function a Recorder.
type RecorderFunc func(ctx context.Context, e tsunagu.AuditEntry) error

func (f RecorderFunc) Record(ctx context.Context, e tsunagu.AuditEntry) error { return f(ctx, e) }

// Replays tells a new Slack request from one already taken: true the
// first time sum is seen within Slack's 5-minute signature window, across
// replicas.
type Replays interface {
	FirstSlackRequest(ctx context.Context, sum string) (bool, error)
}

// Lookup finds what a request is about, for Access to decide on;
// *storage.Store is one.
type Lookup interface {
	Alert(ctx context.Context, id string) (*tsunagu.Alert, error)
	Family(ctx context.Context, code string) (*tsunagu.Family, error)
}

// Guard is what every Slack request passes before it is acted on: the
// workspace and app, that it is not a replay, and Access for the family
// it touches. Set it on Interactions and Commands; without it they act for
// anyone who can sign a request (the tests of the desk itself).
type Guard struct {
	Access  *Access
	Lookup  Lookup
	Record  Recorder // nil records nothing
	Replays Replays  // nil takes replays again
}

// fresh reports whether this signed request is new. The signature covers
// the timestamp and the whole body, so its hash names the request; a
// replay outside the 5-minute window already fails the signature check.
func (g *Guard) fresh(ctx context.Context, r *http.Request) (bool, error) {
	if g == nil || g.Replays == nil {
		return true, nil
	}
	sum := sha256.Sum256([]byte(r.Header.Get("X-Slack-Request-Timestamp") + ":" + r.Header.Get("X-Slack-Signature")))
	return g.Replays.FirstSlackRequest(ctx, hex.EncodeToString(sum[:16]))
}

// tagsOf reads the tags of a family; an unknown family (or an alert with
// none, such as a stranger's) has none.
func (g *Guard) tagsOf(ctx context.Context, code string) ([]string, error) {
	if !tsunagu.ValidFamilyCode(code) {
		return nil, nil
	}
	f, err := g.Lookup.Family(ctx, code)
	if tsunagu.ErrorCode(err) == tsunagu.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return f.Tags, nil
}

// refuse logs and records a refused action. The supporter is told
// refusedText by the caller.
func (g *Guard) refuse(ctx context.Context, log *slog.Logger, r Request, family string, act Action, why string, detail string) {
	log.Warn("slack action refused", "do", string(act), "family", family, "reason", why, "team", r.Team, "channel", r.Channel)
	g.record(ctx, log, tsunagu.AuditEntry{By: r.User, Action: "refused", Family: family,
		Detail: joinDetail(string(act), why, "channel "+r.Channel, detail)})
}

// read records that r was shown a family's summary. It returns false when
// it could not be recorded: then the summary is not shown, since a
// programme must be able to say who has seen a child's data.
func (g *Guard) read(ctx context.Context, log *slog.Logger, r Request, family string, act Action) bool {
	if g.Record == nil {
		return true
	}
	return g.record(ctx, log, tsunagu.AuditEntry{By: r.User, Action: "read-" + string(act), Family: family,
		Detail: "channel " + r.Channel})
}

func (g *Guard) record(ctx context.Context, log *slog.Logger, e tsunagu.AuditEntry) bool {
	if g.Record == nil {
		return true
	}
	if e.At.IsZero() {
		e.At = g.Access.clock.Now()
	}
	if err := g.Record.Record(ctx, e); err != nil {
		log.Error("audit record failed", "action", e.Action, "family", e.Family, "err", err)
		return false
	}
	return true
}

func joinDetail(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += "; "
		}
		out += p
	}
	return out
}
