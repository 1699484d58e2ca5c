package storage

import (
	"testing"

	"github.com/tsunagu/tsunagu"
)

// An enrolled member's urgent alert that joins a non-urgent lead of the
// same family (coalescing) is shown only by the lead's redraw, and that
// redraw is queued in the lead's lane: the normal one, behind any backlog.
func TestRegressionUrgentGroupedIntoInfoLeadRedrawsInNormalLane(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	lead := newAlert("lead", t0)
	lead.Severity = tsunagu.SeverityInfo
	urgent := newAlert("urgent", t0.Add(10))
	urgent.Severity = tsunagu.SeverityUrgent
	for _, a := range []*tsunagu.Alert{lead, urgent} {
		if err := e.store.RaiseAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.SetAlertPosted(ctx, "lead", "C1", "1.1", ""); err != nil {
		t.Fatal(err)
	}
	nBefore, _ := e.store.SlackOutbox().Len(ctx)
	uBefore, _ := e.store.SlackUrgentOutbox().Len(ctx)
	grouped, err := e.store.GroupAlert(ctx, "lead", urgent)
	if err != nil || !grouped {
		t.Fatalf("GroupAlert: %v %v", grouped, err)
	}
	nAfter, _ := e.store.SlackOutbox().Len(ctx)
	uAfter, _ := e.store.SlackUrgentOutbox().Len(ctx)
	t.Logf("normal lane %d→%d, urgent lane %d→%d", nBefore, nAfter, uBefore, uAfter)
	if uAfter == uBefore {
		t.Errorf("the redraw that first shows an urgent alert went to the normal lane")
	}
}
