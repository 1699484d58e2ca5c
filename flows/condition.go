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

// Alert conditions are expr-lang expressions over the answers. Each step id
// is a variable: a string for choice and text steps (the choice's value, the
// text), a float64 for number steps. `answers` is the same as a map, for the
// rare condition that must test whether a step was answered at all.

// answersVar is the name of the map of all answers in a condition.
const answersVar = "answers"

// reservedIDs are names a step cannot take because conditions could not
// name it: expr's keywords and builtins, and answersVar.
var reservedIDs = func() map[string]bool {
	m := map[string]bool{answersVar: true}
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
	env := map[string]any{answersVar: map[string]any{}}
	for _, s := range steps {
		if !stepIDPattern.MatchString(s.ID) || reservedIDs[s.ID] {
			continue // reported already; declaring it would only add noise
		}
		if s.Kind() == KindNumber {
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

// holds evaluates rule on the answers of a session. A condition that reads
// a step the member did not answer sees nil there, fails to evaluate, and
// counts as false: an alert never fires on a missing answer, and never
// breaks the end of a session.
func (rule *AlertRule) holds(f *Flow, answers map[string]any) bool {
	env := make(map[string]any, len(f.Steps)+1)
	for _, s := range f.Steps {
		env[s.ID] = answers[s.ID] // nil when unanswered
	}
	env[answersVar] = answers
	out, err := expr.Run(rule.program, env)
	if err != nil {
		return false
	}
	ok, _ := out.(bool)
	return ok
}

// unknownName returns the name in expr's "unknown name x" message.
func unknownName(msg string) (string, bool) {
	name, ok := strings.CutPrefix(msg, "unknown name ")
	return name, ok
}
