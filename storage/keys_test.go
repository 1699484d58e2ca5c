package storage

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
	"time"
)

// TestEveryKeyHasALifetime: every key builder in keys.go is listed here
// with a sample key, and every sample matches a rule in KeyRules. A new key
// builder fails the test until it is added below, with a TTL or a
// retention rule in KeyRules. (The end-to-end tests also scan Redis after
// real activity for keys that match no rule.)
func TestEveryKeyHasALifetime(t *testing.T) {
	samples := map[string]string{
		"familyKey":            familyKey("F-0001"),
		"familiesKey":          familiesKey(),
		"familyMembersKey":     familyMembersKey("F-0001"),
		"inviteKey":            inviteKey("K7QM-XR4P"),
		"memberKey":            memberKey("0123abcd"),
		"sessionKey":           sessionKey("0123abcd"),
		"historyKey":           historyKey("0123abcd"),
		"enrolFailsKey":        enrolFailsKey("0123abcd"),
		"enrolFailsAllKey":     enrolFailsAllKey(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)),
		"strangerMinuteKey":    strangerMinuteKey("C0", time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)),
		"strangerLeadKey":      strangerLeadKey("C0"),
		"strangerEscalatedKey": strangerEscalatedKey("#a3f9c2"),
		"eventKey":             eventKey("01H"),
		"alertKey":             alertKey("a1"),
		"alertsKey":            alertsKey(),
		"lineOutboxKey":        lineOutboxKey(),
		"slackOutboxKey":       slackOutboxKey(),
		"slackUrgentKey":       slackUrgentKey(),
		"deadKey":              deadKey(),
		"flowSourceKey":        flowSourceKey("abc"),
		"flowErrorKey":         onceKey(flowErrorKey("abc")),
		"onceKey":              onceKey("x"),
		"pushTimersKey":        pushTimersKey(),
		"quietTimersKey":       quietTimersKey(),
		"timerStreamKey":       timerStreamKey(),
		"lastOccurrenceKey":    lastOccurrenceKey(),
		"occurrenceKey":        occurrenceKey("weekly", 0, 1),
		"pendingKey":           pendingKey("0123abcd"),
		"membersKey":           membersKey(),
		"dispatchResultKey":    dispatchResultKey("send:1"),
		"familyAlertsKey":      familyAlertsKey("F-0001"),
		"familyThreadKey":      familyThreadKey("F-0001", "C1"),
		"coalesceKey":          coalesceKey("F-0001", "C1"),
		"dispatchMembersKey":   dispatchMembersKey("send:1"),
		"openAlertsKey":        openAlertsKey(),
		"auditKey":             auditKey(),
		"unlinkedKey":          unlinkedKey(),
		"familyUnlinkedKey":    familyUnlinkedKey("F-0001"),
		"pseudonymKey":         pseudonymKey(),
		"slackRequestKey":      slackRequestKey("abc"),
		"accessAuditKey":       accessAuditKey(),
	}
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !strings.HasSuffix(fn.Name.Name, "Key") {
			continue
		}
		if _, ok := samples[fn.Name.Name]; !ok {
			t.Errorf("%s: a new key builder; add a sample here and a rule (TTL or retention) to KeyRules", fn.Name.Name)
		}
	}
	for name, key := range samples {
		if _, ok := RuleFor(key); !ok {
			t.Errorf("%s (%s) matches no rule in KeyRules", name, key)
		}
	}
}
