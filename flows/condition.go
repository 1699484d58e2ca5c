package flows

import (
	"errors"
	"strings"

	"github.com/expr-lang/expr"
	exprast "github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Conditions (`if:` of alerts and of `next:` rules) are expr-lang
// expressions over the answers. Each step id is a variable: a string for
// choice, yesno and text steps (the choice's value, the text), a float64 for
// number and scale steps, nil when the step is unanswered or skipped.
// `answers` is the same as a map, for the rare condition that must test
// whether a step was answered at all. Beside them:
//
//	family.tags     the family's tags ([]string)
//	member.role     "child" or "guardian"
//	previous("id")  the member's answer to that step in their last completed
//	                session of this flow, typed like the step; nil when none
//	streak_missed   sessions of this flow missed in a row before this one
//	missed          true when the session ends without being finished

// Names of the variables conditions see beside the step ids.
const (
	answersVar  = "answers"
	familyVar   = "family"
	memberVar   = "member"
	previousVar = "previous"
	streakVar   = "streak_missed"
	missedVar   = "missed"
)

// familyVars is `family` in a condition. Codes never enter conditions.
type familyVars struct {
	Tags []string `expr:"tags"`
}

// memberVars is `member` in a condition.
type memberVars struct {
	Role string `expr:"role"`
}

// reservedIDs are names a step cannot take because conditions could not
// name it: expr's keywords and builtins, and the variables above.
var reservedIDs = func() map[string]bool {
	m := map[string]bool{answersVar: true, familyVar: true, memberVar: true, previousVar: true, streakVar: true, missedVar: true}
	for _, w := range []string{"and", "or", "not", "in", "matches", "contains",
		"startsWith", "endsWith", "let", "if", "else", "true", "false", "nil"} {
		m[w] = true
	}
	for _, name := range builtin.Names {
		m[name] = true
	}
	return m
}()

// conditionEnv declares the variables of conditions in f, typed by step kind
// so that `energy == "high"` fails when the flow loads, not at run time.
func conditionEnv(steps []*Step) map[string]any {
	env := map[string]any{
		answersVar:  map[string]any{},
		familyVar:   familyVars{},
		memberVar:   memberVars{},
		previousVar: func(string) any { return nil },
		streakVar:   0,
		missedVar:   false,
	}
	for _, s := range steps {
		if !stepIDPattern.MatchString(s.ID) || reservedIDs[s.ID] {
			continue // reported already; declaring it would only add noise
		}
		if s.numeric() {
			env[s.ID] = float64(0)
		} else {
			env[s.ID] = ""
		}
	}
	return env
}

// compileCondition compiles src against env.
func compileCondition(src string, env map[string]any) (*vm.Program, error) {
	return expr.Compile(src, expr.Env(env), expr.AsBool())
}

// conditionError is where in the expression compiling failed, as a rune
// offset, with expr's message.
func conditionError(err error) (offset int, msg string) {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fe.From, fe.Message
	}
	return 0, err.Error()
}

// comparedValue is a string compared with a choice step in a condition, as
// in `mood == "bda"`, so that a value no choice has (always false, silently)
// is caught when the flow loads.
type comparedValue struct {
	stepID, value string
	offset        int // rune offset of the string in the expression
}

// comparedValues lists the strings that the condition src compares with a
// step variable by ==, != or in. It reads the parse tree, before the
// compiler folds `x in ["a", "b"]` into a lookup.
func comparedValues(src string) []comparedValue {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	var c collector
	exprast.Walk(&tree.Node, &c)
	return c.found
}

type collector struct{ found []comparedValue }

func (c *collector) Visit(n *exprast.Node) {
	b, ok := (*n).(*exprast.BinaryNode)
	if !ok {
		return
	}
	switch b.Operator {
	case "==", "!=":
		c.pair(b.Left, b.Right)
		c.pair(b.Right, b.Left)
	case "in":
		if arr, ok := b.Right.(*exprast.ArrayNode); ok {
			for _, el := range arr.Nodes {
				c.pair(b.Left, el)
			}
		}
	}
}

func (c *collector) pair(variable, constant exprast.Node) {
	id, ok := variable.(*exprast.IdentifierNode)
	if !ok {
		return
	}
	s, ok := constant.(*exprast.StringNode)
	if !ok {
		return
	}
	c.found = append(c.found, comparedValue{stepID: id.Value, value: s.Value, offset: s.Location().From})
}

// holds evaluates a compiled condition in vars. A condition that reads a
// step the member did not answer sees nil there, fails to evaluate, and
// counts as false: an alert never fires on a missing answer, a `next:` rule
// never follows one, and neither ever breaks a session.
func holds(program *vm.Program, vars map[string]any) bool {
	if program == nil {
		return false
	}
	out, err := expr.Run(program, vars)
	if err != nil {
		return false
	}
	ok, _ := out.(bool)
	return ok
}

// previousCall is a `previous(...)` in a condition: the step it names, or
// ok false when its argument is not a quoted step id.
type previousCall struct {
	stepID string
	ok     bool
	offset int
}

// previousCalls lists the calls of previous() in src.
func previousCalls(src string) []previousCall {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	var c callCollector
	exprast.Walk(&tree.Node, &c)
	return c.found
}

type callCollector struct{ found []previousCall }

func (c *callCollector) Visit(n *exprast.Node) {
	call, ok := (*n).(*exprast.CallNode)
	if !ok {
		return
	}
	id, ok := call.Callee.(*exprast.IdentifierNode)
	if !ok || id.Value != previousVar {
		return
	}
	pc := previousCall{offset: call.Location().From}
	if len(call.Arguments) == 1 {
		if s, ok := call.Arguments[0].(*exprast.StringNode); ok {
			pc.stepID, pc.ok, pc.offset = s.Value, true, s.Location().From
		}
	}
	c.found = append(c.found, pc)
}

// unknownName returns the name in expr's "unknown name x" message.
func unknownName(msg string) (string, bool) {
	name, ok := strings.CutPrefix(msg, "unknown name ")
	return name, ok
}

// stepsRead lists the steps of f that the condition src reads: a step's
// id used as a name, or quoted in `"why" in answers`, in the flow's order.
func (f *Flow) stepsRead(src string) []string {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	c := readCollector{f: f, read: map[string]bool{}}
	exprast.Walk(&tree.Node, &c)
	var ids []string
	for _, st := range f.Steps {
		if c.read[st.ID] {
			ids = append(ids, st.ID)
		}
	}
	return ids
}

type readCollector struct {
	f    *Flow
	read map[string]bool
}

func (c *readCollector) Visit(n *exprast.Node) {
	switch n := (*n).(type) {
	case *exprast.IdentifierNode:
		c.read[n.Value] = c.f.Step(n.Value) != nil
	case *exprast.BinaryNode:
		s, ok := n.Left.(*exprast.StringNode)
		id, isID := n.Right.(*exprast.IdentifierNode)
		if ok && isID && n.Operator == "in" && id.Value == answersVar && c.f.Step(s.Value) != nil {
			c.read[s.Value] = true
		}
	}
}
