package main

import (
	"context"
	"fmt"

	"github.com/tsunagu/tsunagu"
	"github.com/tsunagu/tsunagu/flows"
	"github.com/tsunagu/tsunagu/storage"
)

// lang sets the language a member reads, as a supporter who learnt it
// would: `tsunagu lang F-0001 pt` (the family's one member) or
// `tsunagu lang F-0001 --member ID pt`; `default` goes back to the
// programme's language. Sessions started from then on speak it.
func (e *env) lang(ctx context.Context, args []string) int {
	fs, cfgPath := e.flags("lang")
	memberID := fs.String("member", "", "the member `id` (tsunagu families list), when the family has several")
	pos, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 2 || (pos[1] != "default" && !flows.ValidLanguage(pos[1])) {
		fmt.Fprintln(e.stderr, "usage: tsunagu lang FAMILY [--member ID] ja|en|pt|…|default")
		return exitUsage
	}
	lang := pos[1]
	if lang == "default" {
		lang = ""
	}
	c, ok := e.config(*cfgPath)
	if !ok {
		return exitUsage
	}
	s, ok := e.store(ctx, c)
	if !ok {
		return exitFail
	}
	defer s.Close()
	ms, err := s.FamilyMembers(ctx, pos[0])
	if err != nil {
		return e.fail(err)
	}
	m, err := pickMember(ms, pos[0], *memberID)
	if err != nil {
		return e.fail(err)
	}
	err = s.Apply(ctx, "", m.ID, func(st *storage.State) (*storage.Change, error) {
		if st.Member == nil {
			return nil, tsunagu.Errorf(tsunagu.ENOTFOUND, "member %s is no longer linked", m.ID)
		}
		changed := *st.Member
		changed.Lang = lang
		return &storage.Change{Member: &changed}, nil
	})
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "%s %s %s: %s\n", m.FamilyCode, m.Role, m.ID, orText(lang, "the programme's language"))
	return exitOK
}

func pickMember(ms []tsunagu.Member, family, id string) (tsunagu.Member, error) {
	for _, m := range ms {
		if m.ID == id || (id == "" && len(ms) == 1) {
			return m, nil
		}
	}
	switch {
	case len(ms) == 0:
		return tsunagu.Member{}, tsunagu.Errorf(tsunagu.ENOTFOUND, "family %s has no linked members", family)
	case id == "":
		return tsunagu.Member{}, tsunagu.Errorf(tsunagu.EINVALID, "family %s has %d members: say which with --member ID (tsunagu families list)", family, len(ms))
	}
	return tsunagu.Member{}, tsunagu.Errorf(tsunagu.ENOTFOUND, "family %s has no member %s", family, id)
}
