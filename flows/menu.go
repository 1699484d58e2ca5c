package flows

import "strings"

// The LINE rich menu's taps reach the conversation as postbacks of their
// own: "menu:flow:ID" starts flow ID, "menu:about" says what tsunagu is.
// A menu area that sends a keyword is a plain message and needs nothing
// here. The data never holds anything about the member.
const (
	menuPrefix    = "menu:"
	MenuAboutData = menuPrefix + "about"
)

// MenuFlowData is the postback data of a menu area that starts flow id.
func MenuFlowData(id string) string { return menuPrefix + "flow:" + id }

// menu handles a rich menu tap; handled is false for any other postback.
// A tap while a question waits asks that question again rather than
// starting another flow: one thing at a time.
func (t *turn) menu(data string, open *Flow) (handled bool, err error) {
	rest, ok := strings.CutPrefix(data, menuPrefix)
	if !ok {
		return false, nil
	}
	sess := t.f.Session()
	if rest == "about" {
		t.Summary = "menu: about"
		t.sayText(t.c.Texts.About)
		if open != nil {
			t.prompt(open, sess)
		}
		return true, nil
	}
	id, ok := strings.CutPrefix(rest, "flow:")
	switch flow := t.c.Flows.Get(id); {
	case !ok:
		t.Summary = "menu: unknown"
		t.sayText(t.c.Texts.NoQuestion)
	case open != nil:
		t.Summary = "menu: a question waits"
		t.prompt(open, sess)
	case flow == nil:
		t.Summary = "menu: no flow " + id
		t.sayText(t.c.Texts.NoQuestion)
	default:
		t.Summary = "menu: " + id
		fam, err := t.family()
		if err != nil {
			return true, err
		}
		if !flow.ForAudience(t.member.Role, fam.Tags) {
			t.Summary += ", not for this member"
			t.sayText(t.c.Texts.NoQuestion)
			return true, nil
		}
		return true, t.startIfAllowed(flow)
	}
	return true, nil
}
