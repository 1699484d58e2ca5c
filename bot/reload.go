package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// Reloader keeps the flows in force in step with the flow files: on
// SIGHUP and whenever a file in the directory changes. A set with any error
// is refused whole (the running flows stay), logged, and reported once to
// supporters.
type Reloader struct {
	Dir   string
	Lang  string
	Flows *FlowSet
	Store *storage.Store
	Clock tsunagu.Clock
	NewID func() string
	Log   *slog.Logger
}

// Reload loads the directory and puts it in force if it is valid.
func (r *Reloader) Reload(ctx context.Context) error {
	loaded, diags := flows.LoadPaths(flows.Options{Lang: r.Lang}, r.Dir)
	return r.apply(ctx, loaded, diags)
}

// reloadSettled is Reload for a change seen while files may still be being
// written: it acts only on a state that two loads a moment apart agree on,
// so a file caught half-written is neither put in force nor reported.
func (r *Reloader) reloadSettled(ctx context.Context, settle time.Duration) {
	loaded, diags := flows.LoadPaths(flows.Options{Lang: r.Lang}, r.Dir)
	for range 10 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(settle):
		}
		again, againDiags := flows.LoadPaths(flows.Options{Lang: r.Lang}, r.Dir)
		if fingerprint(again, againDiags) == fingerprint(loaded, diags) {
			break
		}
		loaded, diags = again, againDiags
	}
	_ = r.apply(ctx, loaded, diags)
}

func fingerprint(fs []*flows.Flow, diags flows.Diagnostics) string {
	h := sha256.New()
	for _, f := range fs {
		h.Write([]byte(f.Hash))
	}
	h.Write([]byte(diags.String()))
	return hex.EncodeToString(h.Sum(nil))
}

func (r *Reloader) apply(ctx context.Context, loaded []*flows.Flow, diags flows.Diagnostics) error {
	if diags.HasErrors() {
		r.Log.Error("flows refused; the running flows stay", "dir", r.Dir, "errors", len(diags), "first", diags[0].String())
		r.report(ctx, diags)
		return fmt.Errorf("flows in %s have errors", r.Dir)
	}
	if err := KeepVersions(ctx, r.Store, loaded); err != nil {
		// Without the kept source another replica could not finish a
		// session started on this version: do not put it in force yet.
		r.Log.Error("flows not put in force: cannot keep their versions", "err", err)
		return err
	}
	r.Flows.Replace(loaded)
	r.Log.Info("flows in force", "dir", r.Dir, "flows", len(loaded), "warnings", len(diags))
	return nil
}

// KeepVersions stores each flow's source under its hash, so that a session
// started on this version can be finished by any process, whatever the
// files say by then.
func KeepVersions(ctx context.Context, store *storage.Store, fs []*flows.Flow) error {
	for _, f := range fs {
		src, err := os.ReadFile(f.File)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(src); hex.EncodeToString(sum[:]) != f.Hash {
			return fmt.Errorf("%s changed while loading", f.File)
		}
		if err := store.SaveFlowSource(ctx, f.Hash, src); err != nil {
			return err
		}
	}
	return nil
}

// report posts the first error of a refused set to Slack as an info alert,
// once per distinct set across replicas and reloads.
func (r *Reloader) report(ctx context.Context, diags flows.Diagnostics) {
	sum := sha256.Sum256([]byte(diags.String()))
	first, err := r.Store.FirstFlowErrorReport(ctx, hex.EncodeToString(sum[:8]))
	if err != nil || !first {
		return
	}
	var errs []tsunagu.QA
	for _, d := range diags {
		if d.Severity == flows.SevError && len(errs) < 5 {
			errs = append(errs, tsunagu.QA{Question: fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col), Answer: d.Message})
		}
	}
	a := &tsunagu.Alert{
		ID:         r.NewID(),
		Severity:   tsunagu.SeverityInfo,
		FamilyCode: "（システム）",
		Reason:     "フローの更新にエラーがあり、反映していません（これまでのフローで動いています）。`tsunagu validate` で確認してください",
		Answers:    errs,
		State:      tsunagu.AlertOpen,
		CreatedAt:  r.Clock.Now(),
	}
	if err := r.Store.RaiseAlert(ctx, a); err != nil {
		r.Log.Error("could not report flow errors", "err", err)
	}
}

// Watch reloads when hup receives or a file in the directory changes,
// until ctx ends. Changes are gathered for a short while first, because
// editors write a file in several steps.
func (r *Reloader) Watch(ctx context.Context, hup <-chan os.Signal) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		r.Log.Error("cannot watch flow files; reload with SIGHUP", "err", err)
	} else {
		defer w.Close()
		if err := w.Add(r.Dir); err != nil {
			r.Log.Error("cannot watch flow files; reload with SIGHUP", "dir", r.Dir, "err", err)
		}
	}
	var events chan fsnotify.Event
	var errs chan error
	if w != nil {
		events, errs = w.Events, w.Errors
	}
	const settle = 300 * time.Millisecond
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.Log.Info("SIGHUP: reloading flows")
			r.reloadSettled(ctx, settle)
		case ev := <-events:
			if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write) {
				continue
			}
			timer.Reset(settle)
		case err := <-errs:
			r.Log.Warn("flow watcher", "err", err)
		case <-timer.C:
			r.reloadSettled(ctx, settle)
		}
	}
}
