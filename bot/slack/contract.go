package slack

import (
	"context"
	"time"

	"github.com/tsunagu/tsunagu"
)

// Supporters is what supporters do from Slack, implemented by the bot
// with storage behind it. Every method records the change and returns the
// alert as it now stands (or a summary); an unknown alert or family is an
// ENOTFOUND error, an unreachable store EUNAVAILABLE, a request that does
// not fit (reply to an alert with no member, text too long) EINVALID.
type Supporters interface {
	Actions
	// UnclaimAlert reopens a claimed alert.
	UnclaimAlert(ctx context.Context, alertID, slackUser string, at time.Time) (*tsunagu.Alert, error)
	// ResolveAlertNote resolves with a note of what was done ("" for none).
	ResolveAlertNote(ctx context.Context, alertID, slackUser, note string, at time.Time) (*tsunagu.Alert, error)
	// ReassignAlert hands a claimed or open alert to another supporter.
	ReassignAlert(ctx context.Context, alertID, by, to string, at time.Time) (*tsunagu.Alert, error)
	// ReplyToFamily sends text to the member the alert is about, by LINE
	// push, and records it on the alert and in the family's thread.
	ReplyToFamily(ctx context.Context, alertID, slackUser, text string, at time.Time) (*tsunagu.Alert, error)
	// FamilySummary is a family at a glance, for 詳細 and /tsunagu CODE.
	FamilySummary(ctx context.Context, code string) (*tsunagu.FamilySummary, error)
	// PauseFamily pauses (or resumes) scheduled check-ins for a family.
	PauseFamily(ctx context.Context, code, slackUser string, paused bool) error
	// SendFlow starts a flow now for a family, like `tsunagu send`, and
	// says in a sentence what it did.
	// A check-in of the flow still open is left open unless replace.
	SendFlow(ctx context.Context, flowID, code, slackUser string, replace bool) (string, error)
}
