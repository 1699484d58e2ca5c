package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/tsunagu/tsunagu"
)

// A first message with a risk word and an invite code: the risk alert loads
// the 未登録 stand-in family, which the turn then keeps after enrolment, so
// the sign-up flow is chosen (and later alerts addressed) with the wrong family.
func TestRegressionRiskAndCodeInFirstMessage(t *testing.T) {
	signup := mustParse(t, strings.Replace(signupFlow, "audience: {roles: [child, guardian]}", "audience: {roles: [child, guardian], tags: [school-a]}", 1))
	c := newConv(signup)
	m := member(signup, SimOptions{Tags: []string{"school-a"}})
	m.enrol = true
	m.invites = map[string]*tsunagu.Invite{"K7QM-XR4P": {Code: "K7QM-XR4P", FamilyCode: "SIM-0001", Role: tsunagu.RoleChild, ExpiresAt: t0.Add(time.Hour)}}

	plain, _ := c.Event(m, "u1", text("K7QM-XR4P"), t0)
	t.Logf("code only: %s", kinds(plain))
	turn, err := c.Event(m, "u1", text("もうしにたい K7QM-XR4P"), t0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("risk + code: %s", kinds(turn))
	if !strings.Contains(kinds(turn), "MemberLinked") {
		t.Fatal("setup: not enrolled")
	}
	if !strings.Contains(kinds(turn), "SessionStarted") {
		t.Errorf("sign-up flow not started when the first message also held a risk word (family taken as %q)", Unenrolled)
	}
}

// The risk alert of a message that also enrols is the family's, not a
// stranger's, and the safety reply comes first.
func TestRiskAndCodeAlertIsTheFamilys(t *testing.T) {
	signup := mustParse(t, signupFlow)
	c := newConv(signup)
	m := member(signup, SimOptions{})
	m.enrol = true
	m.invites = map[string]*tsunagu.Invite{"K7QM-XR4P": {Code: "K7QM-XR4P", FamilyCode: "SIM-0001", Role: tsunagu.RoleGuardian, ExpiresAt: t0.Add(time.Hour)}}
	turn, err := c.Event(m, "u1", text("もうしにたい K7QM-XR4P"), t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(turn); !strings.HasPrefix(got, "RiskDetected Said AlertRaised MemberLinked") {
		t.Fatalf("outcomes = %s", got)
	}
	a := turn.Alerts()[0]
	if a.FamilyCode != "SIM-0001" || a.Stranger != "" || a.Role != tsunagu.RoleGuardian {
		t.Errorf("alert = %+v", a)
	}
}
