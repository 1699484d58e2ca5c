package main

import (
	"context"
	"strings"
	"testing"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/internal/fakeslack"
)

// TestSignUpAndConsent: enrolling starts the sign-up flow; its consent
// answer is kept on the member, and a member who declined gets no
// check-ins.
func TestSignUpAndConsent(t *testing.T) {
	h := newHarness(t, "../../examples/flows")
	h.roster("F-0001,,", "F-0002,,")

	agree := h.enrol("F-0001", tsunagu.RoleChild)
	q := h.next(agree, "はじめてもいいですか？")
	h.mustDeliver(h.line.Postback(agree, dataFor(t, q, "はい、はじめる")))
	q = h.next(agree, "あなたは、どちらですか？")
	h.mustDeliver(h.line.Postback(agree, dataFor(t, q, "こども・わかもの")))
	eventually(t, func() bool { return h.member(agree).Consent == "agree" }, "consent to be recorded")

	decline := h.enrol("F-0002", tsunagu.RoleChild)
	q = h.next(decline, "はじめてもいいですか？")
	h.mustDeliver(h.line.Postback(decline, dataFor(t, q, "やめておく")))
	q = h.next(decline, "説明の連絡をしてもいいですか？")
	h.mustDeliver(h.line.Postback(decline, dataFor(t, q, "連絡はいらない")))
	eventually(t, func() bool { return h.member(decline).Consent == "decline" }, "the decline to be recorded")

	if out := h.mustCLI("send", "weekly-child", "--family", "F-0001"); !strings.Contains(out, "started") {
		t.Fatalf("send to a member who agreed: %q", out)
	}
	if _, errs, code := h.cli("send", "weekly-child", "--family", "F-0002"); code != 1 || !strings.Contains(errs, "no consent") {
		t.Fatalf("send to a member who declined: exit %d %q", code, errs)
	}

	// Changing their mind: the keyword restarts the sign-up flow.
	h.mustDeliver(h.line.Text(decline, "やっぱりはじめたい"))
	q = h.next(decline, "はじめてもいいですか？")
	h.mustDeliver(h.line.Postback(decline, dataFor(t, q, "はい、はじめる")))
	q = h.next(decline, "あなたは、どちらですか？")
	h.mustDeliver(h.line.Postback(decline, dataFor(t, q, "こども・わかもの")))
	eventually(t, func() bool { return h.member(decline).Consent == "agree" }, "the new consent")
}

// TestKeywordFlow: typing a keyword starts its flow, and an `answered`
// alert reaches Slack at once, while the member is still answering.
func TestKeywordFlow(t *testing.T) {
	h := newHarness(t, "../../examples/flows")
	h.roster("F-0001,,U0SUPPORT")
	user := h.enrol("F-0001", tsunagu.RoleChild)
	q := h.next(user, "はじめてもいいですか？")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "はい、はじめる")))
	q = h.next(user, "あなたは、どちらですか？")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "こども・わかもの")))

	h.mustDeliver(h.line.Text(user, "ちょっと相談があります"))
	q = h.next(user, "どんなことを話したい？")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "家のこと")))
	q = h.next(user, "「家のこと」について、だね")
	h.mustDeliver(h.line.Postback(user, dataFor(t, q, "いますぐ")))
	h.next(user, "いま、あんぜんな場所にいる？")

	msgs := h.slackMessages(1)
	text := fakeslack.BlocksText(msgs[0].Blocks)
	for _, want := range []string{"緊急", "「いますぐ」話したいと連絡がありました", "家のこと", "<@U0SUPPORT>"} {
		if !strings.Contains(text, want) {
			t.Errorf("answered alert lacks %q:\n%s", want, text)
		}
	}
	sess, _ := h.main.Store.Session(context.Background(), tsunagu.UserHash(user))
	if !sess.Open() || sess.FlowID != "talk" {
		t.Fatalf("the flow should go on after the alert: %+v", sess)
	}
}

func (h *harness) member(user string) tsunagu.Member {
	h.t.Helper()
	m, err := h.main.Store.Member(context.Background(), tsunagu.UserHash(user))
	if err != nil {
		h.t.Fatal(err)
	}
	return *m
}

// TestSignUpInTheRolesVoice: a guardian who enrols is greeted politely, a
// child plainly: each gets the sign-up flow of their role.
func TestSignUpInTheRolesVoice(t *testing.T) {
	h := newHarness(t, "../../examples/flows")
	h.roster("F-0001,,")
	guardian := h.enrol("F-0001", tsunagu.RoleGuardian)
	q := h.next(guardian, "はじめてもよろしいですか？")
	h.mustDeliver(h.line.Postback(guardian, dataFor(t, q, "はい、はじめる")))
	h.next(guardian, "念のため、あなたはどちらですか？")
	child := h.enrol("F-0001", tsunagu.RoleChild)
	h.next(child, "はじめてもいいですか？")
}
