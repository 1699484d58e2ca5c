package flows

import "strings"

// checkPlaceholders reports placeholders that could not be filled: one
// that is not `{{answers.<step>}}`, names an unknown step, the step itself,
// or a step that only comes later. One whose step may be skipped on the way
// is a warning: it would be filled with nothing.
func (r *reporter) checkPlaceholders(f *Flow, sf *srcFlow) {
	for i, ss := range sf.steps {
		if i >= len(f.Steps) {
			break
		}
		for _, t := range ss.say {
			r.placeholdersIn(f, t, f.Steps[i])
		}
		for _, texts := range ss.sayTr {
			for _, t := range texts {
				r.placeholdersIn(f, t, f.Steps[i])
			}
		}
		r.placeholdersIn(f, ss.retry, f.Steps[i])
		for _, t := range ss.retry.tr {
			r.placeholdersIn(f, t, f.Steps[i])
		}
	}
	r.placeholdersIn(f, sf.done, nil)
	for _, t := range sf.done.tr {
		r.placeholdersIn(f, t, nil)
	}
	for _, rm := range sf.reminders {
		r.placeholdersIn(f, rm.say, nil)
		for _, t := range rm.say.tr {
			r.placeholdersIn(f, t, nil)
		}
	}
}

// placeholdersIn checks the placeholders of text, said at step (nil for
// texts said at the end or outside any one step).
func (r *reporter) placeholdersIn(f *Flow, text str, step *Step) {
	phs, unclosed := placeholders(text.s)
	if unclosed >= 0 {
		r.errorf(within(text, unclosed), hint("`{{` を `}}` で閉じてください（例: `{{answers.mood}}`）。", "Close `{{` with `}}` (e.g. `{{answers.mood}}`)."),
			"placeholder: `{{` is not closed")
	}
	for _, ph := range phs {
		at := within(text, ph.offset)
		if ph.stepID == "" {
			h := hint("使えるのは前のステップの答え `{{answers.ステップのid}}` だけです（例: `{{answers.mood}}`）。",
				"Only an earlier step's answer can be quoted: `{{answers.STEP_ID}}` (e.g. `{{answers.mood}}`).")
			name := strings.TrimPrefix(ph.content, "answers.")
			switch {
			case strings.HasPrefix(ph.content, "family") || strings.HasPrefix(ph.content, "member") || strings.Contains(ph.content, "tag") || strings.Contains(ph.content, "code"):
				h = hint("家庭のコードやタグ、役割はメンバーに見せない決まりなので、文には入れられません。", "Family codes, tags and roles are never shown to families, so they cannot be quoted.").and(h)
			case f.Step(name) != nil:
				h = hint("もしかして `{{answers.%s}}` ですか？", "Did you mean `{{answers.%s}}`?", name).and(h)
			}
			r.errorf(at, h, "placeholder {{%s}}: only {{answers.<step>}} is allowed", ph.content)
			continue
		}
		target := f.Step(ph.stepID)
		switch {
		case target == nil:
			h := hint("`{{answers.…}}` には、このフローのステップの `id` を書きます。", "`{{answers.…}}` takes a step `id` of this flow.")
			if sug := closest(ph.stepID, f.stepIDs()); sug != "" {
				h = hint("もしかして `{{answers.%s}}` ですか？", "Did you mean `{{answers.%s}}`?", sug).and(h)
			}
			r.errorf(at, h, "placeholder {{answers.%s}}: no step %q", ph.stepID, ph.stepID)
		case step == nil:
		case target == step:
			r.errorf(at, hint("このステップの答えは、まだもらっていません。前のステップの答えだけを入れられます。",
				"This step's own answer is not known yet when it is asked: quote an earlier step."),
				"placeholder {{answers.%s}}: step %q quotes its own answer", ph.stepID, step.ID)
		case !f.reach(target.ID, "")[step.ID]:
			r.errorf(at, hint("`%s` はこのステップより後に聞くので、まだ答えがありません。前のステップの答えだけを入れられます。",
				"`%s` is asked after this step, so its answer is not known yet: quote an earlier step.", ph.stepID),
				"placeholder {{answers.%s}}: step %q comes later than %q", ph.stepID, ph.stepID, step.ID)
		case len(f.Steps) > 0 && f.reach(f.Steps[0].ID, target.ID)[step.ID] || target.Optional:
			r.warnf(at, hint("`%s` に答えずに（スキップや分岐で）ここに来ることがあり、そのときは空になります。文が不自然にならないか確かめてください。",
				"A member may get here without answering `%s` (a skip or a branch); it is empty then, so check the text still reads well.", ph.stepID),
				"placeholder {{answers.%s}} may be empty at step %q", ph.stepID, step.ID)
		}
	}
}
