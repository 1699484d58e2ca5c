package flows

import (
	"slices"
	"strings"
)

// The steps of a flow and the `next:` between them make a graph. Loading
// checks it: every step should be reachable from the first, and from every
// step a member must be able to reach the end. At run time a cycle that
// can exit (a "もう一度？" loop) is bounded by MaxVisits instead.

// successors are the steps (or End) an answer to s may lead to.
func (f *Flow) successors(s *Step) []string {
	var out []string
	add := func(id string) {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	stepNext := func() {
		if s.Next != "" {
			add(s.Next)
			return
		}
		for _, r := range s.Rules {
			add(r.Goto)
			if r.If == "" {
				return
			}
		}
		add(f.following(s))
	}
	if len(s.Choices) == 0 || s.Optional {
		stepNext() // a skip goes where the step goes
	}
	for _, c := range s.Choices {
		if c.Next != "" {
			add(c.Next)
		} else {
			stepNext()
		}
	}
	return out
}

// reach is every step reachable from id (itself included) without passing
// through the step avoid ("" for none).
func (f *Flow) reach(id, avoid string) map[string]bool {
	seen := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		s := f.Step(id)
		if s == nil || seen[id] || id == avoid {
			return
		}
		seen[id] = true
		for _, n := range f.successors(s) {
			visit(n)
		}
	}
	visit(id)
	return seen
}

// canEnd reports whether End is reachable from step id.
func (f *Flow) canEnd(id string) bool {
	for reached := range f.reach(id, "") {
		if slices.Contains(f.successors(f.Step(reached)), End) {
			return true
		}
	}
	return false
}

// checkGraph warns about steps no path from the first step reaches (usually
// a `next:` that skips more than meant) and reports a cycle with no way to
// the end, in which a member would go round until the loop guard stops them.
func (r *reporter) checkGraph(f *Flow, sf *srcFlow) {
	for _, s := range f.Steps {
		if s.ID == "" {
			return // reported already; the graph would only add noise
		}
	}
	if len(f.Steps) == 0 {
		return
	}
	reached := f.reach(f.Steps[0].ID, "")
	for i, s := range f.Steps {
		if s.ID != "" && !reached[s.ID] && f.index[s.ID] == i {
			r.warnf(sf.steps[i].id.at, hint("どの `next:` からもこのステップに来ません。前のステップの `next:` を確かめてください。",
				"No `next:` leads here; check the `next:` of the steps before it."),
				"step %q is never reached", s.ID)
		}
	}
	if r.ds.HasErrors() {
		return // a `next:` to no step or a reused id would make false loops
	}
	reported := map[string]bool{}
	for i, s := range f.Steps {
		if s.ID == "" || !reached[s.ID] || reported[s.ID] || f.index[s.ID] != i || f.canEnd(s.ID) {
			continue
		}
		// The steps of s's cycle: those it reaches that reach it back.
		from := f.reach(s.ID, "")
		var cycle []string
		for _, t := range f.Steps {
			if from[t.ID] && f.reach(t.ID, "")[s.ID] && !slices.Contains(cycle, t.ID) {
				cycle = append(cycle, t.ID)
			}
		}
		if len(cycle) == 1 && !slices.Contains(f.successors(s), s.ID) {
			continue // not itself in a loop: it leads into one reported at its own first step
		}
		if len(cycle) == 0 {
			continue // leads into a cycle reported at its own first step
		}
		for _, id := range cycle {
			reported[id] = true
		}
		r.errorf(sf.steps[i].at, hint("この輪から `end` へ進む道がないので、メンバーが同じ質問をくり返すことになります。どこかの `next:` か選択肢の `next:` に、輪の外のステップか `end` を書いてください。",
			"No way leads out of this loop to `end`, so a member would be asked the same questions again and again: make some `next:` (of a step or a choice) go to a step outside the loop, or to `end`."),
			"steps %s loop with no way to the end", strings.Join(quoteAll(cycle), " → "))
	}
}

func quoteAll(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = `"` + id + `"`
	}
	return out
}
